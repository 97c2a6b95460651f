/**
 * One channel's live HLS (RFC 8216): a Segmenter on the session's frames, the live playlist
 * of its last segments, and the init and media segments players fetch. HLS viewers hold no
 * connection: the stream counts as watched while requests keep coming (`touch`), and the
 * session drops it once `idleMs` says they stopped for a few target durations. A channel found
 * to send only audio (audio-only.ts) is segmented from its AAC; with G.711 it cannot be, and
 * the playlist request fails with the reason, logged once.
 */
import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { AudioOnlyDecider } from '../formats/audio-only.ts';
import { Segmenter, type SegmenterOutput } from '../formats/hls-segmenter.ts';
import { LivePlaylist } from '../formats/hls-playlist.ts';
import type { ElementaryFrame } from '../formats/ps-demuxer.ts';

export interface HlsStreamOptions {
  /** Target segment duration, whole seconds (segments are cut at the next keyframe). */
  readonly targetDurationS: number;
  /** Segments listed in the playlist. */
  readonly windowSize: number;
  /** The clock of request times (ms). */
  readonly now: () => number;
  /** Told the size of every response served from the stream (metering). */
  readonly onServed?: (bytes: number) => void;
  /** Told, once, why the stream cannot be segmented. */
  readonly logger?: Logger;
}

/** Segments kept after they left the playlist, for players that fetched it just before. */
const KEPT_BEHIND_WINDOW = 3;
/** Tokens remembered per stream; the oldest is forgotten first. */
const MAX_ADMITTED_TOKENS = 256;

export const defaultHlsOptions = { targetDurationS: 2, windowSize: 6 } as const;

/** The URI of init segment `n` (0, 1, … as the parameters change). */
export function initUri(n: number): string {
  return n === 0 ? 'init.mp4' : `init-${n}.mp4`;
}

export function segmentUri(sequence: number): string {
  return `seg-${sequence}.m4s`;
}

export class HlsStream {
  readonly targetDurationS: number;
  readonly #now: () => number;
  readonly #onServed: ((bytes: number) => void) | undefined;
  readonly #logger: Logger | undefined;
  readonly #audioOnly = new AudioOnlyDecider();
  readonly #segmenter: Segmenter;
  readonly #playlist: LivePlaylist;
  readonly #inits: Uint8Array[] = [];
  readonly #segments = new Map<number, Uint8Array>();
  readonly #admitted = new Set<string>();
  /** Segments kept: the playlist's window and a few behind it. */
  readonly #kept: number;
  readonly #waiters: (() => void)[] = [];
  #segmentsSinceInit = 0;
  #mapForNext: string | undefined;
  #lastRequestAt: number;
  #ended = false;
  /** Why no segment can come, once the segmenter found it. */
  #problem: string | undefined;
  /** Frames the segmenter could not write (an ArgusError from the fMP4 writer). */
  #failedFrames = 0;

  constructor(options: HlsStreamOptions) {
    this.targetDurationS = options.targetDurationS;
    this.#now = options.now;
    this.#onServed = options.onServed;
    this.#logger = options.logger;
    this.#lastRequestAt = options.now();
    this.#kept = options.windowSize + KEPT_BEHIND_WINDOW;
    this.#segmenter = new Segmenter({ targetDurationS: options.targetDurationS });
    this.#playlist = new LivePlaylist({
      targetDurationS: options.targetDurationS,
      windowSize: options.windowSize,
      initUri: initUri(0),
    });
  }

  /** Counters of the segmenter, and frames it could not write. */
  get stats() {
    return { ...this.#segmenter.stats, failedFrames: this.#failedFrames };
  }

  /** Takes the session's next frame. Device input does not make it throw. */
  push(frame: ElementaryFrame): void {
    if (this.#ended) return;
    try {
      if (this.#audioOnly.observe(frame)) {
        for (const out of this.#segmenter.startAudioOnly()) this.#take(out);
      }
      this.#take(this.#segmenter.push(frame));
    } catch (error) {
      // A frame the fMP4 writer refuses must not take the node down with the RTP callback.
      if (!isArgusError(error)) throw error;
      this.#failedFrames += 1;
    }
    if (this.#problem === undefined && this.#segmenter.problem !== undefined) {
      this.#refuse(this.#segmenter.problem);
    }
  }

  #refuse(problem: string): void {
    this.#problem = problem;
    this.#logger?.warn({ segmenter: this.stats }, problem);
    this.#wake();
  }

  /** A viewer's request came now. */
  touch(): void {
    this.#lastRequestAt = this.#now();
  }

  /** Milliseconds since the last request; 0 while a request waits for the first segment. */
  idleMs(): number {
    return this.#waiters.length > 0 ? 0 : this.#now() - this.#lastRequestAt;
  }

  /** A response of `bytes` bytes was served from this stream. */
  served(bytes: number): void {
    this.#onServed?.(bytes);
  }

  /** Remembers a token that opened this stream while it was valid (see hls-routes.ts). */
  admit(token: string): void {
    if (this.#admitted.has(token)) return;
    this.#admitted.add(token);
    if (this.#admitted.size <= MAX_ADMITTED_TOKENS) return;
    const [oldest] = this.#admitted;
    if (oldest !== undefined) this.#admitted.delete(oldest);
  }

  admitted(token: string): boolean {
    return this.#admitted.has(token);
  }

  /**
   * The playlist with `query` on every URI, once a segment exists: waits up to `timeoutMs`
   * for the first one. Undefined where none came in time or the stream ended.
   * @throws ArgusError UNAVAILABLE where the channel's media cannot be segmented (G.711
   * without video)
   */
  async playlist(query: string, timeoutMs: number): Promise<string | undefined> {
    const waiting = this.#segments.size === 0 && !this.#ended;
    if (waiting && this.#problem === undefined) await this.#firstSegment(timeoutMs);
    if (this.#problem !== undefined) throw new ArgusError(errorCodes.UNAVAILABLE, this.#problem);
    return this.#segments.size === 0 ? undefined : this.#playlist.render(query);
  }

  init(n: number): Uint8Array | undefined {
    return this.#inits[n];
  }

  segment(sequence: number): Uint8Array | undefined {
    return this.#segments.get(sequence);
  }

  /** The upstream ended: waiting requests are answered, later frames ignored. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #take(out: SegmenterOutput): void {
    if (out.segment !== undefined) this.#addSegment(out.segment);
    if (out.init === undefined) return;
    // An init with no segment after the previous one replaces it (segmenter contract).
    if (this.#segmentsSinceInit === 0 && this.#inits.length > 0) this.#inits.pop();
    this.#inits.push(out.init);
    this.#segmentsSinceInit = 0;
    const n = this.#inits.length - 1;
    this.#mapForNext = n === 0 ? undefined : initUri(n);
  }

  #addSegment(segment: NonNullable<SegmenterOutput['segment']>): void {
    const { sequence, durationS, discontinuity, bytes } = segment;
    const map = this.#mapForNext === undefined ? {} : { initUri: this.#mapForNext };
    this.#playlist.addSegment({
      uri: segmentUri(sequence),
      durationS,
      sequence,
      discontinuity,
      ...map,
    });
    this.#mapForNext = undefined;
    this.#segmentsSinceInit += 1;
    this.#segments.set(sequence, bytes);
    this.#segments.delete(sequence - this.#kept);
    this.#wake();
  }

  #firstSegment(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
