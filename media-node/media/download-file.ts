/**
 * A download's MP4 file: the recording's frames cut into fragments by the HLS segmenter
 * (fragmented MP4, ISO/IEC 14496-12 §8.8: one init segment, then moof+mdat pairs) and
 * appended to a file as they come, so memory stays at one fragment whatever the length.
 * Counts the bytes written and the media time reached, for progress.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

import { Segmenter, type SegmenterOutput } from '../formats/hls-segmenter.ts';
import type { ElementaryFrame } from '../formats/ps-demuxer.ts';

const PTS_MODULUS = 2 ** 33;
/** Fragment length: short, so that progress shows on the disk soon. */
const FRAGMENT_S = 1;

export class DownloadFile {
  readonly path: string;
  readonly #out: WriteStream;
  readonly #segmenter = new Segmenter({ targetDurationS: FRAGMENT_S });
  #bytes = 0;
  #ignoredInits = 0;
  #pendingInit: Uint8Array | undefined;
  #firstDts: number | undefined;
  #ticks = 0;
  #lastDts = 0;
  #error: Error | undefined;

  constructor(path: string) {
    this.path = path;
    this.#out = createWriteStream(path);
    this.#out.on('error', (error) => (this.#error = error));
  }

  /** Bytes written to the file so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Seconds of video received since the first frame. */
  get mediaSeconds(): number {
    return this.#ticks / 90_000;
  }

  /** Init segments after the first: a codec change the single-init file cannot follow. */
  get ignoredInits(): number {
    return this.#ignoredInits;
  }

  push(frame: ElementaryFrame): void {
    if (frame.kind === 'video') this.#advance(frame.dts);
    this.#write(this.#segmenter.push(frame));
  }

  /**
   * Writes the last fragment and closes the file.
   * @throws Error where the file could not be written
   */
  async finish(): Promise<void> {
    this.#write(this.#segmenter.flush());
    await new Promise<void>((resolve) => this.#out.end(resolve));
    if (this.#error !== undefined) throw this.#error;
  }

  /** Stops writing, whatever is left unwritten. */
  abort(): void {
    this.#out.destroy();
  }

  #advance(dts: number): void {
    if (this.#firstDts === undefined) {
      this.#firstDts = dts;
      this.#lastDts = dts;
      return;
    }
    const step = (dts - this.#lastDts + PTS_MODULUS) % PTS_MODULUS;
    // A step backwards or of minutes is a device clock jump, not media time.
    if (step < 600 * 90_000) this.#ticks += step;
    this.#lastDts = dts;
  }

  /**
   * The init segment goes out with the first media segment: until then a newer one replaces
   * it (the segmenter learnt a track). Later ones are counted: one file has one init.
   */
  #write(out: SegmenterOutput): void {
    if (out.segment !== undefined) {
      if (this.#pendingInit !== undefined) this.#append(this.#pendingInit);
      this.#pendingInit = undefined;
      if (this.#bytes > 0) this.#append(out.segment.bytes);
    }
    if (out.init === undefined) return;
    if (this.#bytes === 0) this.#pendingInit = out.init;
    else this.#ignoredInits++;
  }

  #append(bytes: Uint8Array): void {
    if (this.#error !== undefined || this.#out.destroyed) return;
    this.#out.write(bytes);
    this.#bytes += bytes.length;
  }
}
