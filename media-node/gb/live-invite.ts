/**
 * Live video dialogs (GB/T 28181-2016 §9.2.2): INVITE with `s=Play`, PS/90000 over RTP and
 * the SSRC in `y=`; ACK the 200; BYE to end. The offer's m= line says how the device sends:
 * to a UDP port, or over TCP (§F, RFC 4571) to the node's port or from its own (RFC 4145).
 * The same dialog fetches a recording (§9.8): `s=Playback` or `s=Download` with `u=` the
 * channel and `t=` the range, controlled by INFO with MANSRTSP.
 */
import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import {
  buildSdp,
  formatGbSsrc,
  parseGbSsrc,
  parseSdp,
  type GbSdp,
  type SdpMedia,
} from '../formats/sdp.ts';
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
  /** The SSRC of the answer's `y=` where it has a readable one, else the one offered. */
  readonly ssrc: number;
  /** The device's answer. */
  readonly answer: GbSdp;
}

/** What requests inside a dialog are addressed with. */
type DialogIds = Pick<LiveDialog, 'callId' | 'peer' | 'from' | 'to' | 'remoteTarget'>;

/** The offer's transport: port and protocol, and for TCP the node's role (RFC 4145 §4). */
export type MediaOffer = Pick<SdpMedia, 'port' | 'protocol' | 'setup' | 'connection'>;

export interface PlayRequest {
  readonly deviceId: string;
  readonly channelId: string;
  readonly media: MediaOffer;
  readonly ssrc: number;
  /** A recording instead of live video (§9.8): `s=Playback` or `s=Download`. */
  readonly history?: HistoryOffer;
}

/** What a history INVITE asks for: `u=<channel>:0`, `t=<start> <end>` in Unix seconds. */
export interface HistoryOffer {
  readonly sessionName: 'Playback' | 'Download';
  readonly start: number;
  readonly end: number;
  /** Download: `a=downloadspeed:<N>`, N times real time. */
  readonly downloadSpeed?: number;
}

/**
 * Sends the INVITE and the ACK for its 200.
 * @throws ArgusError UNAVAILABLE where the device refuses (with the response `status` in its
 *   details), does not answer or is not online
 */
export async function invitePlay(
  server: GbServer,
  client: SipClient,
  play: PlayRequest,
): Promise<LiveDialog> {
  const { peer } = server.registration(play.deviceId);
  const invite = buildInvite(server, client, peer, play);
  const response = await client.request(peer, invite);
  const callId = invite.headers.get('Call-ID') ?? '';
  const context = { deviceId: play.deviceId, channelId: play.channelId, callId };
  const what = play.history === undefined ? 'live video' : play.history.sessionName.toLowerCase();
  if (response.status !== 200) {
    // The status lets the caller tell a refused transport (488, 415) from a refused call.
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot start ${what}: device answered ${response.status} ${response.reason}`,
      { ...context, status: response.status },
    );
  }

  const ids: DialogIds = {
    callId,
    peer,
    from: invite.headers.get('From') ?? '',
    to: response.headers.get('To') ?? '',
    remoteTarget: remoteTarget(response, invite.uri),
  };
  // Every 2xx is ACKed, even one whose answer is then refused with a BYE (RFC 3261 §13.2.2.4).
  const cseq = Number((invite.headers.get('CSeq') ?? '0').split(' ')[0]);
  client.sendOnly(peer, client.build(peer, dialogRequest(ids, 'ACK', cseq)));

  const answer = readAnswer(response);
  if (answer === undefined) {
    await sendBye(server, client, ids).catch(() => undefined);
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot start ${what}: the device answered with an SDP that cannot be read`,
      context,
    );
  }
  const ssrc = answeredSsrc(answer) ?? play.ssrc;
  return { ...ids, deviceId: play.deviceId, channelId: play.channelId, ssrc, answer };
}

/** The SSRC of the answer's `y=`, where it has one that can be read. */
function answeredSsrc(answer: GbSdp): number | undefined {
  if (answer.ssrc === undefined) return undefined;
  try {
    return parseGbSsrc(answer.ssrc);
  } catch {
    return undefined;
  }
}

/** The INVITE with the SDP offer: PS/90000 as `play.media` says, the SSRC in `y=`. */
function buildInvite(server: GbServer, client: SipClient, peer: SipPeer, play: PlayRequest) {
  const host = server.localAddress(peer);
  const y = formatGbSsrc(play.ssrc);
  const { history } = play;
  const speed = history?.downloadSpeed;
  const sdp = buildSdp({
    origin: { username: server.serverId, address: host },
    sessionName: history?.sessionName ?? 'Play',
    ...(history !== undefined && { uri: `${play.channelId}:0` }),
    connection: host,
    time: history === undefined ? [0, 0] : [history.start, history.end],
    media: [
      {
        type: 'video',
        ...play.media,
        payloads: [{ pt: 96, encoding: 'PS', clock: 90000 }],
        direction: 'recvonly',
        ...(speed !== undefined && { attributes: [`downloadspeed:${speed}`] }),
      },
    ],
    ssrc: y,
  });
  return client.build(peer, {
    method: 'INVITE',
    uri: `sip:${play.channelId}@${peer.address}:${peer.port}`,
    from: server.platformFrom(),
    to: `<sip:${play.channelId}@${server.domain}>`,
    cseq: server.nextCSeq(),
    headers: [
      ['Contact', `<sip:${server.serverId}@${host}:${server.sipPort}>`],
      ['Subject', `${play.channelId}:${y},${server.serverId}:0`],
    ],
    contentType: 'APPLICATION/SDP',
    body: new TextEncoder().encode(sdp),
  });
}

/** Ends a live dialog. Resolves once the device answered or the transaction timed out. */
export async function sendBye(
  server: GbServer,
  client: SipClient,
  dialog: DialogIds,
): Promise<number> {
  const bye = client.build(dialog.peer, dialogRequest(dialog, 'BYE', server.nextCSeq()));
  const response = await client.request(dialog.peer, bye);
  return response.status;
}

/**
 * Sends an INFO in the dialog (MANSRTSP playback control, GB/T 28181-2016 §9.8.3); resolves
 * with the device's status, or rejects where the transaction timed out.
 */
export async function sendInfo(
  server: GbServer,
  client: SipClient,
  dialog: DialogIds,
  content: { contentType: string; body: Uint8Array },
): Promise<number> {
  const info = client.build(dialog.peer, {
    ...dialogRequest(dialog, 'INFO', server.nextCSeq()),
    ...content,
  });
  const response = await client.request(dialog.peer, info);
  return response.status;
}

function dialogRequest(dialog: DialogIds, method: 'ACK' | 'BYE' | 'INFO', cseq: number) {
  return {
    method,
    uri: dialog.remoteTarget,
    from: dialog.from,
    to: dialog.to,
    callId: dialog.callId,
    cseq,
  };
}

/** The device's SDP answer, or undefined where it cannot be read. */
function readAnswer(response: SipResponse): GbSdp | undefined {
  try {
    return parseSdp(new TextDecoder().decode(response.body));
  } catch (error) {
    if (isArgusError(error)) return undefined;
    throw error;
  }
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
