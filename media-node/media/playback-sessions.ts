/**
 * Playback sessions: each opening of a playback URL's session ID fetches the recording from
 * the device (playback-upstream.ts) and serves it through the same FLV and HLS path as live
 * video (live-stream.ts). Unlike live video a session has its own timeline, so it is never
 * shared between URLs: viewers of the same session ID share it, and it ends (BYE) when its
 * last viewer leaves. The device ending the range (MediaStatus 121) or the dialog ends every
 * viewer's stream cleanly. The session's control API pauses, resumes, scales and seeks.
 */
import type { PlaybackClaims } from '../../src/auth/tokens.ts';
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import {
  MANSRTSP_MAX_SCALE,
  MANSRTSP_MIN_SCALE,
  type MansrtspRequest,
} from '../formats/mansrtsp.ts';
import type { Viewer } from './flv-stream-hub.ts';
import type { HlsStream } from './hls-stream.ts';
import { LiveStream } from './live-stream.ts';
import type { HistoryDialogs, HistoryUpstream } from './playback-upstream.ts';

export interface PlaybackSessionsOptions {
  readonly history: HistoryDialogs;
  readonly logger: Logger;
}

/** What opens or joins a session: the token's claims, and the token itself. */
export interface PlaybackOpen {
  readonly claims: PlaybackClaims;
  readonly token: string;
}

/** A control request of the session's API. */
export interface PlaybackControl {
  readonly action: 'pause' | 'resume' | 'scale' | 'seek';
  /** scale: 0.25–8. */
  readonly scale?: number;
  /** seek: seconds from the start of the range. */
  readonly position?: number;
}

interface Session {
  readonly id: string;
  readonly claims: PlaybackClaims;
  readonly token: string;
  readonly hub: LiveStream;
  ready: Promise<void>;
  upstream?: HistoryUpstream;
  stopping: boolean;
  scale: number;
}

export class PlaybackSessions {
  readonly #options: PlaybackSessionsOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #hlsWatch: ReturnType<typeof setInterval>;

  constructor(options: PlaybackSessionsOptions) {
    this.#options = options;
    this.#hlsWatch = setInterval(() => this.#checkHls(), 1000);
    this.#hlsWatch.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Attaches an FLV viewer to the session, fetching the recording where it is not yet.
   * Returns the detach function.
   * @throws ArgusError UNAVAILABLE where the device cannot be reached or refuses
   */
  async attach(open: PlaybackOpen, viewer: Viewer): Promise<() => void> {
    const session = await this.#join(open);
    session.hub.attach(viewer);
    let detached = false;
    return () => {
      if (detached) return;
      detached = true;
      session.hub.detach(viewer);
      if (session.hub.viewerCount === 0) void this.#stop(session, 'no_viewers', true);
    };
  }

  /** The session's HLS stream, fetching the recording where needed. @throws like attach */
  async hls(open: PlaybackOpen): Promise<HlsStream> {
    const session = await this.#join(open);
    const hls = session.hub.startHls();
    hls.touch();
    return hls;
  }

  /** A live session's HLS stream, where `token` is the one that opened it. */
  findHls(sessionId: string, token: string | null): HlsStream | undefined {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || session.stopping || session.token !== token) return undefined;
    return session.hub.hls;
  }

  /** The claims of a running session, where `token` is the one that opened it. */
  openedWith(sessionId: string, token: string | null): PlaybackClaims | undefined {
    const session = this.#sessions.get(sessionId);
    return session !== undefined && session.token === token ? session.claims : undefined;
  }

  /**
   * Pauses, resumes, scales or seeks the session with INFO MANSRTSP.
   * @throws ArgusError NOT_FOUND where no such session runs; VALIDATION for a scale or
   *   position out of range; UNAVAILABLE where the device refuses or does not answer
   */
  async control(sessionId: string, control: PlaybackControl) {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || session.stopping) {
      throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find playback session: ${sessionId}`);
    }
    await session.ready;
    const upstream = session.upstream;
    if (upstream === undefined || upstream.ended) {
      throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find playback session: ${sessionId}`);
    }
    const request = mansrtspOf(control, session.claims);
    const status = await upstream.control(request).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ArgusError(errorCodes.UNAVAILABLE, `Cannot ${control.action} playback: ${reason}`);
    });
    if (status >= 300) {
      throw new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot ${control.action} playback: device answered ${status}`,
        { status },
      );
    }
    if (request.scale !== undefined) session.scale = request.scale;
    const { deviceId, channelId } = session.claims;
    this.#options.logger.info(
      { deviceId, channelId, sessionId, callId: upstream.dialog.callId, ...control },
      'playback controlled',
    );
    return {
      session_id: sessionId,
      action: control.action,
      paused: upstream.paused,
      scale: session.scale,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#hlsWatch);
    await Promise.all([...this.#sessions.values()].map((s) => this.#stop(s, 'shutdown', true)));
  }

  async #join(open: PlaybackOpen): Promise<Session> {
    const { sessionId } = open.claims;
    let session = this.#sessions.get(sessionId);
    if (session !== undefined && !session.stopping && session.token !== open.token) {
      throw new ArgusError(
        errorCodes.CONFLICT,
        `Cannot open playback session ${sessionId}: it was opened with another token`,
      );
    }
    if (session === undefined || session.stopping) session = this.#start(open);
    await session.ready;
    return session;
  }

  #start(open: PlaybackOpen): Session {
    const { claims } = open;
    const logger = this.#options.logger.child({
      deviceId: claims.deviceId,
      channelId: claims.channelId,
      sessionId: claims.sessionId,
    });
    const session: Session = {
      id: claims.sessionId,
      claims,
      token: open.token,
      hub: new LiveStream({ logger, now: () => Date.now() }),
      ready: Promise.resolve(),
      stopping: false,
      scale: 1,
    };
    session.ready = this.#open(session).catch((error: unknown) => {
      if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id);
      session.stopping = true;
      session.hub.close();
      throw error;
    });
    this.#sessions.set(session.id, session);
    return session;
  }

  async #open(session: Session): Promise<void> {
    const { claims } = session;
    session.upstream = await this.#options.history.open({
      deviceId: claims.deviceId,
      channelId: claims.channelId,
      transport: claims.transport,
      kind: 'Playback',
      start: new Date(claims.startTime * 1000),
      end: new Date(claims.endTime * 1000),
      onFrame: (frame) => session.hub.push(frame),
      onEnd: (reason) => void this.#stop(session, reason, false),
    });
    if (session.stopping) await session.upstream.close();
  }

  async #stop(session: Session, reason: string, closeUpstream: boolean): Promise<void> {
    if (session.stopping) return;
    session.stopping = true;
    if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id);
    // Viewers get the end of their stream: the FLV response ends, HLS lists no more.
    session.hub.close();
    const { deviceId, channelId } = session.claims;
    this.#options.logger.info(
      { deviceId, channelId, sessionId: session.id, reason, frames: session.hub.frames },
      'playback ended',
    );
    if (closeUpstream) await session.upstream?.close();
  }

  /** HLS viewers hold no connection: requests stopping for three target durations end it. */
  #checkHls(): void {
    for (const session of this.#sessions.values()) {
      const hls = session.hub.hls;
      if (hls === undefined || session.stopping) continue;
      if (hls.idleMs() <= 3 * hls.targetDurationS * 1000) continue;
      session.hub.stopHls();
      if (session.hub.viewerCount === 0) void this.#stop(session, 'no_viewers', true);
    }
  }
}

/**
 * The MANSRTSP request of a control (GB/T 28181-2016 Annex B).
 * @throws ArgusError VALIDATION for a scale or a position out of range
 */
export function mansrtspOf(
  control: PlaybackControl,
  range: { startTime: number; endTime: number },
): Omit<MansrtspRequest, 'cseq'> {
  switch (control.action) {
    case 'pause':
      return { method: 'PAUSE', pauseTime: 'now' };
    case 'resume':
      return { method: 'PLAY', range: 'now' };
    case 'scale': {
      const scale = control.scale ?? Number.NaN;
      if (!(scale >= MANSRTSP_MIN_SCALE && scale <= MANSRTSP_MAX_SCALE)) {
        throw new ArgusError(
          errorCodes.VALIDATION,
          `Cannot scale playback: scale is not ${MANSRTSP_MIN_SCALE}–${MANSRTSP_MAX_SCALE}`,
        );
      }
      return { method: 'PLAY', scale };
    }
    case 'seek': {
      const position = control.position ?? Number.NaN;
      const length = range.endTime - range.startTime;
      if (!(position >= 0 && position <= length)) {
        throw new ArgusError(
          errorCodes.VALIDATION,
          `Cannot seek playback: position is not 0–${length} seconds`,
        );
      }
      return { method: 'PLAY', range: position };
    }
  }
}
