/**
 * One channel's live HLS (RFC 8216): a Segmenter on the session's frames, the live playlist
 * of its last segments, and the init and media segments players fetch. HLS viewers hold no
 * connection: the stream counts as watched while requests keep coming (`touch`), and the
 * session drops it once `idleMs` says they stopped for a few target durations.
 */
import { isArgusError } from '../../src/errors.ts';
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
  /** Frames the segmenter could not write (an ArgusError from the fMP4 writer). */
  #failedFrames = 0;

  constructor(options: HlsStreamOptions) {
    this.targetDurationS = options.targetDurationS;
    this.#now = options.now;
    this.#onServed = options.onServed;
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
      this.#take(this.#segmenter.push(frame));
    } catch (error) {
      // A frame the fMP4 writer refuses must not take the node down with the RTP callback.
      if (!isArgusError(error)) throw error;
      this.#failedFrames += 1;
    }
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
   */
  async playlist(query: string, timeoutMs: number): Promise<string | undefined> {
    if (this.#segments.size === 0 && !this.#ended) await this.#firstSegment(timeoutMs);
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
