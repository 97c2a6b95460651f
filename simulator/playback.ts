/**
 * Playback and download of the simulated camera's recordings (GB/T 28181-2016 §9.8): an
 * INVITE with `s=Playback` or `s=Download`, `u=<channel>:0` and `t=<start> <end>` (Unix
 * seconds) is served by streaming the clip as the recording, with 90 kHz timestamps counted
 * from the requested start. INFO with MANSRTSP (Annex B) pauses, resumes, changes the speed
 * of and seeks a playback; at the end of the range the camera sends a MediaStatus Notify with
 * NotifyType 121 in the dialog. A download streams at `a=downloadspeed` times real time.
 */
import { buildManscdpBody } from '../media-node/formats/manscdp.ts';
import { parseMansrtsp, type MansrtspRequest } from '../media-node/formats/mansrtsp.ts';
import type { GbSdp } from '../media-node/formats/sdp.ts';
import type { Clock } from './clock.ts';
import type { EmitEvent } from './events.ts';
import type { ClipFrame } from './media/clip.ts';
import { RtpFrameSender, type StreamStats, type StreamTarget } from './rtp-frame-sender.ts';

const FPS = 25;
const FRAME_MS = 1000 / FPS;
const TICKS_PER_FRAME = 90_000 / FPS;
/** Longest sleep between checks; a pause or a new speed takes effect at once anyway. */
const MAX_SLEEP_MS = 200;

/** What a history INVITE asks for. */
export interface HistoryRequest {
  readonly kind: 'Playback' | 'Download';
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  /** Download: times real time (`a=downloadspeed`); 1 for playback. */
  readonly speed: number;
}

/** The history request of an offer; undefined for live (`s=Play`) or an unusable range. */
export function readHistoryRequest(sdp: GbSdp): HistoryRequest | undefined {
  const kind = sdp.sessionName.toLowerCase();
  if (kind !== 'playback' && kind !== 'download') return undefined;
  const [start, end] = sdp.time;
  if (!(end > start)) return undefined;
  const attributes = sdp.media.flatMap((m) => m.attributes ?? []);
  const speedText = attributes.find((a) => a.startsWith('downloadspeed:'))?.split(':')[1];
  const speed = Math.min(Math.max(Number(speedText ?? 1) || 1, 1), 32);
  return kind === 'playback'
    ? { kind: 'Playback', start, end, speed: 1 }
    : { kind: 'Download', start, end, speed };
}

/**
 * Streams the recording of a history call: position, speed and pause are the player's
 * state; frames go out as the position passes their time.
 */
export class PlaybackStreamer {
  readonly #sender: RtpFrameSender;
  readonly #durationMs: number;
  readonly #baseTicks: number;
  /** Index of the next frame from the start of the range. */
  #next = 0;
  #positionMs = 0;
  #anchorAt = 0;
  #scale: number;
  #paused = false;
  #running = false;
  #ended = false;
  #timer: unknown;

  constructor(
    private readonly frames: ClipFrame[],
    send: (packet: Uint8Array) => void,
    target: StreamTarget,
    private readonly clock: Clock,
    readonly history: HistoryRequest,
    private readonly onEnd: () => void,
  ) {
    if (frames.length === 0) throw new Error('Cannot stream the clip: it holds no frames');
    this.#sender = new RtpFrameSender(send, target, 0);
    this.#durationMs = (history.end - history.start) * 1000;
    this.#baseTicks = (history.start * 90_000) % 2 ** 32;
    this.#scale = history.speed;
  }

  start(): void {
    this.#running = true;
    this.#anchorAt = this.clock.now();
    this.#tick();
  }

  stop(): StreamStats {
    this.#running = false;
    this.clock.clearTimeout(this.#timer);
    return { ...this.#sender.stats };
  }

  /** Seconds from the start of the range the stream has reached. */
  get positionS(): number {
    return this.#position() / 1000;
  }

  get scale(): number {
    return this.#scale;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Applies a MANSRTSP request: PAUSE, PLAY (resume, Scale, Range), TEARDOWN. */
  control(request: MansrtspRequest): void {
    this.#anchor();
    if (request.method === 'PAUSE') {
      this.#paused = true;
      this.clock.clearTimeout(this.#timer);
      return;
    }
    if (request.method === 'TEARDOWN') {
      this.stop();
      return;
    }
    if (request.scale !== undefined) this.#scale = request.scale;
    if (typeof request.range === 'number') this.#seek(request.range * 1000);
    this.#paused = false;
    this.clock.clearTimeout(this.#timer);
    this.#tick();
  }

  #position(): number {
    if (this.#paused || !this.#running) return this.#positionMs;
    return this.#positionMs + (this.clock.now() - this.#anchorAt) * this.#scale;
  }

  /** Folds the time played since the last anchor into the position. */
  #anchor(): void {
    this.#positionMs = this.#position();
    this.#anchorAt = this.clock.now();
  }

  /** Moves to the last keyframe at or before `ms`, so the picture starts clean. */
  #seek(ms: number): void {
    let index = Math.floor(Math.min(ms, this.#durationMs) / FRAME_MS);
    while (index > 0 && this.frames[index % this.frames.length]?.keyframe !== true) index--;
    this.#next = index;
    this.#positionMs = index * FRAME_MS;
    this.#anchorAt = this.clock.now();
  }

  #tick(): void {
    if (!this.#running || this.#paused || this.#ended) return;
    const position = this.#position();
    while (this.#next * FRAME_MS <= position && this.#next * FRAME_MS < this.#durationMs) {
      this.#sendFrame(this.#next++);
    }
    if (this.#next * FRAME_MS >= this.#durationMs) {
      this.#ended = true;
      this.onEnd();
      return;
    }
    const wait = (this.#next * FRAME_MS - position) / this.#scale;
    const delay = Math.min(Math.max(0, wait), MAX_SLEEP_MS);
    this.#timer = this.clock.setTimeout(() => this.#tick(), delay);
  }

  #sendFrame(index: number): void {
    const frame = this.frames[index % this.frames.length];
    if (frame === undefined) return;
    this.#sender.sendFrame(frame, this.#baseTicks + index * TICKS_PER_FRAME);
  }
}

/**
 * Applies an INFO body to the call's streamer and reports it; returns the SIP status to
 * answer with (400 for a body that is not MANSRTSP).
 */
export function applyMansrtsp(
  streamer: PlaybackStreamer | undefined,
  body: Uint8Array,
  report: { emit: EmitEvent; callId: string; channelId: string },
): number {
  let request: MansrtspRequest;
  try {
    request = parseMansrtsp(new TextDecoder().decode(body));
  } catch {
    return 400;
  }
  streamer?.control(request);
  report.emit({
    event: 'playback_control',
    callId: report.callId,
    channelId: report.channelId,
    method: request.method,
    cseq: request.cseq,
    ...(request.scale !== undefined && { scale: request.scale }),
    ...(request.range !== undefined && { range: request.range }),
    ...(request.pauseTime !== undefined && { pauseTime: request.pauseTime }),
    ...(streamer !== undefined && { positionS: streamer.positionS, paused: streamer.paused }),
  });
  return 200;
}

/** The MediaStatus Notify of the end of a history stream (§A.2.5.5), NotifyType 121. */
export function mediaStatusBody(sn: number, channelId: string): Uint8Array {
  return buildManscdpBody('Notify', 'MediaStatus', sn, channelId, [['NotifyType', 121]]);
}
