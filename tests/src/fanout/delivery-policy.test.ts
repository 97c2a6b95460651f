/** Backoff and circuit breaker decisions as pure functions of progress and time. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  admit,
  afterFailure,
  backoffDelayMs,
  defaultDeliveryPolicy,
  type BreakerView,
} from '../../../src/fanout/delivery-policy.ts';

const policy = {
  ...defaultDeliveryPolicy,
  baseDelayMs: 1000,
  maxDelayMs: 10_000,
  breakerThreshold: 3,
  breakerCooldownMs: 60_000,
};
const now = new Date('2024-05-01T08:00:00.000Z');
const later = (ms: number) => new Date(now.getTime() + ms);
const closed: BreakerView = {
  attempts: 0,
  next_attempt_at: null,
  breaker_state: 'closed',
  breaker_opened_at: null,
};

describe('backoffDelayMs', () => {
  it('backoffDelayMs doubles from the base up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 40].map((attempts) => backoffDelayMs(attempts, policy));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });
});

describe('admit', () => {
  it('admit waits until the next attempt is due', () => {
    const failed = afterFailure(closed, { messageId: '5', reason: 'x', probe: false }, now, policy);
    assert.equal(admit(failed, later(999), policy), 'wait');
    assert.equal(admit(failed, later(1000), policy), 'deliver');
  });

  it('admit probes an open breaker only after the cool-down', () => {
    const open: BreakerView = {
      ...closed,
      breaker_state: 'open',
      breaker_opened_at: now.toISOString(),
    };
    assert.equal(admit(open, later(59_999), policy), 'wait');
    assert.equal(admit(open, later(60_000), policy), 'probe');
    assert.equal(admit({ ...open, breaker_state: 'half_open' }, now, policy), 'probe');
  });
});

describe('afterFailure', () => {
  it('afterFailure opens the breaker at the threshold with the reason', () => {
    let view: BreakerView = closed;
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      view = afterFailure(
        view,
        { messageId: '5', reason: 'answered HTTP 500', probe: false },
        now,
        policy,
      );
      states.push(view.breaker_state);
    }
    assert.deepEqual(states, ['closed', 'closed', 'open']);
    assert.equal(
      (view as ReturnType<typeof afterFailure>).breaker_reason,
      '3 consecutive failed attempts at message 5: answered HTTP 500',
    );
  });

  it('afterFailure of a half-open probe opens the breaker again', () => {
    const probing: BreakerView = { ...closed, attempts: 3, breaker_state: 'half_open' };
    const after = afterFailure(probing, { messageId: '5', reason: 'x', probe: true }, now, policy);
    assert.equal(after.breaker_state, 'open');
    assert.equal(after.breaker_opened_at, now.toISOString());
  });
});
