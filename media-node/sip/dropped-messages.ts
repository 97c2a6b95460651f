/**
 * Reports device input dropped (malformed SIP, refused MANSCDP bodies, abandoned catalog
 * answers) without one log line per packet (STYLE.md): the first few drops of an interval
 * are logged one by one, the rest are counted and summed up in one line when the interval
 * ends. A flood of garbage costs a few lines per interval.
 */
import type { Logger } from '../../src/logger.ts';

/**
 * The fields logged for one drop: for SIP `peer` (as `peerKey` writes it), `size`, `code`,
 * `reason` and the `status` answered where the request could be answered.
 */
export type DroppedMessage = Readonly<Record<string, unknown>>;

export interface DroppedMessageLogOptions {
  readonly logger: Logger;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Runs `callback` after `ms`; the default is an unref'd setTimeout. */
  readonly schedule?: (callback: () => void, ms: number) => void;
  readonly intervalMs?: number;
  /** Drops logged one by one in each interval before the rest are only counted. */
  readonly detailedPerInterval?: number;
  /** The log message of one drop and of the summary. */
  readonly messages?: { readonly one: string; readonly summary: string };
}

export const DROP_LOG_INTERVAL_MS = 5000;
export const DROP_LOG_DETAILED_PER_INTERVAL = 5;

export class DroppedMessageLog {
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #schedule: (callback: () => void, ms: number) => void;
  readonly #intervalMs: number;
  readonly #detailed: number;
  readonly #messages: { readonly one: string; readonly summary: string };
  #total = 0;
  #windowStart = Number.NEGATIVE_INFINITY;
  #inWindow = 0;
  #suppressed = 0;
  #last: DroppedMessage | undefined;
  #summaryPending = false;

  constructor(options: DroppedMessageLogOptions) {
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#schedule = options.schedule ?? scheduleUnref;
    this.#intervalMs = options.intervalMs ?? DROP_LOG_INTERVAL_MS;
    this.#detailed = options.detailedPerInterval ?? DROP_LOG_DETAILED_PER_INTERVAL;
    this.#messages = options.messages ?? {
      one: 'sip message dropped',
      summary: 'sip messages dropped',
    };
  }

  /** Messages dropped since start. */
  get total(): number {
    return this.#total;
  }

  record(drop: DroppedMessage): void {
    this.#total++;
    const now = this.#now();
    if (now - this.#windowStart >= this.#intervalMs) this.#openWindow(now);

    this.#inWindow++;
    if (this.#inWindow <= this.#detailed) {
      this.#logger.warn({ ...drop, dropped: this.#total }, this.#messages.one);
      return;
    }
    this.#suppressed++;
    this.#last = drop;
    if (!this.#summaryPending) {
      this.#summaryPending = true;
      const window = this.#windowStart;
      // A timer late enough to fire after the next window opened has nothing left to sum.
      const flushWindow = () => window === this.#windowStart && this.#flush();
      this.#schedule(flushWindow, window + this.#intervalMs - now);
    }
  }

  /** Logs the summary of the interval now, where drops went unlogged (shutdown). */
  flush(): void {
    this.#flush();
  }

  #openWindow(now: number): void {
    this.#flush();
    this.#windowStart = now;
    this.#inWindow = 0;
  }

  #flush(): void {
    this.#summaryPending = false;
    if (this.#suppressed === 0) return;
    this.#logger.warn(
      {
        suppressed: this.#suppressed,
        dropped: this.#total,
        intervalMs: this.#intervalMs,
        last: this.#last,
      },
      this.#messages.summary,
    );
    this.#suppressed = 0;
    this.#last = undefined;
  }
}

function scheduleUnref(callback: () => void, ms: number): void {
  setTimeout(callback, ms).unref();
}
