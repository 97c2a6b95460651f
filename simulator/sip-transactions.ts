/**
 * The transaction layer the simulator needs (RFC 3261 §17), kept small: client transactions
 * that retransmit over UDP and resolve on the final response, and a cache of the last
 * response per server transaction so that a retransmitted request is answered, not redone.
 */
import { parseCSeq, parseVia } from '../media-node/formats/sip-message.ts';
import type { SipRequest, SipResponse } from '../media-node/formats/sip-message.ts';
import type { Clock } from './clock.ts';
import type { SipTransport } from './sip-transport.ts';

/** RFC 3261 §17.1.1.1 timer values, in milliseconds. */
export const T1 = 500;
export const T2 = 4000;
const TRANSACTION_TIMEOUT = 64 * T1;

/** The transaction key of RFC 3261 §17.1.3 / §17.2.3: top Via branch and CSeq method. */
function transactionKey(message: SipRequest | SipResponse): string {
  const branch = parseVia(message.headers.get('Via') ?? '').branch ?? '';
  const { method } = parseCSeq(message.headers.get('CSeq') ?? '');
  return `${branch} ${method === 'ACK' ? 'INVITE' : method}`;
}

/** A request that got no final response in time (Timer B/F). */
export class TransactionTimeout extends Error {
  override readonly name = 'TransactionTimeout';
}

interface Pending {
  resolve(response: SipResponse): void;
  reject(error: Error): void;
  timers: unknown[];
}

export class ClientTransactions {
  readonly #pending = new Map<string, Pending>();

  constructor(
    private readonly transport: SipTransport,
    private readonly clock: Clock,
  ) {}

  /**
   * Sends a request and resolves with its final response (provisional ones are skipped).
   * Over UDP the request is resent after T1, 2·T1, … capped at T2; rejects with
   * TransactionTimeout after 64·T1.
   */
  request(req: SipRequest): Promise<SipResponse> {
    const key = transactionKey(req);
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject, timers: [] };
      this.#pending.set(key, pending);
      const timeout = this.clock.setTimeout(() => {
        this.#finish(key);
        reject(
          new TransactionTimeout(
            `Cannot complete ${req.method}: no response in ${TRANSACTION_TIMEOUT} ms`,
          ),
        );
      }, TRANSACTION_TIMEOUT);
      pending.timers.push(timeout);
      try {
        this.transport.send(req);
      } catch (error) {
        this.#finish(key);
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (!this.transport.reliable) this.#retransmit(req, pending, T1);
    });
  }

  #retransmit(req: SipRequest, pending: Pending, interval: number): void {
    const timer = this.clock.setTimeout(() => {
      this.transport.send(req);
      this.#retransmit(req, pending, Math.min(interval * 2, T2));
    }, interval);
    pending.timers.push(timer);
  }

  /** Hands a response to its transaction; false where none is waiting for it. */
  handleResponse(res: SipResponse): boolean {
    const key = transactionKey(res);
    const pending = this.#pending.get(key);
    if (pending === undefined) return false;
    if (res.status < 200) {
      // A provisional response stops retransmission of the request (§17.1.2.2).
      this.#clearTimers(pending, 1);
      return true;
    }
    this.#finish(key);
    pending.resolve(res);
    return true;
  }

  /** Rejects every waiting request, e.g. on shutdown. */
  cancelAll(reason: string): void {
    for (const [key, pending] of this.#pending) {
      this.#finish(key);
      pending.reject(new TransactionTimeout(reason));
    }
  }

  #finish(key: string): void {
    const pending = this.#pending.get(key);
    if (pending !== undefined) this.#clearTimers(pending, 0);
    this.#pending.delete(key);
  }

  /** Clears the timers after the first `keep` (the first one is the overall timeout). */
  #clearTimers(pending: Pending, keep: number): void {
    for (const timer of pending.timers.splice(keep)) this.clock.clearTimeout(timer);
  }
}

/** The last response sent per server transaction, for retransmitted requests. */
export class ServerResponses {
  readonly #responses = new Map<string, SipResponse>();

  constructor(private readonly capacity = 256) {}

  lookup(req: SipRequest): SipResponse | undefined {
    return req.method === 'ACK' ? undefined : this.#responses.get(transactionKey(req));
  }

  remember(req: SipRequest, res: SipResponse): void {
    const key = transactionKey(req);
    this.#responses.delete(key);
    this.#responses.set(key, res);
    if (this.#responses.size > this.capacity) {
      const oldest = this.#responses.keys().next().value;
      if (oldest !== undefined) this.#responses.delete(oldest);
    }
  }
}
