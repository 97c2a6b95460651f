/**
 * Assembles the answers to RecordInfo queries (GB/T 28181-2016 §A.2.6.6): the pages of one
 * answer share the query's SN and arrive in any order, some twice. A query is answered once
 * SumNum distinct recordings are in, or once the device went quiet after its first page (an
 * answer whose pages were lost is given as far as it came, marked incomplete). A device that
 * answers with an SN of its own gets its first page matched to its oldest waiting query.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { ManscdpMessage } from '../formats/manscdp.ts';
import {
  readRecordInfoPage,
  recordKey,
  RECORD_INFO_MAX_ITEMS,
  type RecordInfoPage,
  type RecordItem,
} from './record-info.ts';

/** What one query was answered. */
export interface RecordInfoAnswer {
  readonly sumNum: number;
  /** Distinct recordings, in the order first received. */
  readonly items: readonly RecordItem[];
  /** False where the device went quiet before SumNum recordings came. */
  readonly complete: boolean;
}

export interface RecordInfoCollectorOptions {
  /** How long the device has for its first page (10 s by default). */
  readonly firstPageMs?: number;
  /** How long after a page without another the answer is taken as it is (3 s by default). */
  readonly quietMs?: number;
}

interface Pending {
  readonly deviceId: string;
  /** The SNs the answer's pages carry: the query's, and the device's own where it differs. */
  readonly sns: Set<number>;
  sumNum: number;
  readonly items: Map<string, RecordItem>;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly resolve: (answer: RecordInfoAnswer) => void;
  readonly reject: (error: Error) => void;
}

export class RecordInfoCollector {
  readonly #firstPageMs: number;
  readonly #quietMs: number;
  /** In the order asked, so the oldest is found first. */
  readonly #pending = new Set<Pending>();

  constructor(options: RecordInfoCollectorOptions = {}) {
    this.#firstPageMs = options.firstPageMs ?? 10_000;
    this.#quietMs = options.quietMs ?? 3_000;
  }

  /**
   * Sends the query with `send` (which returns the SN it used) and resolves with the answer.
   * @throws ArgusError UNAVAILABLE where no page comes within firstPageMs, or what `send`
   *   throws
   */
  async collect(deviceId: string, send: () => Promise<number>): Promise<RecordInfoAnswer> {
    let pending: Pending | undefined;
    const answered = new Promise<RecordInfoAnswer>((resolve, reject) => {
      pending = {
        deviceId,
        sns: new Set(),
        sumNum: 0,
        items: new Map(),
        timer: undefined,
        resolve,
        reject,
      };
    });
    if (pending === undefined) throw new Error('unreachable: the executor runs synchronously');
    const entry = pending;
    // Registered before sending: over UDP the first page may come before `send` resolves.
    this.#pending.add(entry);
    entry.timer = setTimeout(() => this.#noAnswer(entry), this.#firstPageMs);
    try {
      entry.sns.add(await send());
      return await answered;
    } finally {
      clearTimeout(entry.timer);
      this.#pending.delete(entry);
    }
  }

  /**
   * Offers a MANSCDP message a registered device sent; true where it was a page of an answer
   * being collected.
   * @throws ArgusError MANSCDP_MALFORMED or MANSCDP_TOO_LARGE for a page that cannot be read
   */
  add(deviceId: string, message: ManscdpMessage): boolean {
    if (message.root !== 'Response' || message.cmdType !== 'RecordInfo') return false;
    const pending = this.#find(deviceId, message.sn);
    if (pending === undefined) return false;
    this.#take(pending, readRecordInfoPage(message));
    return true;
  }

  /** The query this page answers: by SN, else the oldest of the device with no page yet. */
  #find(deviceId: string, sn: number): Pending | undefined {
    let oldest: Pending | undefined;
    for (const pending of this.#pending) {
      if (pending.deviceId !== deviceId) continue;
      if (pending.sns.has(sn)) return pending;
      if (pending.items.size === 0 && pending.sumNum === 0) oldest ??= pending;
    }
    oldest?.sns.add(sn);
    return oldest;
  }

  #take(pending: Pending, page: RecordInfoPage): void {
    pending.sumNum = Math.min(page.sumNum, RECORD_INFO_MAX_ITEMS);
    for (const item of page.items) {
      if (pending.items.size >= RECORD_INFO_MAX_ITEMS) break;
      pending.items.set(recordKey(item), item);
    }
    clearTimeout(pending.timer);
    if (pending.items.size >= pending.sumNum) return this.#settle(pending, true);
    pending.timer = setTimeout(() => this.#settle(pending, false), this.#quietMs);
  }

  #settle(pending: Pending, complete: boolean): void {
    this.#pending.delete(pending);
    clearTimeout(pending.timer);
    const items = [...pending.items.values()];
    pending.resolve({ sumNum: pending.sumNum, items, complete });
  }

  #noAnswer(pending: Pending): void {
    this.#pending.delete(pending);
    const ms = this.#firstPageMs;
    pending.reject(
      new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot query RecordInfo: device ${pending.deviceId} did not answer within ${ms} ms`,
      ),
    );
  }
}
