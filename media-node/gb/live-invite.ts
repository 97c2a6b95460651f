/**
 * Live video dialogs (GB/T 28181-2016 §9.2.2): INVITE with `s=Play`, PS/90000 over RTP and
 * the SSRC in `y=`; ACK the 200; BYE to end. The device streams to the port offered.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { buildSdp, formatGbSsrc, parseSdp, type GbSdp } from '../formats/sdp.ts';
import { parseNameAddr, type SipResponse } from '../formats/sip-message.ts';
import type { SipClient } from '../sip/sip-client.ts';
import type { SipPeer } from '../sip/sip-transport.ts';
import type { GbServer } from './gb-server.ts';

export interface LiveDialog {
  readonly deviceId: string;
  readonly channelId: string;
  readonly callId: string;
  readonly peer: SipPeer;
  readonly from: string;
  readonly to: string;
  readonly remoteTarget: string;
  readonly ssrc: number;
  /** The device's answer. */
  readonly answer: GbSdp;
}

export interface PlayRequest {
  readonly deviceId: string;
  readonly channelId: string;
  readonly rtpPort: number;
  readonly ssrc: number;
}

/**
 * Sends the INVITE and the ACK for its 200.
 * @throws ArgusError UNAVAILABLE where the device refuses, does not answer or is not online
 */
export async function invitePlay(
  server: GbServer,
  client: SipClient,
  play: PlayRequest,
): Promise<LiveDialog> {
  const { peer } = server.registration(play.deviceId);
  const host = server.localAddress(peer);
  const y = formatGbSsrc(play.ssrc);
  const sdp = buildSdp({
    origin: { username: server.serverId, address: host },
    sessionName: 'Play',
    connection: host,
    time: [0, 0],
    media: [
      {
        type: 'video',
        port: play.rtpPort,
        protocol: 'RTP/AVP',
        payloads: [{ pt: 96, encoding: 'PS', clock: 90000 }],
        direction: 'recvonly',
      },
    ],
    ssrc: y,
  });

  const uri = `sip:${play.channelId}@${peer.address}:${peer.port}`;
  const from = server.platformFrom();
  const invite = client.build(peer, {
    method: 'INVITE',
    uri,
    from,
    to: `<sip:${play.channelId}@${server.domain}>`,
    cseq: server.nextCSeq(),
    headers: [
      ['Contact', `<sip:${server.serverId}@${host}:${server.sipPort}>`],
      ['Subject', `${play.channelId}:${y},${server.serverId}:0`],
    ],
    contentType: 'APPLICATION/SDP',
    body: new TextEncoder().encode(sdp),
  });

  const response = await client.request(peer, invite);
  const callId = invite.headers.get('Call-ID') ?? '';
  if (response.status !== 200) {
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot start live video: device answered ${response.status} ${response.reason}`,
      { deviceId: play.deviceId, channelId: play.channelId, callId },
    );
  }

  const dialog: LiveDialog = {
    deviceId: play.deviceId,
    channelId: play.channelId,
    callId,
    peer,
    from,
    to: response.headers.get('To') ?? '',
    remoteTarget: remoteTarget(response, uri),
    ssrc: play.ssrc,
    answer: parseSdp(new TextDecoder().decode(response.body)),
  };
  const cseq = Number((invite.headers.get('CSeq') ?? '0').split(' ')[0]);
  client.sendOnly(peer, client.build(peer, dialogRequest(dialog, 'ACK', cseq)));
  return dialog;
}

/** Ends a live dialog. Resolves once the device answered or the transaction timed out. */
export async function sendBye(
  server: GbServer,
  client: SipClient,
  dialog: LiveDialog,
): Promise<number> {
  const bye = client.build(dialog.peer, dialogRequest(dialog, 'BYE', server.nextCSeq()));
  const response = await client.request(dialog.peer, bye);
  return response.status;
}

function dialogRequest(dialog: LiveDialog, method: 'ACK' | 'BYE', cseq: number) {
  return {
    method,
    uri: dialog.remoteTarget,
    from: dialog.from,
    to: dialog.to,
    callId: dialog.callId,
    cseq,
  };
}

/** The 200's Contact is the dialog's remote target (RFC 3261 §12.1.2). */
function remoteTarget(response: SipResponse, fallback: string): string {
  const contact = response.headers.get('Contact');
  if (contact === undefined) return fallback;
  try {
    return parseNameAddr(contact).uri;
  } catch {
    return fallback;
  }
}
