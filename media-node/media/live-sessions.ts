/**
 * Live sessions, one per channel: the first viewer makes the node INVITE the device; every
 * later viewer shares that upstream; a few seconds after the last viewer leaves the node
 * sends BYE. A session whose RTP stops, or that the device ends with BYE, ends its viewers.
 */
import type { DeviceEvent } from '../../src/domain/device.ts';
import type { Logger } from '../../src/logger.ts';
import type { DeviceCommands } from '../gb/device-commands.ts';
import type { GbServer } from '../gb/gb-server.ts';
import { invitePlay, sendBye, type LiveDialog } from '../gb/live-invite.ts';
import type { SipClient } from '../sip/sip-client.ts';
import { FlvStreamHub, type Viewer } from './flv-stream-hub.ts';
import { RtpIngest } from './rtp-ingest.ts';
import type { RtpPort, RtpPortPool } from './rtp-port-pool.ts';

export interface LiveSessionsOptions {
  readonly server: GbServer;
  readonly client: SipClient;
  readonly ports: RtpPortPool;
  readonly commands: DeviceCommands;
  readonly logger: Logger;
  /** How long a session without viewers keeps its upstream before BYE. */
  readonly lingerMs: number;
  /** How long a session may receive no RTP before it is ended. */
  readonly noMediaTimeoutMs?: number;
}

/** What a viewer asks for. The first viewer's transport is the one the session uses. */
export interface LiveRequest {
  readonly deviceId: string;
  readonly channelId: string;
  /** RTP from the device over UDP or TCP (RFC 4571); only UDP is received so far. */
  readonly transport: 'UDP' | 'TCP';
}

interface Session {
  readonly key: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly transport: 'UDP' | 'TCP';
  readonly hub: FlvStreamHub;
  ready: Promise<void>;
  rtp?: RtpPort;
  ingest?: RtpIngest;
  dialog?: LiveDialog;
  linger?: ReturnType<typeof setTimeout>;
  startedAt: number;
  stopping: boolean;
}

export class LiveSessions {
  readonly #options: LiveSessionsOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #watchdog: ReturnType<typeof setInterval>;
  #ssrcSerial = 0;
  /** INVITEs sent since start (tests and metrics read it). */
  invites = 0;

  constructor(options: LiveSessionsOptions) {
    this.#options = options;
    options.server.onRemoteBye((callId) => this.remoteBye(callId));
    this.#watchdog = setInterval(() => this.#checkMedia(), 1000);
    this.#watchdog.unref();
  }

  /**
   * Attaches a viewer to a channel's live stream, starting the upstream where needed.
   * Returns the detach function.
   * @throws ArgusError UNAVAILABLE where the device cannot be reached or refuses, or no
   * RTP port is free
   */
  async attach(request: LiveRequest, viewer: Viewer): Promise<() => void> {
    const { deviceId, channelId } = request;
    const key = `${deviceId}/${channelId}`;
    let session = this.#sessions.get(key);
    if (session === undefined || session.stopping) {
      session = this.#start(key, request);
    }
    clearTimeout(session.linger);
    await session.ready;

    const attached = session;
    attached.hub.attach(viewer);
    this.#options.logger.info(
      { deviceId, channelId, viewers: attached.hub.viewerCount },
      'viewer attached',
    );
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      attached.hub.detach(viewer);
      this.#options.logger.info(
        { deviceId, channelId, viewers: attached.hub.viewerCount },
        'viewer detached',
      );
      if (attached.hub.viewerCount === 0 && !attached.stopping) this.#scheduleStop(attached);
    };
  }

  /** A BYE from the device ends its session. */
  remoteBye(callId: string): void {
    for (const session of this.#sessions.values()) {
      if (session.dialog?.callId === callId) void this.#stop(session, 'device_bye', false);
    }
  }

  get size(): number {
    return this.#sessions.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#watchdog);
    await Promise.all([...this.#sessions.values()].map((s) => this.#stop(s, 'shutdown', true)));
  }

  #start(key: string, request: LiveRequest): Session {
    const hub = new FlvStreamHub();
    const session: Session = {
      key,
      deviceId: request.deviceId,
      channelId: request.channelId,
      transport: request.transport,
      hub,
      startedAt: Date.now(),
      stopping: false,
      ready: Promise.resolve(),
    };
    const ready = this.#open(session).catch((error: unknown) => {
      this.#sessions.delete(key);
      if (session.rtp !== undefined) this.#options.ports.release(session.rtp);
      throw error;
    });
    session.ready = ready;
    this.#sessions.set(key, session);
    return session;
  }

  async #open(session: Session): Promise<void> {
    const { server, client, ports, logger } = this.#options;
    const rtp = await ports.acquire();
    session.rtp = rtp;
    session.ingest = new RtpIngest(rtp.socket, (frame) => session.hub.push(frame));

    this.invites++;
    const dialog = await invitePlay(server, client, {
      deviceId: session.deviceId,
      channelId: session.channelId,
      rtpPort: rtp.port,
      ssrc: this.#nextSsrc(),
    });
    session.dialog = dialog;
    session.startedAt = Date.now();
    logger.info(
      {
        deviceId: session.deviceId,
        channelId: session.channelId,
        callId: dialog.callId,
        port: rtp.port,
      },
      'stream started',
    );
    await this.#record(session.deviceId, {
      type: 'LiveStreamStarted',
      data: {
        deviceId: session.deviceId,
        channelId: session.channelId,
        callId: dialog.callId,
        ssrc: String(dialog.ssrc),
        at: new Date().toISOString(),
      },
    });
  }

  #scheduleStop(session: Session): void {
    clearTimeout(session.linger);
    session.linger = setTimeout(() => {
      if (session.hub.viewerCount === 0) void this.#stop(session, 'no_viewers', true);
    }, this.#options.lingerMs);
  }

  async #stop(session: Session, reason: string, sendByeToDevice: boolean): Promise<void> {
    if (session.stopping) return;
    session.stopping = true;
    clearTimeout(session.linger);
    if (this.#sessions.get(session.key) === session) this.#sessions.delete(session.key);
    session.hub.close();

    const { dialog } = session;
    if (dialog !== undefined && sendByeToDevice) {
      await sendBye(this.#options.server, this.#options.client, dialog).catch((err: unknown) =>
        this.#options.logger.warn({ err, callId: dialog.callId }, 'bye not answered'),
      );
    }
    if (session.rtp !== undefined) this.#options.ports.release(session.rtp);
    this.#options.logger.info(
      {
        deviceId: session.deviceId,
        channelId: session.channelId,
        reason,
        frames: session.hub.frames,
        ...session.ingest?.stats,
      },
      'stream stopped',
    );
    if (dialog !== undefined) {
      await this.#record(session.deviceId, {
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
  }

  /** Ends sessions whose device stopped sending. */
  #checkMedia(): void {
    const limit = this.#options.noMediaTimeoutMs ?? 15_000;
    const now = Date.now();
    for (const session of this.#sessions.values()) {
      if (session.dialog === undefined || session.stopping) continue;
      const last = Math.max(session.ingest?.lastPacketAt ?? 0, session.startedAt);
      if (now - last > limit) void this.#stop(session, 'no_media', true);
    }
  }

  async #record(deviceId: string, event: DeviceEvent): Promise<void> {
    try {
      await this.#options.commands.run(deviceId, () => [event]);
    } catch (err) {
      this.#options.logger.error({ err, deviceId, type: event.type }, 'stream event not recorded');
    }
  }

  /** `y=` for live: 0, then the domain's digits 4–8, then a serial (GB/T 28181-2016 §F). */
  #nextSsrc(): number {
    this.#ssrcSerial = (this.#ssrcSerial % 9999) + 1;
    const domain = this.#options.server.domain.slice(3, 8);
    return Number(`0${domain}${String(this.#ssrcSerial).padStart(4, '0')}`);
  }
}
