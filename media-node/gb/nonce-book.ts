/**
 * The digest nonces a registrar has issued (RFC 3261 §22.4, RFC 2617 §3.2.1): each with the
 * opaque value it went out with, good for one registration within its lifetime. Memory only
 * and bounded: after a restart every nonce is stale, and devices are challenged afresh.
 */

export const NONCE_LIFETIME_MS = 5 * 60_000;
export const NONCE_MAX_OUTSTANDING = 10_000;

/** `fresh`: issued here, in time, opaque echoed or left out; else `stale`. */
export type NonceCheck = 'fresh' | 'stale';

export interface NonceBookOptions {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly lifetimeMs?: number;
  readonly maxOutstanding?: number;
}

export class NonceBook {
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #max: number;
  readonly #issued = new Map<string, { issuedAt: number; opaque: string }>();

  constructor(options: NonceBookOptions) {
    this.#now = options.now;
    this.#lifetimeMs = options.lifetimeMs ?? NONCE_LIFETIME_MS;
    this.#max = options.maxOutstanding ?? NONCE_MAX_OUTSTANDING;
  }

  /** A new nonce and the opaque value to send with it. */
  issue(): { nonce: string; opaque: string } {
    const nonce = randomHex();
    const opaque = randomHex().slice(0, 16);
    this.#makeRoom();
    this.#issued.set(nonce, { issuedAt: this.#now(), opaque });
    return { nonce, opaque };
  }

  /**
   * Uses up `nonce`. Stale where it was never issued here, is past its lifetime, or comes
   * with an opaque value other than the one sent with it (an answer to another challenge).
   * Devices that leave opaque out are let through: many GB/T 28181 devices never echo it.
   */
  take(nonce: string, opaque: string | undefined): NonceCheck {
    const issued = this.#issued.get(nonce);
    if (issued === undefined) return 'stale';
    this.#issued.delete(nonce);
    if (this.#now() - issued.issuedAt > this.#lifetimeMs) return 'stale';
    return opaque === undefined || opaque === issued.opaque ? 'fresh' : 'stale';
  }

  get size(): number {
    return this.#issued.size;
  }

  /** Drops expired nonces, then the oldest, until there is room for one more. */
  #makeRoom(): void {
    if (this.#issued.size < this.#max) return;
    const now = this.#now();
    for (const [nonce, { issuedAt }] of this.#issued) {
      if (now - issuedAt > this.#lifetimeMs || this.#issued.size >= this.#max) {
        this.#issued.delete(nonce);
      }
    }
  }
}

function randomHex(): string {
  return crypto.randomUUID().replaceAll('-', '');
}
