/**
 * Cameras that refuse RTP over TCP (a 488, 415 or 400 to the INVITE, or a 200 offering only
 * RTP/AVP): the refusal is told apart from a refused call, so that the live session retries
 * once over UDP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ArgusError, errorCodes } from '../../../src/errors.ts';
import {
  buildResponse,
  type SipMessage,
  type SipRequest,
} from '../../../media-node/formats/sip-message.ts';
import { parseSdp } from '../../../media-node/formats/sdp.ts';
import type { GbServer } from '../../../media-node/gb/gb-server.ts';
import { invitePlay } from '../../../media-node/gb/live-invite.ts';
import { checkTcpAnswer, tcpRefusalOf } from '../../../media-node/media/tcp-refusal.ts';
import { SipClient } from '../../../media-node/sip/sip-client.ts';
import type { SipPeer, SipTransport } from '../../../media-node/sip/sip-transport.ts';

const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';
const peer: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 5060 };
const tcpOffer = {
  port: 30002,
  protocol: 'TCP/RTP/AVP',
  setup: 'passive',
  connection: 'new',
} as const;

const answerSdp = (protocol: string) =>
  [
    'v=0',
    `o=${channelId} 0 0 IN IP4 192.0.2.10`,
    's=Play',
    'c=IN IP4 192.0.2.10',
    't=0 0',
    `m=video 15060 ${protocol} 96`,
    'a=sendonly',
    'a=rtpmap:96 PS/90000',
    'y=0000012345',
    '',
  ].join('\r\n');

/** A device that answers every INVITE with `status` (and `sdp` on a 200). */
function device(status: number, reason: string, sdp = '') {
  const transport = {
    send(_: SipPeer, message: SipMessage) {
      if (message.kind !== 'request' || message.method === 'ACK') return true;
      const body = status === 200 ? new TextEncoder().encode(sdp) : undefined;
      const response = buildResponse(message as SipRequest, status, reason, {
        toTag: 'dev1',
        headers: [['Contact', `<sip:${channelId}@192.0.2.10:5060>`]],
        ...(body === undefined ? {} : { body, contentType: 'application/sdp' }),
      });
      setImmediate(() => client.handleResponse(response));
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
  return { client, server };
}

/** The error invitePlay rejects with where the device answers `status`. */
async function refusal(status: number, reason: string): Promise<unknown> {
  const { client, server } = device(status, reason);
  try {
    await invitePlay(server, client, { deviceId, channelId, media: tcpOffer, ssrc: 12345 });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    client.close();
  }
}

describe('tcpRefusalOf', () => {
  for (const [status, reason] of [
    [488, 'Not Acceptable Here'],
    [415, 'Unsupported Media Type'],
    [400, 'Bad Request'],
  ] as const) {
    it(`takes a ${status} ${reason} to a TCP offer for a refusal of TCP`, async () => {
      const error = await refusal(status, reason);

      assert.equal(tcpRefusalOf(error), `status ${status}`);
    });
  }

  it('does not take a refused call (486 Busy Here, 404 Not Found) for refusing TCP', async () => {
    assert.equal(tcpRefusalOf(await refusal(486, 'Busy Here')), undefined);
    assert.equal(tcpRefusalOf(await refusal(404, 'Not Found')), undefined);
  });

  it('does not take other errors for a refusal of TCP', () => {
    assert.equal(tcpRefusalOf(new Error('status 488')), undefined);
    const other = new ArgusError(errorCodes.VALIDATION, 'Cannot x: y', { status: 488 });
    assert.equal(tcpRefusalOf(other), undefined);
  });
});

describe('checkTcpAnswer', () => {
  it('refuses an answer that offers only RTP/AVP, as a refusal of TCP', () => {
    const answer = parseSdp(answerSdp('RTP/AVP'));

    let thrown: unknown;
    try {
      checkTcpAnswer(answer);
    } catch (error) {
      thrown = error;
    }

    assert.ok(thrown instanceof ArgusError && thrown.code === errorCodes.UNAVAILABLE);
    assert.equal(
      thrown.message,
      'Cannot receive RTP over TCP: the device answered RTP/AVP to a TCP offer',
    );
    assert.equal(tcpRefusalOf(thrown), 'answered RTP/AVP');
  });

  it('takes an answer that keeps TCP', () => {
    assert.doesNotThrow(() => checkTcpAnswer(parseSdp(answerSdp('TCP/RTP/AVP'))));
  });
});
