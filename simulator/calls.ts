/**
 * Live video calls of the simulated camera (GB/T 28181-2016 §9.2): INVITE with the
 * platform's SDP offer → 100 Trying → 200 OK with the device's SDP (same `y=` SSRC), resent
 * until ACK (RFC 3261 §13.3.1.4); ACK starts the clip over RTP, on UDP or on TCP (§F, RFC
 * 4571) as offered; BYE stops it. One call per Call-ID, any number at once.
 */
import { randomInt } from 'node:crypto';
import { isArgusError } from '../src/errors.ts';
import {
  buildSdp,
  formatGbSsrc,
  isTcpRtpProtocol,
  parseGbSsrc,
  parseSdp,
} from '../media-node/formats/sdp.ts';
import type { GbSdp, SdpMedia } from '../media-node/formats/sdp.ts';
import { parseSipUri } from '../media-node/formats/sip-message.ts';
import type { SipRequest, SipResponse } from '../media-node/formats/sip-message.ts';
import { ClipStreamer } from './clip-streamer.ts';
import { faultySender } from './faults.ts';
import type { StreamTarget } from './rtp-frame-sender.ts';
import type { Clock } from './clock.ts';
import type { EmitEvent } from './events.ts';
import type { ClipFrame } from './media/clip.ts';
import { openMediaLeg, type MediaLeg, type MediaRole } from './media-leg.ts';
import {
  applyMansrtsp,
  mediaStatusBody,
  PlaybackStreamer,
  readHistoryRequest,
} from './playback.ts';
import type { HistoryRequest } from './playback.ts';
import { T1, T2 } from './sip-transactions.ts';
import { newTag } from './user-agent.ts';
import type { UserAgent } from './user-agent.ts';

/**
 * `f=` of the answer (GB/T 28181-2016 Annex F): H.264 (2) or, as the 2022 edition numbers it,
 * H.265 (5); CIF-class (2), 25 fps, CBR (1), 256 kbit/s; no audio.
 */
const MEDIA_FORMAT = { h264: 'v/2/2/25/1/256a///', h265: 'v/5/2/25/1/256a///' } as const;

/** Reason phrases of the statuses a camera refuses a TCP offer with (RFC 3261 §21.4). */
const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  415: 'Unsupported Media Type',
  488: 'Not Acceptable Here',
};

interface Offer {
  channelId: string;
  target: StreamTarget;
  role: MediaRole;
  /** The offer's m= transport and `a=setup`, as written, for the `invite` event. */
  protocol: string;
  setup: string | undefined;
  /** `s=Playback` or `s=Download`: the recording asked for (playback.ts). */
  history: HistoryRequest | undefined;
}

interface Call {
  callId: string;
  channelId: string;
  target: StreamTarget;
  role: MediaRole;
  leg: MediaLeg;
  ended: boolean;
  ok: SipResponse;
  acked: boolean;
  timers: unknown[];
  streamer?: ClipStreamer | PlaybackStreamer;
  history: HistoryRequest | undefined;
  /** The dialog's tags, for requests the camera sends in it (MediaStatus). */
  dialog: { localTag: string; remote: string };
}

/** An offer the simulator cannot serve, with the response status that says why. */
class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export class Calls {
  readonly #calls = new Map<string, Call>();
  #mediaStatusSn = 0;

  constructor(
    private readonly ua: UserAgent,
    private readonly clock: Clock,
    private readonly emit: EmitEvent,
    private readonly frames: () => ClipFrame[],
    private readonly channelIds: string[],
  ) {}

  async onInvite(req: SipRequest): Promise<void> {
    const callId = req.headers.get('Call-ID') ?? '';
    if (this.#calls.has(callId)) {
      // A re-INVITE: the simulator keeps the session as it is.
      this.ua.reply(req, 488, 'Not Acceptable Here');
      return;
    }
    let offer: Offer;
    try {
      offer = this.#readOffer(req);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      this.ua.reply(req, error.status, error.reason);
      this.emit({ event: 'invite_refused', callId, status: error.status });
      return;
    }
    this.ua.reply(req, 100, 'Trying');
    await this.#answer(req, callId, offer);
  }

  onAck(req: SipRequest): void {
    const call = this.#calls.get(req.headers.get('Call-ID') ?? '');
    if (call === undefined || call.acked) return;
    call.acked = true;
    this.#clearTimers(call);
    this.emit({ event: 'ack', callId: call.callId, channelId: call.channelId });
    void this.#stream(call);
  }

  /** Starts the clip once media can flow (on TCP, once connected). */
  async #stream(call: Call): Promise<void> {
    let send;
    try {
      send = await call.leg.open(() => this.#mediaClosed(call));
    } catch (error) {
      this.emit({ event: 'media_closed', callId: call.callId, error: String(error) });
      return;
    }
    if (call.ended) return;
    const faults = this.ua.config.faults;
    if (faults !== undefined) send = faultySender(send, faults);
    call.streamer =
      call.history === undefined
        ? new ClipStreamer(this.frames(), send, call.target, this.clock)
        : this.#playback(call, call.history, send);
    call.streamer.start();
    const { address, port, ssrc } = call.target;
    this.emit({
      event: 'stream_started',
      callId: call.callId,
      channelId: call.channelId,
      ssrc,
      address,
      port,
      transport: call.role,
    });
  }

  /** The platform closed the TCP media connection: nothing more can be sent. */
  #mediaClosed(call: Call): void {
    if (call.ended) return;
    call.streamer?.stop();
    this.emit({ event: 'media_closed', callId: call.callId, channelId: call.channelId });
  }

  onBye(req: SipRequest): void {
    const call = this.#calls.get(req.headers.get('Call-ID') ?? '');
    if (call === undefined) {
      this.ua.reply(req, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.ua.reply(req, 200, 'OK');
    this.emit({ event: 'bye', callId: call.callId, channelId: call.channelId });
    this.#end(call);
  }

  /** INFO in a call: MANSRTSP playback control (playback.ts). */
  onInfo(req: SipRequest): void {
    const call = this.#calls.get(req.headers.get('Call-ID') ?? '');
    if (call === undefined) {
      this.ua.reply(req, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const streamer = call.streamer instanceof PlaybackStreamer ? call.streamer : undefined;
    const report = { emit: this.emit, callId: call.callId, channelId: call.channelId };
    const status = applyMansrtsp(streamer, req.body, report);
    this.ua.reply(req, status, status === 200 ? 'OK' : 'Bad Request');
  }

  /** A history call's streamer; at the end of its range the camera says so (MediaStatus). */
  #playback(call: Call, history: HistoryRequest, send: (packet: Uint8Array) => void) {
    const onEnd = () => void this.#sendMediaStatus(call).catch(() => undefined);
    return new PlaybackStreamer(this.frames(), send, call.target, this.clock, history, onEnd);
  }

  async #sendMediaStatus(call: Call): Promise<void> {
    const sn = ++this.#mediaStatusSn;
    const request = this.ua.buildRequest({
      method: 'MESSAGE',
      callId: call.callId,
      fromTag: call.dialog.localTag,
      to: call.dialog.remote,
      cseq: sn,
      body: mediaStatusBody(sn, call.channelId),
      contentType: 'Application/MANSCDP+xml',
    });
    const { status } = await this.ua.request(request);
    this.emit({ event: 'media_status_sent', callId: call.callId, notifyType: 121, status });
  }

  /** Ends every call (on exit). */
  stopAll(): void {
    for (const call of this.#calls.values()) this.#end(call);
  }

  #end(call: Call): void {
    call.ended = true;
    this.#clearTimers(call);
    this.#calls.delete(call.callId);
    const stats = call.streamer?.stop();
    call.leg.close();
    if (stats !== undefined) {
      this.emit({
        event: 'stream_stopped',
        callId: call.callId,
        channelId: call.channelId,
        ...stats,
      });
    }
  }

  #clearTimers(call: Call): void {
    for (const timer of call.timers.splice(0)) this.clock.clearTimeout(timer);
  }

  /** The channel asked for, where to send its video and over what. */
  #readOffer(req: SipRequest): Offer {
    const channelId = this.#channelOf(req);
    let sdp: GbSdp;
    try {
      sdp = parseSdp(new TextDecoder().decode(req.body));
    } catch (error) {
      if (isArgusError(error)) throw new Rejection(400, 'Bad Request');
      throw error;
    }
    const media = sdp.media.find((m) => m.type === 'video');
    const payloadType = media === undefined ? undefined : psPayloadType(media);
    const role = media === undefined ? undefined : roleFor(media);
    if (media === undefined || payloadType === undefined || role === undefined) {
      throw new Rejection(488, 'Not Acceptable Here');
    }
    const ssrc = readSsrc(sdp.ssrc);
    const address = media.address ?? sdp.connection;
    const target = { address, port: media.port, ssrc, payloadType };
    const served = this.#servedRole(role);
    const history = readHistoryRequest(sdp);
    return {
      channelId,
      role: served,
      target,
      protocol: media.protocol,
      setup: media.setup,
      history,
    };
  }

  /**
   * The role the camera takes: the offered one, unless it was told to refuse TCP
   * (`--refuse-tcp`), where it rejects the offer or falls back to UDP in its answer.
   */
  #servedRole(offered: MediaRole): MediaRole {
    const refusal = this.ua.config.refuseTcp;
    if (offered === 'udp' || refusal === undefined) return offered;
    if (refusal === 'answer-udp') return 'udp';
    throw new Rejection(refusal.status, REASON_PHRASES[refusal.status] ?? 'Not Acceptable');
  }

  /** The Request-URI user names the channel; the device ID itself means the first channel. */
  #channelOf(req: SipRequest): string {
    let user: string | undefined;
    try {
      user = parseSipUri(req.uri).user;
    } catch {
      user = undefined;
    }
    if (user === this.ua.config.deviceId) return this.channelIds[0] ?? user;
    if (user !== undefined && this.channelIds.includes(user)) return user;
    throw new Rejection(404, 'Not Found');
  }

  async #answer(req: SipRequest, callId: string, offer: Offer): Promise<void> {
    const { channelId, target, role } = offer;
    const leg = await openMediaLeg(role, target);
    const sessionName = offer.history?.kind ?? 'Play';
    const body = new TextEncoder().encode(this.#answerSdp(channelId, target, leg, sessionName));
    const localTag = newTag();
    const ok = this.ua.reply(req, 200, 'OK', {
      toTag: localTag,
      headers: [['Contact', this.ua.contact]],
      body,
      contentType: 'application/sdp',
    });
    const call: Call = {
      callId,
      channelId,
      target,
      role,
      leg,
      ended: false,
      ok,
      acked: false,
      timers: [],
      history: offer.history,
      dialog: { localTag, remote: req.headers.get('From') ?? '' },
    };
    this.#calls.set(callId, call);
    this.emit({
      event: 'invite',
      callId,
      channelId,
      ssrc: target.ssrc,
      address: target.address,
      port: target.port,
      protocol: offer.protocol,
      ...(offer.setup !== undefined && { setup: offer.setup }),
      answered: leg.answer.protocol,
      ...(offer.history !== undefined && { history: offer.history }),
    });
    if (!this.ua.transport.reliable) this.#resendOk(call, T1);
    call.timers.push(this.clock.setTimeout(() => this.#end(call), 64 * T1));
  }

  #resendOk(call: Call, interval: number): void {
    const timer = this.clock.setTimeout(() => {
      this.ua.transport.send(call.ok);
      this.#resendOk(call, Math.min(interval * 2, T2));
    }, interval);
    call.timers.push(timer);
  }

  #answerSdp(channelId: string, target: StreamTarget, leg: MediaLeg, sessionName: string): string {
    const address = this.ua.transport.localAddress;
    return buildSdp({
      origin: { username: channelId, address },
      sessionName,
      connection: address,
      time: [0, 0],
      media: [
        {
          type: 'video',
          ...leg.answer,
          payloads: [{ pt: target.payloadType, encoding: 'PS', clock: 90000 }],
          direction: 'sendonly',
        },
      ],
      ssrc: formatGbSsrc(target.ssrc),
      format: MEDIA_FORMAT[this.ua.config.codec ?? 'h264'],
    });
  }
}

/** The payload type of PS in an m= line: by a=rtpmap, else 96 where offered without one. */
function psPayloadType(media: SdpMedia): number | undefined {
  const ps = media.payloads.find((p) => p.encoding.toUpperCase() === 'PS');
  if (ps !== undefined) return ps.pt;
  return media.payloads.some((p) => p.pt === 96 && p.encoding === '') ? 96 : undefined;
}

/**
 * The simulator's side of the offered transport: UDP for RTP/AVP; on TCP the opposite of the
 * offer's `a=setup`, which is `active` where absent (RFC 4145 §4). Undefined for others.
 */
function roleFor(media: SdpMedia): MediaRole | undefined {
  if (media.protocol.toUpperCase() === 'RTP/AVP') return 'udp';
  if (!isTcpRtpProtocol(media.protocol)) return undefined;
  return media.setup === 'passive' ? 'tcp-active' : 'tcp-passive';
}

/** The offer's `y=`; without one, a live SSRC of our own (first digit 0). */
function readSsrc(y: string | undefined): number {
  if (y === undefined || y === '') return randomInt(1, 1_000_000_000);
  try {
    return parseGbSsrc(y);
  } catch {
    throw new Rejection(400, 'Bad Request');
  }
}
