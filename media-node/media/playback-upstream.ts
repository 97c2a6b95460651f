/**
 * The device side of a playback or download (GB/T 28181-2016 §9.8): an RTP receiver and
 * ingest like live video's, an INVITE with `s=Playback` or `s=Download` and a history SSRC
 * (first digit 1), INFO with MANSRTSP to pause, resume, scale and seek, BYE to end. The
 * upstream ends on its own where the device says the range is over (MediaStatus 121), sends
 * BYE, closes its TCP media connection, or stops sending while not paused.
 */
import type { Logger } from '../../src/logger.ts';
import type { ElementaryFrame } from '../formats/ps-demuxer.ts';
import { buildMansrtsp, MANSRTSP_CONTENT_TYPE, type MansrtspRequest } from '../formats/mansrtsp.ts';
import type { GbServer } from '../gb/gb-server.ts';
import { invitePlay, sendBye, sendInfo, type LiveDialog } from '../gb/live-invite.ts';
import { MEDIA_STATUS_END, type MediaStatusNotice } from '../gb/media-status.ts';
import type { SipClient } from '../sip/sip-client.ts';
import { openRtpReceiver } from './open-rtp-receiver.ts';
import { RtpIngest } from './rtp-ingest.ts';
import type { RtpPortPool } from './rtp-port-pool.ts';
import { answeredPsPayloadType, type RtpReceiver, type TcpMode } from './rtp-receiver.ts';

export interface HistoryDialogsOptions {
  readonly server: GbServer;
  readonly client: SipClient;
  readonly ports: RtpPortPool;
  readonly logger: Logger;
  readonly tcpMode?: TcpMode;
  /** How long an upstream that is not paused may receive no RTP (15 s by default). */
  readonly noMediaTimeoutMs?: number;
}

export interface HistoryRequest {
  readonly deviceId: string;
  readonly channelId: string;
  readonly transport: 'UDP' | 'TCP';
  readonly kind: 'Playback' | 'Download';
  readonly start: Date;
  readonly end: Date;
  /** Download: times real time. */
  readonly downloadSpeed?: number;
  readonly onFrame: (frame: ElementaryFrame) => void;
  /** Told once why the upstream ended on its own (not when `close` ended it). */
  readonly onEnd: (reason: string) => void;
}

/** Why an upstream ended, as its owner is told. */
export const historyEndReasons = {
  mediaStatus: 'media_status_121',
  bye: 'device_bye',
  noMedia: 'no_media',
  mediaClosed: 'media_closed',
} as const;

export class HistoryUpstream {
  readonly request: HistoryRequest;
  readonly ingest: RtpIngest;
  readonly receiver: RtpReceiver;
  readonly dialog: LiveDialog;
  /** Since when RTP is expected: the start, or the last resume. */
  activeSince = Date.now();
  paused = false;
  #mansrtspCSeq = 0;
  #ended = false;
  readonly #close: (upstream: HistoryUpstream, sendByeToDevice: boolean) => Promise<void>;
  readonly #info: (upstream: HistoryUpstream, body: string) => Promise<number>;

  constructor(
    parts: {
      request: HistoryRequest;
      ingest: RtpIngest;
      receiver: RtpReceiver;
      dialog: LiveDialog;
    },
    close: (upstream: HistoryUpstream, sendByeToDevice: boolean) => Promise<void>,
    info: (upstream: HistoryUpstream, body: string) => Promise<number>,
  ) {
    this.request = parts.request;
    this.ingest = parts.ingest;
    this.receiver = parts.receiver;
    this.dialog = parts.dialog;
    this.#close = close;
    this.#info = info;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Sends a MANSRTSP request (its CSeq is filled in) in an INFO; resolves with the device's
   * status. A PAUSE marks the upstream paused (no RTP is then expected), a PLAY unpauses it.
   */
  async control(request: Omit<MansrtspRequest, 'cseq'>): Promise<number> {
    const body = buildMansrtsp({ ...request, cseq: ++this.#mansrtspCSeq });
    const status = await this.#info(this, body);
    if (status >= 300) return status;
    this.paused = request.method === 'PAUSE';
    this.activeSince = Date.now();
    return status;
  }

  /** Ends the upstream: BYE to the device where `sendByeToDevice`, the port released. */
  async close(sendByeToDevice = true): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#close(this, sendByeToDevice);
  }

  /** Ends the upstream for `reason` and tells its owner. */
  endOnItsOwn(reason: string, sendByeToDevice: boolean): void {
    if (this.#ended) return;
    void this.close(sendByeToDevice);
    this.request.onEnd(reason);
  }
}

export class HistoryDialogs {
  readonly #options: HistoryDialogsOptions;
  readonly #open = new Set<HistoryUpstream>();
  readonly #watchdog: ReturnType<typeof setInterval>;
  #ssrcSerial = 0;

  constructor(options: HistoryDialogsOptions) {
    this.#options = options;
    options.server.onRemoteBye((callId) => this.#byCallId(callId, historyEndReasons.bye, false));
    options.server.mediaStatus.listen((notice) => this.#mediaStatus(notice));
    this.#watchdog = setInterval(() => this.#checkMedia(), 1000);
    this.#watchdog.unref();
  }

  /**
   * Opens a receiver, INVITEs the device for the range and takes its answer.
   * @throws ArgusError UNAVAILABLE where the device is offline, refuses or does not answer,
   *   or no RTP port is free
   */
  async open(request: HistoryRequest): Promise<HistoryUpstream> {
    const { server, client, ports } = this.#options;
    const { deviceId, channelId } = request;
    const logger = this.#options.logger.child({ deviceId, channelId, kind: request.kind });
    const deviceAddress = server.registration(deviceId).peer.address;
    const ingest = new RtpIngest({
      onFrame: (frame) => request.onFrame(frame),
      logger,
      ordered: request.transport === 'TCP',
    });
    const receiver = await openRtpReceiver({
      transport: request.transport,
      tcpMode: this.#options.tcpMode ?? 'passive',
      ports,
      ingest,
      logger,
      deviceAddress,
    });
    let dialog: LiveDialog;
    try {
      dialog = await invitePlay(server, client, {
        deviceId,
        channelId,
        media: receiver.offer,
        ssrc: this.#nextSsrc(),
        history: {
          sessionName: request.kind,
          start: Math.floor(request.start.getTime() / 1000),
          end: Math.ceil(request.end.getTime() / 1000),
          ...(request.downloadSpeed !== undefined && { downloadSpeed: request.downloadSpeed }),
        },
      });
    } catch (error) {
      receiver.close();
      throw error;
    }
    try {
      const media = await receiver.start(dialog.answer);
      ingest.expect({ ssrc: dialog.ssrc, payloadType: answeredPsPayloadType(media) });
    } catch (error) {
      receiver.close();
      await sendBye(server, client, dialog).catch(() => undefined);
      throw error;
    }

    const upstream = new HistoryUpstream(
      { request, ingest, receiver, dialog },
      (u, bye) => this.#closeUpstream(u, bye),
      (u, body) => this.#sendInfo(u, body),
    );
    this.#open.add(upstream);
    receiver.onEnd(() => upstream.endOnItsOwn(historyEndReasons.mediaClosed, true));
    const { callId, ssrc } = dialog;
    logger.info(
      { callId, ssrc, transport: request.transport, port: receiver.port },
      'stream started',
    );
    return upstream;
  }

  close(): void {
    clearInterval(this.#watchdog);
  }

  async #closeUpstream(upstream: HistoryUpstream, sendByeToDevice: boolean): Promise<void> {
    this.#open.delete(upstream);
    upstream.receiver.close();
    const { deviceId, channelId, kind } = upstream.request;
    const { callId } = upstream.dialog;
    this.#options.logger.info(
      { deviceId, channelId, kind, callId, ...upstream.ingest.diagnostics() },
      'stream stopped',
    );
    if (!sendByeToDevice) return;
    const { server, client } = this.#options;
    await sendBye(server, client, upstream.dialog).catch((err: unknown) =>
      this.#options.logger.warn({ err, callId }, 'bye not answered'),
    );
  }

  async #sendInfo(upstream: HistoryUpstream, body: string): Promise<number> {
    const { server, client } = this.#options;
    const content = { contentType: MANSRTSP_CONTENT_TYPE, body: new TextEncoder().encode(body) };
    return sendInfo(server, client, upstream.dialog, content);
  }

  #byCallId(callId: string, reason: string, sendByeToDevice: boolean): boolean {
    for (const upstream of this.#open) {
      if (upstream.dialog.callId !== callId) continue;
      upstream.endOnItsOwn(reason, sendByeToDevice);
      return true;
    }
    return false;
  }

  /**
   * The end of a range: matched by the dialog's Call-ID; from a device that sends it outside
   * the dialog, by the channel it names where only one history stream of it is open.
   */
  #mediaStatus(notice: MediaStatusNotice): void {
    if (notice.notifyType !== MEDIA_STATUS_END) return;
    const reason = historyEndReasons.mediaStatus;
    if (this.#byCallId(notice.callId, reason, true)) return;
    const candidates = [...this.#open].filter(
      (u) =>
        u.request.deviceId === notice.deviceId &&
        (u.request.channelId === notice.bodyDeviceId || notice.bodyDeviceId === notice.deviceId),
    );
    if (candidates.length === 1) candidates[0]?.endOnItsOwn(reason, true);
  }

  #checkMedia(): void {
    const limit = this.#options.noMediaTimeoutMs ?? 15_000;
    const now = Date.now();
    for (const upstream of this.#open) {
      if (upstream.paused) continue;
      const last = Math.max(upstream.ingest.lastPacketAt, upstream.activeSince);
      if (now - last > limit) upstream.endOnItsOwn(historyEndReasons.noMedia, true);
    }
  }

  /** `y=` for history: 1, then the domain's digits 4–8, then a serial (GB/T 28181-2016 §F). */
  #nextSsrc(): number {
    this.#ssrcSerial = (this.#ssrcSerial % 9999) + 1;
    const domain = this.#options.server.domain.slice(3, 8);
    return Number(`1${domain}${String(this.#ssrcSerial).padStart(4, '0')}`);
  }
}
