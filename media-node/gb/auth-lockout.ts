/**
 * Locks out a source that keeps failing digest authentication: after `maxFailures` failures
 * within `windowMs`, its REGISTERs are refused unread for `lockoutMs`. A source is an address
 * and a claimed device ID together: many cameras share one public address behind NAT, and
 * one with a wrong password must not lock out its neighbours. Memory only, and bounded.
 */

export const AUTH_MAX_FAILURES = 5;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
export const AUTH_LOCKOUT_MS = 5 * 60_000;
export const AUTH_MAX_SOURCES = 10_000;

export interface AuthLockoutOptions {
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly lockoutMs?: number;
  readonly maxSources?: number;
}

interface Source {
  windowStart: number;
  failures: number;
  lockedUntil: number;
}

export class AuthLockout {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #lockoutMs: number;
  readonly #maxSources: number;
  readonly #sources = new Map<string, Source>();

  constructor(options: AuthLockoutOptions = {}) {
    this.#maxFailures = options.maxFailures ?? AUTH_MAX_FAILURES;
    this.#windowMs = options.windowMs ?? AUTH_FAILURE_WINDOW_MS;
    this.#lockoutMs = options.lockoutMs ?? AUTH_LOCKOUT_MS;
    this.#maxSources = options.maxSources ?? AUTH_MAX_SOURCES;
  }

  /** Until when (ms since the epoch) `source` is locked out, or undefined. */
  lockedUntil(source: string, now: number): number | undefined {
    const entry = this.#sources.get(source);
    return entry !== undefined && entry.lockedUntil > now ? entry.lockedUntil : undefined;
  }

  /** Counts a failure; returns the end of the lockout where this failure starts one. */
  fail(source: string, now: number): number | undefined {
    let entry = this.#sources.get(source);
    if (entry === undefined || now - entry.windowStart > this.#windowMs) {
      this.#makeRoom(source);
      entry = { windowStart: now, failures: 0, lockedUntil: 0 };
      this.#sources.set(source, entry);
    }
    entry.failures++;
    if (entry.failures < this.#maxFailures) return undefined;

    entry.lockedUntil = now + this.#lockoutMs;
    entry.failures = 0;
    entry.windowStart = entry.lockedUntil;
    return entry.lockedUntil;
  }

  /** Forgets the failures of a source that authenticated. */
  clear(source: string): void {
    this.#sources.delete(source);
  }

  get failureLimit(): number {
    return this.#maxFailures;
  }

  /** Drops the oldest source (Map order is insertion order) where the table is full. */
  #makeRoom(source: string): void {
    this.#sources.delete(source);
    if (this.#sources.size < this.#maxSources) return;
    const oldest = this.#sources.keys().next();
    if (oldest.done !== true) this.#sources.delete(oldest.value);
  }
}
