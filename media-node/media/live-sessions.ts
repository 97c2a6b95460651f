/**
 * Live sessions, one per channel: the first viewer makes the node INVITE the device; every
 * later viewer shares that upstream once its first RTP packet arrived; a few seconds after the
 * last viewer leaves the node sends BYE. A session whose RTP never comes or stops, whose TCP
 * media connection closes, or that the device ends with BYE, ends its viewers. The answered
 * dialog and the session's end are facts on `live-session-<callId>`, so that a node that
 * crashed can end the dialog after it starts again (gb/dialog-recovery.ts).
 */
import {
  decideStreamUsage,
  type DeviceEvent,
  type ViewerProtocol,
} from '../../src/domain/device.ts';
import { liveStopReasons, tagOf, type LiveSessionEvent } from '../../src/domain/live-session.ts';
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { formatGbSsrc } from '../formats/sdp.ts';
import type { DeviceCommands } from '../gb/device-commands.ts';
import type { GbServer } from '../gb/gb-server.ts';
import { invitePlay, sendBye, type LiveDialog } from '../gb/live-invite.ts';
import type { SipClient } from '../sip/sip-client.ts';
import type { Viewer } from './flv-stream-hub.ts';
import type { HlsStream } from './hls-stream.ts';
import { LiveStream } from './live-stream.ts';
import { openRtpReceiver } from './open-rtp-receiver.ts';
import { RtpIngest } from './rtp-ingest.ts';
import type { RtpPortPool } from './rtp-port-pool.ts';
import { answeredPsPayloadType, type RtpReceiver, type TcpMode } from './rtp-receiver.ts';
import type { StreamDiagnostics } from './stream-diagnostics.ts';
import { StreamMonitor } from './stream-monitor.ts';
import { checkTcpAnswer, tcpRefusalOf } from './tcp-refusal.ts';
import type { ViewerMeter } from './usage-meter.ts';

export interface LiveSessionsOptions {
  readonly server: GbServer;
  readonly client: SipClient;
  readonly ports: RtpPortPool;
  readonly commands: DeviceCommands;
  readonly logger: Logger;
  /** The node's ID (ARGUS_MEDIA_NODE_ID), recorded with each dialog. */
  readonly nodeId: string;
  /** How long a session without viewers keeps its upstream before BYE. */
  readonly lingerMs: number;
  /**
   * How long the first RTP packet may take once the INVITE was answered (ARGUS_NO_MEDIA_S):
   * then the session ends with reason `no_media` and its viewers get an error. 8 s by default.
   * RTP that stopped ends the session after the longer of this and 15 s (`media_stopped`).
   */
  readonly noMediaTimeoutMs?: number;
  /** The node's role for RTP over TCP (ARGUS_RTP_TCP_MODE); passive by default. */
  readonly tcpMode?: TcpMode;
  /**
   * How often usage is recorded and trouble summarised (ARGUS_METERING_INTERVAL_S); 60 s by
   * default.
   */
  readonly meteringIntervalMs?: number;
}

/** What a viewer asks for. The first viewer's transport is the one the session uses. */
export interface LiveRequest {
  readonly deviceId: string;
  readonly channelId: string;
  /** RTP from the device over UDP, or over TCP framed per RFC 4571. */
  readonly transport: 'UDP' | 'TCP';
  /** How the viewer receives the stream, for the logs and metering (HTTP_FLV by default). */
  readonly protocol?: ViewerProtocol;
}

interface Session {
  readonly key: string;
  readonly deviceId: string;
  readonly channelId: string;
  /** The first viewer's choice; UDP where the device refused TCP (tcp-refusal.ts). */
  transport: 'UDP' | 'TCP';
  /** Why the session fell back from TCP to UDP, where it did. */
  fallback?: string;
  readonly hub: LiveStream;
  readonly monitor: StreamMonitor;
  hlsMeter?: ViewerMeter;
  ready: Promise<void>;
  receiver?: RtpReceiver;
  ingest?: RtpIngest;
  dialog?: LiveDialog;
  linger?: ReturnType<typeof setTimeout>;
  startedAt: number;
  stopping: boolean;
  /** Why the session ended, once it did. */
  stopReason?: string;
}

/** An accepted offer: the dialog and the receiver its media arrives on. */
interface Offered {
  readonly dialog: LiveDialog;
  readonly receiver: RtpReceiver;
}

const DEFAULT_METERING_INTERVAL_MS = 60_000;
const DEFAULT_NO_MEDIA_MS = 8000;
/** RTP that flowed and stopped for this long ends the session (at least the no-media time). */
const MEDIA_STOPPED_MS = 15_000;
/** How often a starting session looks for its first RTP packet. */
const FIRST_RTP_POLL_MS = 25;
/** How long close() waits for sessions still being started to end their dialog. */
const CLOSE_WAIT_MS = 3000;

export class LiveSessions {
  readonly #options: LiveSessionsOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #watchdog: ReturnType<typeof setInterval>;
  readonly #hlsWatch: ReturnType<typeof setInterval>;
  readonly #metering: ReturnType<typeof setInterval>;
  #ssrcSerial = 0;
  /** SSRCs a dialog recorded before this process started may still use (reserveSsrcs). */
  readonly #reservedSsrcs = new Set<number>();
  /** INVITEs sent since start (tests and metrics read it). */
  invites = 0;

  constructor(options: LiveSessionsOptions) {
    this.#options = options;
    options.server.onRemoteBye((callId) => this.remoteBye(callId));
    this.#watchdog = setInterval(() => this.#checkMedia(), 1000);
    this.#watchdog.unref();
    this.#hlsWatch = setInterval(() => this.#checkHls(), 1000);
    this.#hlsWatch.unref();
    this.#metering = setInterval(
      () => this.#report(),
      options.meteringIntervalMs ?? DEFAULT_METERING_INTERVAL_MS,
    );
    this.#metering.unref();
  }

  /**
   * Attaches a viewer to a channel's live stream, starting the upstream where needed.
   * Returns the detach function.
   * @throws ArgusError UNAVAILABLE where the device cannot be reached or refuses, or no
   * RTP port is free
   */
  async attach(request: LiveRequest, viewer: Viewer): Promise<() => void> {
    const { deviceId, channelId, protocol } = request;
    const attached = await this.#join(request);
    const metered = meteredViewer(
      viewer,
      attached.monitor.meter.openViewer(protocol ?? 'HTTP_FLV'),
    );
    attached.hub.attach(metered);
    this.#options.logger.info(
      { deviceId, channelId, protocol, viewers: attached.hub.viewerCount },
      'viewer attached',
    );
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      const given = attached.hub.detach(metered);
      metered.close();
      void this.#recordUsage(attached);
      this.#options.logger.info(
        { deviceId, channelId, protocol, viewers: attached.hub.viewerCount, ...given },
        'viewer detached',
      );
      if (attached.hub.viewerCount === 0 && !attached.stopping) this.#scheduleStop(attached);
    };
  }

  /**
   * The channel's HLS stream, starting the upstream and the segmenter where needed. The
   * request counts as HLS viewing: see #checkHls.
   * @throws ArgusError UNAVAILABLE like attach
   */
  async hls(request: LiveRequest): Promise<HlsStream> {
    const { deviceId, channelId } = request;
    const session = await this.#join(request);
    const fresh = session.hub.hls === undefined;
    if (fresh) session.hlsMeter = session.monitor.meter.openViewer('HTTP_HLS');
    const meter = session.hlsMeter;
    const hls = session.hub.startHls((bytes) => meter?.add(bytes));
    hls.touch();
    if (fresh) {
      const viewers = session.hub.viewerCount;
      this.#options.logger.info(
        { deviceId, channelId, protocol: 'HTTP_HLS', viewers },
        'viewer attached',
      );
    }
    return hls;
  }

  /** The channel's HLS stream while it is being requested; starts nothing. */
  findHls(deviceId: string, channelId: string): HlsStream | undefined {
    const session = this.#sessions.get(`${deviceId}/${channelId}`);
    return session === undefined || session.stopping ? undefined : session.hub.hls;
  }

  /** The channel's session, started where there is none, once its upstream is ready. */
  async #join(request: LiveRequest): Promise<Session> {
    const key = `${request.deviceId}/${request.channelId}`;
    let session = this.#sessions.get(key);
    if (session === undefined || session.stopping) session = this.#start(key, request);
    clearTimeout(session.linger);
    await session.ready;
    return session;
  }

  /** A BYE from the device ends its session. */
  remoteBye(callId: string): void {
    for (const session of this.#sessions.values()) {
      if (session.dialog?.callId !== callId) continue;
      void this.#stop(session, liveStopReasons.deviceBye, false);
    }
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Counters and first-event times of every live session, for `GET /streams`. */
  diagnostics(): StreamDiagnostics[] {
    return [...this.#sessions.values()].map((session) => session.monitor.diagnostics());
  }

  /**
   * Keeps `ssrcs` out of the SSRCs this node hands out, and continues the serial after the
   * highest of them: they were recorded in dialogs a previous run of the node left open, and a
   * device that missed the BYE may still send them.
   */
  reserveSsrcs(ssrcs: Iterable<number>): void {
    const domain = this.#domainDigits();
    for (const ssrc of ssrcs) {
      this.#reservedSsrcs.add(ssrc);
      const y = formatGbSsrc(ssrc);
      const serial = Number(y.slice(6));
      if (y.slice(1, 6) === domain && serial > this.#ssrcSerial) this.#ssrcSerial = serial;
    }
  }

  /**
   * Ends every session with a BYE and its end recorded; waits a little for sessions still
   * being started, whose dialog ends once their INVITE is answered.
   */
  async close(): Promise<void> {
    clearInterval(this.#watchdog);
    clearInterval(this.#hlsWatch);
    clearInterval(this.#metering);
    const sessions = [...this.#sessions.values()];
    await Promise.all(sessions.map((s) => this.#stop(s, liveStopReasons.shutdown, true)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    await Promise.race([Promise.allSettled(sessions.map((s) => s.ready)), waited]);
    clearTimeout(timer);
  }

  #start(key: string, request: LiveRequest): Session {
    const { deviceId, channelId } = request;
    const hub = new LiveStream({
      logger: this.#options.logger.child({ deviceId, channelId }),
      now: () => Date.now(),
    });
    const fields = {
      key,
      deviceId: request.deviceId,
      channelId: request.channelId,
      transport: request.transport,
      hub,
      startedAt: Date.now(),
      stopping: false,
      ready: Promise.resolve(),
    };
    // The monitor reads the ingest, receiver and dialog that #open adds to this same object.
    const session: Session = Object.assign(fields, {
      monitor: new StreamMonitor(fields, () => Date.now()),
    });
    const ready = this.#open(session).catch((error: unknown) => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
      session.receiver?.close();
      throw error;
    });
    session.ready = ready;
    this.#sessions.set(key, session);
    return session;
  }

  /**
   * Invites the device and waits for its first RTP packet.
   * @throws ArgusError UNAVAILABLE where the device refuses, cannot be reached, or sends no
   *   RTP within the no-media time (the session is then ended)
   */
  async #open(session: Session): Promise<void> {
    const { logger } = this.#options;
    const { dialog, receiver } = await this.#offerWithFallback(session);
    session.dialog = dialog;
    session.startedAt = Date.now();
    logger.info(
      {
        deviceId: session.deviceId,
        channelId: session.channelId,
        callId: dialog.callId,
        transport: session.transport,
        ...(session.fallback !== undefined && { fallback: session.fallback }),
        setup: receiver.offer.setup,
        port: receiver.port,
        ssrc: dialog.ssrc,
      },
      'stream started',
    );
    await this.#record(dialog.callId, {
      type: 'LiveStreamStarted',
      data: {
        deviceId: session.deviceId,
        channelId: session.channelId,
        callId: dialog.callId,
        ssrc: String(dialog.ssrc),
        at: new Date().toISOString(),
      },
    });
    await this.#firstRtp(session, dialog);
  }

  /**
   * Resolves once the session's first RTP packet arrived. Where none did within the no-media
   * time, ends the session (BYE, reason `no_media`) and throws, so that its viewers get an
   * error rather than an empty stream.
   * @throws ArgusError UNAVAILABLE
   */
  async #firstRtp(session: Session, dialog: LiveDialog): Promise<void> {
    const limit = this.#noMediaMs();
    const { deviceId, channelId } = session;
    while (session.ingest?.firstPacketAt === undefined) {
      if (session.stopping) throw endedWhileStarting(session);
      if (Date.now() - session.startedAt >= limit) {
        this.#options.logger.warn(
          { deviceId, channelId, callId: dialog.callId, transport: session.transport, limit },
          'no media from device',
        );
        void this.#stop(session, liveStopReasons.noMedia, true);
        throw new ArgusError(
          errorCodes.UNAVAILABLE,
          `Cannot start live video: no RTP from the device within ${limit / 1000} s`,
          { deviceId, channelId, callId: dialog.callId },
        );
      }
      await sleep(FIRST_RTP_POLL_MS);
    }
  }

  /**
   * Offers the session's transport; where that is TCP and the device refuses it
   * (tcp-refusal.ts), offers UDP once instead, with one warning.
   * @throws ArgusError UNAVAILABLE as #offer does
   */
  async #offerWithFallback(session: Session): Promise<Offered> {
    const scoped = this.#options.logger.child({
      deviceId: session.deviceId,
      channelId: session.channelId,
    });
    try {
      return await this.#offer(session, scoped);
    } catch (error) {
      const refusal = session.transport === 'TCP' ? tcpRefusalOf(error) : undefined;
      if (refusal === undefined || session.stopping) throw error;
      session.receiver?.close();
      scoped.warn({ refusal, transport: 'UDP' }, 'rtp over tcp refused, retrying over udp');
      session.transport = 'UDP';
      session.fallback = refusal;
      return this.#offer(session, scoped);
    }
  }

  /**
   * One offer over the session's current transport: a fresh ingest and receiver (the port
   * listens only for the device's SIP address), the INVITE, and the answer taken.
   * @throws ArgusError UNAVAILABLE as invitePlay and #startReceiving do
   */
  async #offer(session: Session, scoped: Logger): Promise<Offered> {
    const { server, client, ports } = this.#options;
    const deviceAddress = server.registration(session.deviceId).peer.address;
    const ingest = new RtpIngest({
      onFrame: (frame) => session.hub.push(frame),
      logger: scoped,
      ordered: session.transport === 'TCP', // RFC 4571 keeps packets in order: nothing to hold
    });
    session.ingest = ingest;
    const receiver = await openRtpReceiver({
      transport: session.transport,
      tcpMode: this.#options.tcpMode ?? 'passive',
      ports,
      ingest,
      logger: scoped,
      deviceAddress,
    });
    session.receiver = receiver;
    // The device closing its TCP media connection ends the session as a BYE would.
    receiver.onEnd((reason) => void this.#stop(session, reason, true));

    this.invites++;
    const dialog = await invitePlay(server, client, {
      deviceId: session.deviceId,
      channelId: session.channelId,
      media: receiver.offer,
      ssrc: this.#nextSsrc(),
    });
    // At once: a crash from here on leaves a dialog the next start must end.
    await this.#recordDialog(dialog, receiver, session.transport);
    await this.#startReceiving(session, receiver, dialog);
    return { dialog, receiver };
  }

  /** Records the answered dialog: what ends it after a restart (LiveDialogEstablished). */
  async #recordDialog(dialog: LiveDialog, receiver: RtpReceiver, transport: 'UDP' | 'TCP') {
    const { peer } = dialog;
    const setup = receiver.offer.setup;
    await this.#record(dialog.callId, {
      type: 'LiveDialogEstablished',
      data: {
        callId: dialog.callId,
        deviceId: dialog.deviceId,
        channelId: dialog.channelId,
        nodeId: this.#options.nodeId,
        from: dialog.from,
        to: dialog.to,
        fromTag: tagOf(dialog.from),
        toTag: tagOf(dialog.to),
        remoteTarget: dialog.remoteTarget,
        // Drawn after the INVITE's own, so above every CSeq of this dialog (RFC 3261 §12.2.1.1).
        cseq: this.#options.server.nextCSeq(),
        device: { transport: peer.transport, address: peer.address, port: peer.port },
        ssrc: formatGbSsrc(dialog.ssrc),
        rtp: {
          transport,
          ...(transport === 'TCP' && (setup === 'active' || setup === 'passive') && { setup }),
          localPort: receiver.port,
        },
        at: new Date().toISOString(),
      },
    });
  }

  /**
   * Takes the device's answer (the active side connects); where that fails, or the session
   * ended meanwhile, the dialog is ended with a BYE and its end recorded.
   * @throws ArgusError UNAVAILABLE
   */
  async #startReceiving(session: Session, receiver: RtpReceiver, dialog: LiveDialog) {
    try {
      if (session.transport === 'TCP') checkTcpAnswer(dialog.answer);
      const media = await receiver.start(dialog.answer);
      if (session.stopping) {
        throw new ArgusError(
          errorCodes.UNAVAILABLE,
          'Cannot start live video: the session ended while the device was invited',
        );
      }
      session.ingest?.expect({ ssrc: dialog.ssrc, payloadType: answeredPsPayloadType(media) });
    } catch (error) {
      const reason = session.stopReason ?? liveStopReasons.startFailed;
      await this.#endDialog(dialog.callId, reason);
      await sendBye(this.#options.server, this.#options.client, dialog).catch(() => undefined);
      throw error;
    }
  }

  /** Records the end of a dialog that never became the session's. */
  async #endDialog(callId: string, reason: string): Promise<void> {
    try {
      await this.#options.commands.endLiveSession(callId, reason, new Date());
    } catch (err) {
      this.#options.logger.error({ err, callId, reason }, 'stream event not recorded');
    }
  }

  #scheduleStop(session: Session): void {
    clearTimeout(session.linger);
    session.linger = setTimeout(() => {
      if (session.hub.viewerCount === 0) void this.#stop(session, liveStopReasons.noViewers, true);
    }, this.#options.lingerMs);
  }

  async #stop(session: Session, reason: string, sendByeToDevice: boolean): Promise<void> {
    if (session.stopping) return;
    session.stopping = true;
    session.stopReason = reason;
    clearTimeout(session.linger);
    if (this.#sessions.get(session.key) === session) this.#sessions.delete(session.key);
    session.hub.close();
    session.receiver?.close();
    session.hlsMeter?.close();

    const { dialog } = session;
    this.#options.logger.info(
      {
        deviceId: session.deviceId,
        channelId: session.channelId,
        callId: dialog?.callId,
        reason,
        transport: session.transport,
        frames: session.hub.frames,
        ...session.ingest?.diagnostics(),
        ...session.receiver?.stats(),
        ...session.monitor.counters(),
      },
      'stream stopped',
    );
    await this.#recordUsage(session);
    if (dialog !== undefined) {
      await this.#record(dialog.callId, {
        type: 'LiveStreamStopped',
        data: {
          deviceId: session.deviceId,
          channelId: session.channelId,
          callId: dialog.callId,
          reason,
          at: new Date().toISOString(),
        },
      });
    }
    // Last: a device that is gone leaves the BYE unanswered for a transaction timeout.
    if (dialog !== undefined && sendByeToDevice) {
      await sendBye(this.#options.server, this.#options.client, dialog).catch((err: unknown) =>
        this.#options.logger.warn({ err, callId: dialog.callId }, 'bye not answered'),
      );
    }
  }

  /**
   * HLS viewers hold no connection: once no request came for three target durations (a
   * player reloads the playlist every target duration), HLS counts as no viewer.
   */
  #checkHls(): void {
    for (const session of this.#sessions.values()) {
      const hls = session.hub.hls;
      if (hls === undefined || session.stopping) continue;
      if (hls.idleMs() <= 3 * hls.targetDurationS * 1000) continue;
      session.hub.stopHls();
      session.hlsMeter?.close();
      void this.#recordUsage(session);
      const { deviceId, channelId } = session;
      this.#options.logger.info(
        {
          deviceId,
          channelId,
          protocol: 'HTTP_HLS',
          viewers: session.hub.viewerCount,
          ...hls.stats,
        },
        'viewer detached',
      );
      if (session.hub.viewerCount === 0) this.#scheduleStop(session);
    }
  }

  /** Ends sessions whose device stopped sending (#firstRtp ends those that never started). */
  #checkMedia(): void {
    const limit = Math.max(this.#noMediaMs(), MEDIA_STOPPED_MS);
    const now = Date.now();
    for (const session of this.#sessions.values()) {
      const last = session.ingest?.lastPacketAt ?? 0;
      if (session.dialog === undefined || session.stopping || last === 0) continue;
      if (now - last <= limit) continue;
      const { deviceId, channelId, dialog } = session;
      this.#options.logger.warn(
        { deviceId, channelId, callId: dialog.callId, limit },
        'media stopped from device',
      );
      void this.#stop(session, liveStopReasons.mediaStopped, true);
    }
  }

  #noMediaMs(): number {
    return this.#options.noMediaTimeoutMs ?? DEFAULT_NO_MEDIA_MS;
  }

  /** Every interval: each session's usage recorded, and its trouble summarised if any. */
  #report(): void {
    for (const session of this.#sessions.values()) {
      if (session.dialog === undefined || session.stopping) continue;
      void this.#recordUsage(session);
      const trouble = session.monitor.takeTrouble();
      if (trouble === undefined) continue;
      const { deviceId, channelId, dialog } = session;
      this.#options.logger.warn(
        { deviceId, channelId, callId: dialog.callId, ...trouble },
        'stream trouble',
      );
    }
  }

  /** Records the session's usage since the last time, where anything flowed. */
  async #recordUsage(session: Session): Promise<void> {
    const usage = session.monitor.takeUsage();
    if (usage === undefined) return;
    try {
      await this.#options.commands.recordSessionFacts(usage.callId, decideStreamUsage(usage));
    } catch (err) {
      const { deviceId, channelId, callId } = usage;
      this.#options.logger.error({ err, deviceId, channelId, callId }, 'stream usage not recorded');
    }
  }

  async #record(callId: string, event: DeviceEvent | LiveSessionEvent): Promise<void> {
    try {
      await this.#options.commands.recordSessionFacts(callId, [event]);
    } catch (err) {
      this.#options.logger.error({ err, callId, type: event.type }, 'stream event not recorded');
    }
  }

  /**
   * `y=` for live: 0, then the domain's digits 4–8, then a serial (GB/T 28181-2016 §F); never
   * a reserved one, nor one of a session open now.
   */
  #nextSsrc(): number {
    const open = new Set([...this.#sessions.values()].map((s) => s.dialog?.ssrc));
    for (let tried = 0; ; tried++) {
      this.#ssrcSerial = (this.#ssrcSerial % 9999) + 1;
      const ssrc = Number(`0${this.#domainDigits()}${String(this.#ssrcSerial).padStart(4, '0')}`);
      // Past a full cycle every serial is taken: take the next rather than none.
      if (tried >= 9999 || (!this.#reservedSsrcs.has(ssrc) && !open.has(ssrc))) return ssrc;
    }
  }

  #domainDigits(): string {
    return this.#options.server.domain.slice(3, 8);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function endedWhileStarting(session: Session): ArgusError {
  return new ArgusError(
    errorCodes.UNAVAILABLE,
    `Cannot start live video: the session ended before its first RTP packet: ${
      session.stopReason ?? 'stopped'
    }`,
    { deviceId: session.deviceId, channelId: session.channelId },
  );
}

/** The viewer, with every byte written to it counted by `meter`. */
function meteredViewer(viewer: Viewer, meter: ViewerMeter): Viewer & { close(): void } {
  return {
    write(chunk) {
      meter.add(chunk.length);
      viewer.write(chunk);
    },
    end: () => viewer.end(),
    abort: (reason) => viewer.abort(reason),
    get queuedBytes() {
      return viewer.queuedBytes;
    },
    close: () => meter.close(),
  };
}
