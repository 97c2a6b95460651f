import { ArgusError, errorCodes } from '../../src/errors.ts';

/** Options of a live media playlist. */
export interface LivePlaylistOptions {
  /** Least EXT-X-TARGETDURATION, whole seconds (the segmenter's target). */
  targetDurationS: number;
  /** Segments kept in the playlist: older ones slide out. */
  windowSize: number;
  /** URI of the first initialization segment (EXT-X-MAP). */
  initUri: string;
}

/** One media segment as the playlist lists it. */
export interface PlaylistSegment {
  uri: string;
  durationS: number;
  /** Media sequence number: one more than the previous segment's. */
  sequence: number;
  /** Encoding parameters or timeline changed before it (EXT-X-DISCONTINUITY). */
  discontinuity?: boolean;
  /** Initialization segment of this and later segments, where it changes (EXT-X-MAP). */
  initUri?: string;
}

interface ListedSegment {
  uri: string;
  durationS: number;
  sequence: number;
  discontinuity: boolean;
  initUri: string;
}

/**
 * A live HLS media playlist of fMP4 segments (RFC 8216 §4.3, version 7): a sliding window of
 * the last `windowSize` segments, EXT-X-MEDIA-SEQUENCE from the first of them, and
 * EXT-X-DISCONTINUITY-SEQUENCE counting the discontinuities that slid out (§6.2.2).
 * EXT-X-TARGETDURATION never shrinks: it is the configured target or, where a segment ran
 * longer (a long GOP), that segment's rounded duration (§4.3.3.1).
 */
export class LivePlaylist {
  private readonly targetDurationS: number;
  private readonly windowSize: number;
  private initUri: string;
  private readonly window: ListedSegment[] = [];
  private longestS = 0;
  private discontinuitySequence = 0;
  private ended = false;

  /**
   * Throws ArgusError VALIDATION where the target is not a whole number of seconds ≥ 1, the
   * window is not a whole number ≥ 1, or the URI cannot be written in a playlist.
   */
  constructor(opts: LivePlaylistOptions) {
    checkWhole('target duration', opts.targetDurationS);
    checkWhole('window size', opts.windowSize);
    checkUri(opts.initUri);
    this.targetDurationS = opts.targetDurationS;
    this.windowSize = opts.windowSize;
    this.initUri = opts.initUri;
  }

  /** Sequence number of the newest segment, or undefined before the first. */
  get lastSequence(): number | undefined {
    return this.window.at(-1)?.sequence;
  }

  /**
   * Appends a segment, dropping the oldest beyond the window. Throws ArgusError VALIDATION
   * where the playlist has ended, the sequence does not follow the previous one, the
   * duration is negative or not finite, or a URI cannot be written in a playlist.
   */
  addSegment(segment: PlaylistSegment): void {
    this.checkSegment(segment);
    if (segment.initUri !== undefined) this.initUri = segment.initUri;
    this.window.push({
      uri: segment.uri,
      durationS: segment.durationS,
      sequence: segment.sequence,
      discontinuity: segment.discontinuity ?? false,
      initUri: this.initUri,
    });
    this.longestS = Math.max(this.longestS, Math.round(segment.durationS));

    while (this.window.length > this.windowSize) {
      if (this.window.shift()?.discontinuity === true) this.discontinuitySequence += 1;
    }
  }

  /** Marks the stream as finished: EXT-X-ENDLIST is written and no segment may follow. */
  end(): void {
    this.ended = true;
  }

  /**
   * The playlist text, lines ending in LF. A `query` (without `?`) is appended to every
   * segment and map URI, so that players follow them with the same access token. Throws
   * ArgusError VALIDATION where it holds a quote, a line break, `?` or `#`.
   */
  render(query = ''): string {
    if (/["\r\n?#]/.test(query)) {
      throw new ArgusError(
        errorCodes.VALIDATION,
        'Cannot write HLS playlist: query holds a quote, a line break, ? or #',
      );
    }
    const withQuery = (uri: string) =>
      query === '' ? uri : `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      `#EXT-X-TARGETDURATION:${Math.max(this.targetDurationS, this.longestS)}`,
      `#EXT-X-MEDIA-SEQUENCE:${this.window[0]?.sequence ?? 0}`,
    ];
    if (this.discontinuitySequence > 0) {
      lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${this.discontinuitySequence}`);
    }

    let mapped: string | undefined;
    for (const segment of this.window) {
      if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
      if (segment.initUri !== mapped) {
        lines.push(`#EXT-X-MAP:URI="${withQuery(segment.initUri)}"`);
      }
      mapped = segment.initUri;
      lines.push(`#EXTINF:${segment.durationS.toFixed(3)},`, withQuery(segment.uri));
    }
    if (this.ended) lines.push('#EXT-X-ENDLIST');
    return `${lines.join('\n')}\n`;
  }

  private checkSegment(segment: PlaylistSegment): void {
    if (this.ended) throw addError('the playlist has ended');
    checkUri(segment.uri);
    if (segment.initUri !== undefined) checkUri(segment.initUri);
    if (!Number.isFinite(segment.durationS) || segment.durationS < 0) {
      throw addError(`duration is not a finite number ≥ 0: ${segment.durationS}`);
    }
    const last = this.lastSequence;
    const expected = last === undefined ? undefined : last + 1;
    const valid = Number.isSafeInteger(segment.sequence) && segment.sequence >= 0;
    if (!valid || (expected !== undefined && segment.sequence !== expected)) {
      throw addError(`sequence is not ${expected ?? 'a whole number ≥ 0'}: ${segment.sequence}`);
    }
  }
}

function checkWhole(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot create HLS playlist: ${name} is not a whole number ≥ 1: ${value}`,
    );
  }
}

/** A URI line or quoted-string (RFC 8216 §4.2) holds no line break or double quote. */
function checkUri(uri: string): void {
  if (uri.length === 0 || /["\r\n]/.test(uri)) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot write HLS playlist URI: empty or holds a quote or line break: ${JSON.stringify(uri)}`,
    );
  }
}

function addError(reason: string): ArgusError {
  return new ArgusError(errorCodes.VALIDATION, `Cannot add HLS segment: ${reason}`);
}
