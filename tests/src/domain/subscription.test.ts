/**
 * The subscription decider as specifications: given the events of a subscription's stream, a
 * command gives the events to append or a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decideRegisterSubscription,
  decideRemoveSubscription,
  decideReplaySubscription,
  foldSubscription,
  subscriptionId,
  subscriptionStreamName,
  type SubscriptionEvent,
} from '../../../src/domain/subscription.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';

const userId = '100000000000000001';
const id = subscriptionId(userId, 'DEVICE_STATUS');
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();
const url = 'https://isv.example.com/argus';

const register = (callbackUrl = url, signingKey = 'auth-key-1') => ({
  userId,
  subscriptionType: 'DEVICE_STATUS' as const,
  callbackUrl,
  signingKey,
  keySource: 'auth_key' as const,
  startAfter: 41,
  at,
});

const registered = (callbackUrl = url, signingKey = 'auth-key-1'): SubscriptionEvent => ({
  type: 'SubscriptionRegistered',
  data: {
    subscriptionId: id,
    userId,
    subscriptionType: 'DEVICE_STATUS',
    callbackUrl,
    signingKey,
    keySource: 'auth_key',
    startAfter: 41,
    at: iso,
  },
});

const removed: SubscriptionEvent = {
  type: 'SubscriptionRemoved',
  data: { subscriptionId: id, userId, at: iso },
};

/** The subscription after `events`. */
const given = (...events: SubscriptionEvent[]) => foldSubscription(id, events);

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('subscription ids', () => {
  it('subscriptionId names one subscription per enterprise and type, in its own stream', () => {
    assert.equal(id, '100000000000000001-DEVICE_STATUS');
    assert.equal(subscriptionStreamName(id), 'subscription-100000000000000001-DEVICE_STATUS');
  });
});

describe('decideRegisterSubscription', () => {
  it('decideRegisterSubscription records a new subscription', () => {
    assert.deepEqual(decideRegisterSubscription(given(), register()), [registered()]);
  });

  it('decideRegisterSubscription records nothing for the same URL and key again', () => {
    assert.deepEqual(decideRegisterSubscription(given(registered()), register()), []);
  });

  it('decideRegisterSubscription records a new URL or a new key', () => {
    const other = 'https://isv.example.com/v2';
    assert.deepEqual(decideRegisterSubscription(given(registered()), register(other)), [
      registered(other),
    ]);
    assert.deepEqual(decideRegisterSubscription(given(registered()), register(url, 'auth-key-2')), [
      registered(url, 'auth-key-2'),
    ]);
  });

  it('decideRegisterSubscription records a subscription removed before', () => {
    assert.deepEqual(decideRegisterSubscription(given(registered(), removed), register()), [
      registered(),
    ]);
  });
});

describe('decideRemoveSubscription', () => {
  it('decideRemoveSubscription records the removal', () => {
    assert.deepEqual(decideRemoveSubscription(given(registered()), { userId, at }), [removed]);
  });

  it('decideRemoveSubscription refuses an absent subscription with NOT_FOUND', () => {
    assert.throws(
      () => decideRemoveSubscription(given(registered(), removed), { userId, at }),
      rejectsWith(errorCodes.NOT_FOUND, /^Cannot remove subscription: no subscription 1000/),
    );
  });
});

describe('decideReplaySubscription', () => {
  it('decideReplaySubscription records where delivery starts again', () => {
    assert.deepEqual(
      decideReplaySubscription(given(registered()), { userId, fromPosition: 7, at }),
      [
        {
          type: 'SubscriptionReplayRequested',
          data: { subscriptionId: id, userId, fromPosition: 7, at: iso },
        },
      ],
    );
  });

  it('decideReplaySubscription refuses an absent subscription with NOT_FOUND', () => {
    assert.throws(
      () => decideReplaySubscription(given(), { userId, fromPosition: 7, at }),
      rejectsWith(errorCodes.NOT_FOUND, /^Cannot replay messages: no subscription/),
    );
  });

  it('decideReplaySubscription refuses a position below 1 with VALIDATION', () => {
    assert.throws(
      () => decideReplaySubscription(given(registered()), { userId, fromPosition: 0, at }),
      rejectsWith(errorCodes.VALIDATION, /^Cannot replay messages: .*: 0$/),
    );
  });
});
