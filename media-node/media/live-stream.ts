/**
 * What one live session serves: its frames go to the FLV hub (HTTP-FLV and WS-FLV viewers)
 * and, from the first HLS request on, to an HLS stream. HLS counts as one viewer while its
 * requests keep coming; the session drops it when they stop.
 */
import type { Logger } from '../../src/logger.ts';
import type { ElementaryFrame } from '../formats/ps-demuxer.ts';
import { FlvStreamHub, type Viewer, type ViewerStats } from './flv-stream-hub.ts';
import { defaultHlsOptions, HlsStream } from './hls-stream.ts';

export interface LiveStreamOptions {
  readonly logger: Logger;
  /** The clock of HLS request times and of the first keyframe (ms). */
  readonly now: () => number;
}

export class LiveStream {
  readonly #options: LiveStreamOptions;
  readonly #flv: FlvStreamHub;
  #hls: HlsStream | undefined;
  #firstKeyframeAt: number | undefined;

  constructor(options: LiveStreamOptions) {
    this.#options = options;
    this.#flv = new FlvStreamHub({ logger: options.logger });
  }

  /** FLV viewers, plus one while HLS is being requested. */
  get viewerCount(): number {
    return this.#flv.viewerCount + (this.#hls === undefined ? 0 : 1);
  }

  /** Video frames muxed to FLV since start. */
  get frames(): number {
    return this.#flv.frames;
  }

  /** When the first video keyframe arrived (ms since epoch), undefined before. */
  get firstKeyframeAt(): number | undefined {
    return this.#firstKeyframeAt;
  }

  /** The HLS stream while HLS is being requested. */
  get hls(): HlsStream | undefined {
    return this.#hls;
  }

  push(frame: ElementaryFrame): void {
    if (frame.kind === 'video' && frame.keyframe) this.#firstKeyframeAt ??= this.#options.now();
    this.#flv.push(frame);
    this.#hls?.push(frame);
  }

  attach(viewer: Viewer): void {
    this.#flv.attach(viewer);
  }

  detach(viewer: Viewer): ViewerStats | undefined {
    return this.#flv.detach(viewer);
  }

  /**
   * The HLS stream, started on the first call: its first segment begins at a keyframe.
   * `onServed` is told the size of every response served from it (metering).
   */
  startHls(onServed?: (bytes: number) => void): HlsStream {
    this.#hls ??= new HlsStream({
      ...defaultHlsOptions,
      now: this.#options.now,
      logger: this.#options.logger,
      ...(onServed !== undefined && { onServed }),
    });
    return this.#hls;
  }

  /** Drops the HLS stream (its viewers stopped asking); returns it, or undefined. */
  stopHls(): HlsStream | undefined {
    const hls = this.#hls;
    this.#hls = undefined;
    hls?.end();
    return hls;
  }

  /** Ends every viewer (the upstream ended). */
  close(): void {
    this.#flv.close();
    this.stopHls();
  }
}
