import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import type { GbServer } from '../../../media-node/gb/gb-server.ts';
import { invitePlay } from '../../../media-node/gb/live-invite.ts';
import {
  buildResponse,
  type SipMessage,
  type SipRequest,
} from '../../../media-node/formats/sip-message.ts';
import { SipClient } from '../../../media-node/sip/sip-client.ts';
import type { SipPeer, SipTransport } from '../../../media-node/sip/sip-transport.ts';

const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';
const peer: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 5060 };
const udpOffer = { port: 30000, protocol: 'RTP/AVP' };

/** A device that answers INVITE 200 with `sdp` and BYE 200; `sent` keeps what it received. */
function device(sdp: string) {
  const sent: SipRequest[] = [];
  const transport = {
    send(_: SipPeer, message: SipMessage) {
      if (message.kind !== 'request') return true;
      sent.push(message);
      if (message.method === 'ACK') return true;
      const body = message.method === 'INVITE' ? new TextEncoder().encode(sdp) : undefined;
      const ok = buildResponse(message, 200, 'OK', {
        toTag: 'dev1',
        headers: [['Contact', `<sip:${channelId}@192.0.2.10:5060>`]],
        ...(body === undefined ? {} : { body, contentType: 'application/sdp' }),
      });
      setImmediate(() => client.handleResponse(ok));
      return true;
    },
  } as unknown as SipTransport;
  const client = new SipClient({
    transport,
    localAddressFor: () => ({ host: '192.0.2.1', port: 5060 }),
  });
  let cseq = 1;
  const server = {
    registration: () => ({ peer }),
    localAddress: () => '192.0.2.1',
    serverId: '34020000002000000001',
    domain: '3402000000',
    sipPort: 5060,
    platformFrom: () => '<sip:34020000002000000001@3402000000>;tag=p1',
    nextCSeq: () => cseq++,
  } as unknown as GbServer;
  return { sent, client, server };
}

describe('invitePlay with an answer it cannot read', () => {
  it('ACKs the 200, sends BYE and refuses with UNAVAILABLE (device with garbage SDP)', async () => {
    const { sent, client, server } = device('this is no SDP\r\nm=video banana\r\n');
    await assert.rejects(
      invitePlay(server, client, { deviceId, channelId, media: udpOffer, ssrc: 12345 }),
      (error: unknown) =>
        isArgusError(error, errorCodes.UNAVAILABLE) &&
        error.message ===
          'Cannot start live video: the device answered with an SDP that cannot be read',
    );
    assert.deepEqual(
      sent.map((r) => r.method),
      ['INVITE', 'ACK', 'BYE'],
    );
    assert.equal(sent[2]?.uri, `sip:${channelId}@192.0.2.10:5060`, 'BYE to the remote target');
    client.close();
  });

  it('reads a good answer and ACKs it, without a BYE', async () => {
    const sdp = [
      'v=0',
      `o=${channelId} 0 0 IN IP4 192.0.2.10`,
      's=Play',
      'c=IN IP4 192.0.2.10',
      't=0 0',
      'm=video 15060 RTP/AVP 96',
      'a=sendonly',
      'a=rtpmap:96 PS/90000',
      'y=0000012345',
      '',
    ].join('\r\n');
    const { sent, client, server } = device(sdp);
    const dialog = await invitePlay(server, client, {
      deviceId,
      channelId,
      media: udpOffer,
      ssrc: 12345,
    });
    assert.equal(dialog.answer.media[0]?.port, 15060);
    assert.deepEqual(
      sent.map((r) => r.method),
      ['INVITE', 'ACK'],
    );
    client.close();
  });
});

describe('invitePlay over TCP', () => {
  const answerSdp = (y: string) =>
    [
      'v=0',
      `o=${channelId} 0 0 IN IP4 192.0.2.10`,
      's=Play',
      'c=IN IP4 192.0.2.10',
      't=0 0',
      'm=video 9 TCP/RTP/AVP 96',
      'a=sendonly',
      'a=setup:active',
      'a=rtpmap:96 PS/90000',
      `y=${y}`,
      '',
    ].join('\r\n');

  it('offers TCP/RTP/AVP with a=setup and a=connection (RFC 4145) as the media asks', async () => {
    const { sent, client, server } = device(answerSdp('0000012345'));
    const media = {
      port: 30002,
      protocol: 'TCP/RTP/AVP',
      setup: 'passive',
      connection: 'new',
    } as const;
    await invitePlay(server, client, { deviceId, channelId, media, ssrc: 12345 });
    const offer = new TextDecoder().decode(sent[0]?.body).split('\r\n');
    for (const line of ['m=video 30002 TCP/RTP/AVP 96', 'a=setup:passive', 'a=connection:new']) {
      assert.ok(offer.includes(line), `${line} in the offer`);
    }
    client.close();
  });

  it("takes the SSRC of the answer's y= where it differs from the offer's", async () => {
    const { client, server } = device(answerSdp('0100000001'));
    const dialog = await invitePlay(server, client, {
      deviceId,
      channelId,
      media: udpOffer,
      ssrc: 12345,
    });
    assert.equal(dialog.ssrc, 100000001);
    client.close();
  });

  it('keeps the offered SSRC where the answer has no readable y=', async () => {
    const { client, server } = device(answerSdp('not-a-number'));
    const dialog = await invitePlay(server, client, {
      deviceId,
      channelId,
      media: udpOffer,
      ssrc: 12345,
    });
    assert.equal(dialog.ssrc, 12345);
    client.close();
  });
});
