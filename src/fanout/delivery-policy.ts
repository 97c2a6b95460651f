/**
 * When a subscription may be posted to: exponential backoff between failed attempts, and a
 * circuit breaker that opens after `breakerThreshold` consecutive failures, lets one probe
 * through (half-open) after `breakerCooldownMs`, and closes on its success. Pure functions of
 * the stored progress and the time, so the loop and its tests share them.
 */
import type { BreakerState } from './fanout-tables.ts';

export interface DeliveryPolicy {
  /** How long one post may take before it counts as failed. */
  readonly timeoutMs: number;
  /** The delay after the first failure; each further failure doubles it. */
  readonly baseDelayMs: number;
  /** The longest delay between two attempts. */
  readonly maxDelayMs: number;
  /** Consecutive failures that open the breaker. */
  readonly breakerThreshold: number;
  /** How long an open breaker waits before one probe. */
  readonly breakerCooldownMs: number;
  /** Events read from the log per step. */
  readonly batchSize: number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  timeoutMs: 5000,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  breakerThreshold: 8,
  breakerCooldownMs: 10 * 60_000,
  batchSize: 200,
};

/** The part of a subscription's stored progress the policy reads. */
export interface BreakerView {
  readonly attempts: number;
  readonly next_attempt_at: string | null;
  readonly breaker_state: BreakerState;
  readonly breaker_opened_at: string | null;
}

/** `wait`: not yet; `deliver`: go on; `probe`: one attempt, the breaker being half-open. */
export type Admission = 'wait' | 'deliver' | 'probe';

export function admit(view: BreakerView, now: Date, policy: DeliveryPolicy): Admission {
  if (view.breaker_state === 'half_open') return 'probe';
  if (view.breaker_state === 'open') {
    const openedAt = Date.parse(view.breaker_opened_at ?? '');
    const due = Number.isNaN(openedAt) || now.getTime() >= openedAt + policy.breakerCooldownMs;
    return due ? 'probe' : 'wait';
  }
  if (view.next_attempt_at !== null && now.getTime() < Date.parse(view.next_attempt_at)) {
    return 'wait';
  }
  return 'deliver';
}

/** The delay after `attempts` consecutive failures: base × 2^(attempts − 1), capped. */
export function backoffDelayMs(attempts: number, policy: DeliveryPolicy): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(policy.baseDelayMs * 2 ** exponent, policy.maxDelayMs);
}

/** The progress after a failed attempt at message `messageId` for `reason`. */
export function afterFailure(
  view: BreakerView,
  failure: { messageId: string; reason: string; probe: boolean },
  now: Date,
  policy: DeliveryPolicy,
) {
  const attempts = view.attempts + 1;
  const opens = failure.probe || attempts >= policy.breakerThreshold;
  const at = now.toISOString();
  return {
    attempts,
    next_attempt_at: new Date(now.getTime() + backoffDelayMs(attempts, policy)).toISOString(),
    breaker_state: opens ? ('open' as const) : ('closed' as const),
    breaker_reason: opens
      ? `${attempts} consecutive failed attempts at message ${failure.messageId}: ${failure.reason}`
      : null,
    breaker_opened_at: opens ? at : null,
  };
}

/** The progress after a delivered message. */
export function afterSuccess() {
  return {
    attempts: 0,
    next_attempt_at: null,
    breaker_state: 'closed' as const,
    breaker_reason: null,
    breaker_opened_at: null,
  };
}
