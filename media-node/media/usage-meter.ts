/**
 * Counts one live stream's traffic in memory and hands it out period by period: RTP bytes in
 * (read from the ingest's running total, so nothing is added per packet here) and each
 * viewer's bytes out and viewing time. The session takes a period at every metering interval
 * and when the stream or a viewer ends, and records it as a StreamUsageRecorded event.
 */
import type { ViewerProtocol, ViewerUsage } from '../../src/domain/device.ts';

export interface UsageMeterOptions {
  /** The clock (ms since epoch). */
  readonly now: () => number;
  /** RTP bytes received since the stream started: a running total. */
  readonly bytesIn: () => number;
}

/** One period of traffic; times in ms since epoch. */
export interface UsagePeriod {
  readonly bytesIn: number;
  readonly viewers: ViewerUsage[];
  readonly from: number;
  readonly to: number;
}

/** What one viewer's connection reports to the meter. */
export interface ViewerMeter {
  add(bytes: number): void;
  /** The viewer left; later `add`s are ignored. */
  close(): void;
}

interface MeteredViewer {
  readonly protocol: ViewerProtocol;
  readonly openedAt: number;
  closedAt: number | undefined;
  /** Bytes since the period started. */
  bytes: number;
}

export class UsageMeter {
  readonly #options: UsageMeterOptions;
  readonly #viewers = new Set<MeteredViewer>();
  #from: number;
  #bytesInAtFrom = 0;
  #bytesOut = 0;
  #firstByteOutAt: number | undefined;

  constructor(options: UsageMeterOptions) {
    this.#options = options;
    this.#from = options.now();
  }

  /** Bytes sent to all viewers since start. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  /** When the first byte went to a viewer (ms since epoch), undefined before. */
  get firstByteOutAt(): number | undefined {
    return this.#firstByteOutAt;
  }

  /** Starts metering a viewer now. */
  openViewer(protocol: ViewerProtocol): ViewerMeter {
    const viewer: MeteredViewer = {
      protocol,
      openedAt: this.#options.now(),
      closedAt: undefined,
      bytes: 0,
    };
    this.#viewers.add(viewer);
    return {
      add: (bytes) => this.#add(viewer, bytes),
      close: () => {
        viewer.closedAt ??= this.#options.now();
      },
    };
  }

  /**
   * Ends the current period now and starts the next. Returns it, or undefined where nothing
   * flowed in it (no byte in, none out).
   */
  take(): UsagePeriod | undefined {
    const from = this.#from;
    const to = this.#options.now();
    const total = this.#options.bytesIn();
    const bytesIn = total - this.#bytesInAtFrom;
    const viewers = [...this.#viewers].map((v) => this.#usageOf(v, from, to));

    this.#from = to;
    this.#bytesInAtFrom = total;
    for (const viewer of this.#viewers) {
      viewer.bytes = 0;
      if (viewer.closedAt !== undefined) this.#viewers.delete(viewer);
    }

    const flowed = bytesIn > 0 || viewers.some((v) => v.bytesOut > 0);
    return flowed ? { bytesIn, viewers, from, to } : undefined;
  }

  #add(viewer: MeteredViewer, bytes: number): void {
    if (viewer.closedAt !== undefined) return;
    this.#firstByteOutAt ??= this.#options.now();
    viewer.bytes += bytes;
    this.#bytesOut += bytes;
  }

  /** The viewer's share of the period `from`–`to`: bytes, and seconds it was attached. */
  #usageOf(viewer: MeteredViewer, from: number, to: number): ViewerUsage {
    const watchedMs = Math.min(viewer.closedAt ?? to, to) - Math.max(viewer.openedAt, from);
    const seconds = Math.max(0, watchedMs) / 1000;
    return { protocol: viewer.protocol, bytesOut: viewer.bytes, seconds };
  }
}
