import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { buildSdp, formatGbSsrc, parseGbSsrc, parseSdp } from '../../../media-node/formats/sdp.ts';
import type { GbSdp } from '../../../media-node/formats/sdp.ts';
import { parseSipMessage } from '../../../media-node/formats/sip-message.ts';
import { readFixture, skipWithoutFixture } from '../../support/fixtures.ts';

const SRS = 'public/srs-utest-gb28181/sip';

function sdpOf(file: string): GbSdp {
  const message = parseSipMessage(readFixture(`${SRS}/${file}`) ?? new Uint8Array());
  return parseSdp(new TextDecoder().decode(message.body));
}

function throwsMalformed(fn: () => unknown, message?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isArgusError(error, errorCodes.SDP_MALFORMED), String(error));
    if (message !== undefined) assert.equal(error.message, message);
    return true;
  });
}

// The eXosip IPC's answer from gb28181-solution-sip/invite-live-catalog (frame 5).
const EXOSIP_ANSWER = `v=0
o=34010000001310000001 0 0 IN IP4 192.168.230.100
s=Embedded IPC
c=IN IP4 192.168.230.100
t=0 0
m=video 56147 RTP/AVP 96
a=sendonly
a=rtpmap:96 PS/90000
a=username:34010000001310000001
a=password:12345678
y=0000000000
f=
`.replace(/\n/g, '\r\n');

describe('parseSdp on a Hikvision camera exchange (SRS)', { skip: skipWithoutFixture(SRS) }, () => {
  it('parseSdp reads the platform INVITE offer over TCP', () => {
    assert.deepEqual(sdpOf('03-srs-INVITE.sip'), {
      origin: {
        username: '34020000001320000001',
        address: '192.168.3.82',
        sessionId: '0',
        sessionVersion: '0',
      },
      sessionName: 'Play',
      connection: '192.168.3.82',
      time: [0, 0],
      media: [
        {
          type: 'video',
          port: 9000,
          protocol: 'TCP/RTP/AVP',
          payloads: [{ pt: 96, encoding: 'PS', clock: 90000 }],
          direction: 'recvonly',
        },
      ],
      ssrc: '0200007585',
    });
  });

  it('parseSdp reads the camera 200 OK with a=setup:active, y= and a=filesize', () => {
    const sdp = sdpOf('05-ipc-INVITE-200-OK-sdp.sip');
    const media = sdp.media[0];
    assert.equal(media?.setup, 'active');
    assert.equal(media?.direction, 'sendonly');
    assert.equal(media?.port, 15060);
    assert.deepEqual(media?.attributes, ['filesize:0']);
    assert.equal(sdp.ssrc, '0200007585');
    assert.equal(parseGbSsrc(sdp.ssrc ?? ''), 200007585);
  });
});

describe('parseSdp and buildSdp', () => {
  it('parseSdp reads an eXosip answer with an empty f= and its own session name', () => {
    const sdp = parseSdp(EXOSIP_ANSWER);
    assert.equal(sdp.sessionName, 'Embedded IPC');
    assert.equal(sdp.format, '');
    assert.equal(sdp.ssrc, '0000000000');
    assert.deepEqual(sdp.media[0]?.attributes, [
      'username:34010000001310000001',
      'password:12345678',
    ]);
  });

  it('parseSdp resolves several payload types through a=rtpmap in m= order', () => {
    const sdp = parseSdp(
      'v=0\no=p 0 0 IN IP4 1.2.3.4\ns=Play\nc=IN IP4 1.2.3.4\nt=0 0\n' +
        'm=video 6000 RTP/AVP 96 98 97 8\n' +
        'a=rtpmap:96 PS/90000\na=rtpmap:97 MPEG4/90000\na=rtpmap:98 H264/90000\n',
    );
    assert.deepEqual(sdp.media[0]?.payloads, [
      { pt: 96, encoding: 'PS', clock: 90000 },
      { pt: 98, encoding: 'H264', clock: 90000 },
      { pt: 97, encoding: 'MPEG4', clock: 90000 },
      { pt: 8, encoding: 'PCMA', clock: 8000 },
    ]);
  });

  it('buildSdp writes a Playback offer that parseSdp reads back', () => {
    const offer: GbSdp = {
      origin: { username: '34020000002000000001', address: '10.0.0.5' },
      sessionName: 'Playback',
      uri: '34020000001320000001:0',
      connection: '10.0.0.5',
      time: [1700000000, 1700003600],
      media: [
        {
          type: 'video',
          port: 30000,
          protocol: 'TCP/RTP/AVP',
          payloads: [{ pt: 96, encoding: 'PS', clock: 90000 }],
          direction: 'recvonly',
          setup: 'passive',
          connection: 'new',
        },
      ],
      ssrc: formatGbSsrc(1_000_000_001),
    };
    const text = buildSdp(offer);
    assert.match(
      text,
      new RegExp(
        String.raw`^v=0\r\no=34020000002000000001 0 0 IN IP4 10.0.0.5\r\n` +
          String.raw`s=Playback\r\nu=34020000001320000001:0\r\n`,
      ),
    );
    assert.match(
      text,
      /a=setup:passive\r\na=connection:new\r\na=rtpmap:96 PS\/90000\r\ny=1000000001\r\n$/,
    );
    assert.deepEqual(parseSdp(text), {
      ...offer,
      origin: { ...offer.origin, sessionId: '0', sessionVersion: '0' },
    });
  });

  it('buildSdp writes back what parseSdp read from a device answer', () => {
    assert.equal(buildSdp(parseSdp(EXOSIP_ANSWER)), EXOSIP_ANSWER);
  });

  it('parseSdp names the missing line', () => {
    throwsMalformed(
      () => parseSdp('v=0\r\no=a 0 0 IN IP4 1.1.1.1\r\ns=Play\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\n'),
      'Cannot parse SDP: missing m= line for video or audio',
    );
    throwsMalformed(() => parseSdp('v=0\r\ns=Play\r\n'), 'Cannot parse SDP: missing o= line');
    throwsMalformed(
      () => parseSdp('v=0\no=a 0 0 IN IP4 1.1.1.1\ns=Play\nt=0 0\nm=video 1 RTP/AVP 96\n'),
      'Cannot parse SDP: missing c= line',
    );
  });

  it('parseSdp takes the media connection where the session has none and skips other media', () => {
    const sdp = parseSdp(
      'v=0\no=a 0 0 IN IP4 1.1.1.1\ns=Play\nt=0 0\nm=application 9 TCP/BFCP *\na=x\n' +
        'm=audio 8000 RTP/AVP 8\nc=IN IP4 2.2.2.2\n',
    );
    assert.equal(sdp.connection, '2.2.2.2');
    assert.equal(sdp.media.length, 1);
    assert.equal(sdp.media[0]?.type, 'audio');
  });

  it('parseGbSsrc refuses non-decimal and 32-bit overflowing values', () => {
    assert.equal(parseGbSsrc('4294967295'), 0xffffffff);
    throwsMalformed(() => parseGbSsrc('4294967296'));
    throwsMalformed(() => parseGbSsrc('0x1234'), 'Cannot parse SDP: invalid y= SSRC: "0x1234"');
    assert.equal(formatGbSsrc(200007585), '0200007585');
  });

  it('parseSdp throws only ArgusError on random lines', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc
        .tuple(
          fc.constantFrom('o', 's', 'c', 't', 'm', 'a', 'y', 'f', 'u'),
          fc.string({ maxLength: 30 }),
        )
        .map(([k, v]) => `${k}=${v}`),
      fc.constantFrom(
        'm=video 1 RTP/AVP 96',
        'c=IN IP4 1.1.1.1',
        'o=a 0 0 IN IP4 1.1.1.1',
        't=0 0',
        's=Play',
        'a=rtpmap:96',
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        try {
          parseSdp(lines.join('\r\n'));
        } catch (error) {
          return isArgusError(error, errorCodes.SDP_MALFORMED);
        }
        return true;
      }),
      { numRuns: fuzzRuns(3000) },
    );
  });
});
