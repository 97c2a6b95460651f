/**
 * `…/messages/callback`, `…/messages/deliveries` and `…/messages/replay` as specifications:
 * requests through the mounted sub-app, callbacks answered by real HTTP receivers on loopback.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, it } from 'node:test';

import { DeliveryLoop } from '../../../src/fanout/delivery-loop.ts';
import type { Fetch } from '../../../src/fanout/post-message.ts';
import { silentLogger } from '../../../src/logger.ts';
import {
  added,
  fanoutPlatform,
  given,
  receiver,
  registered,
  removeDatabases,
  userId,
  wentOffline,
} from './support.ts';

after(removeDatabases);

const camera = '34020000001320000001';
const base = `/v1/${userId}/messages`;

function assertValidation(answer: { status: number; json: any }, message: RegExp) {
  assert.equal(answer.status, 400, JSON.stringify(answer.json));
  assert.equal(answer.json.error_code, 'IVM.10000001');
  assert.match(answer.json.error_msg, message);
}

describe('POST /v1/{user_id}/messages/callback', () => {
  it('registers a URL that answers the signed test message with 200', async () => {
    const platform = await fanoutPlatform();
    const hook = await receiver();
    try {
      const answer = await platform.call('POST', `${base}/callback`, {
        body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS', auth_key: 'key-0001' },
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.callback_url, hook.url);
      assert.equal(answer.json.signing_secret, undefined);

      assert.equal(hook.received.length, 1);
      const test = hook.received[0]!;
      assert.equal(test.json.test, true);
      assert.match(test.json.message_id, /^test-/);
      const timestamp = String(test.headers['x-argus-timestamp']);
      const expected = createHmac('sha256', 'key-0001').update(`${timestamp}.${test.body}`);
      assert.equal(test.headers['x-argus-signature'], `sha256=${expected.digest('hex')}`);

      const listed = await platform.call('GET', `${base}/callback`);
      assert.equal(listed.json.total, 1);
      assert.deepEqual(listed.json.callbacks[0].delivery.state, 'closed');
      assert.equal(listed.json.callbacks[0].subscription_type, 'DEVICE_STATUS');
      assert.equal(
        JSON.stringify(listed.json).includes('key-0001'),
        false,
        'the key is never shown',
      );
    } finally {
      await hook.close();
      await platform.close();
    }
  });

  it('returns a generated signing secret where no auth_key is given', async () => {
    const platform = await fanoutPlatform();
    const hook = await receiver();
    try {
      const answer = await platform.call('POST', `${base}/callback`, {
        body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS' },
      });
      assert.match(answer.json.signing_secret, /^[0-9a-f]{64}$/);
      const test = hook.received[0]!;
      const timestamp = String(test.headers['x-argus-timestamp']);
      const expected = createHmac('sha256', answer.json.signing_secret)
        .update(`${timestamp}.${test.body}`)
        .digest('hex');
      assert.equal(test.headers['x-argus-signature'], `sha256=${expected}`);
      assert.equal(test.headers['x-ivm-signature'], undefined);
    } finally {
      await hook.close();
      await platform.close();
    }
  });

  it('refuses a URL that answers 500, saying so', async () => {
    const platform = await fanoutPlatform();
    const hook = await receiver([500]);
    try {
      const answer = await platform.call('POST', `${base}/callback`, {
        body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS' },
      });
      assertValidation(
        answer,
        /^Cannot register callback_url: the test message was not accepted: .* HTTP 500$/,
      );
      assert.equal((await platform.call('GET', `${base}/callback`)).json.total, 0);
    } finally {
      await hook.close();
      await platform.close();
    }
  });

  it('refuses a URL that answers after the timeout', async () => {
    const platform = await fanoutPlatform({ callbacks: { timeoutMs: 150 } });
    const hook = await receiver([{ hang: 500 }]);
    try {
      const answer = await platform.call('POST', `${base}/callback`, {
        body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS' },
      });
      assertValidation(answer, /the URL gave no answer within 150 ms$/);
    } finally {
      await hook.close();
      await platform.close();
    }
  });

  it('refuses a URL nobody listens on', async () => {
    const platform = await fanoutPlatform();
    const hook = await receiver();
    await hook.close();
    try {
      const answer = await platform.call('POST', `${base}/callback`, {
        body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS' },
      });
      assertValidation(answer, /the URL could not be reached \(.+\)$/);
    } finally {
      await platform.close();
    }
  });

  it('refuses a loopback URL, sending it nothing, unless private URLs are allowed', async () => {
    const platform = await fanoutPlatform({ callbacks: { allowPrivate: false } });
    const hook = await receiver();
    try {
      for (const url of [hook.url, hook.url.replace('127.0.0.1', 'localhost')]) {
        const answer = await platform.call('POST', `${base}/callback`, {
          body: { callback_url: url, subscription_type: 'DEVICE_STATUS' },
        });
        assertValidation(answer, /^Cannot accept callback_url: .* is a loopback address/);
      }
      assert.equal(hook.received.length, 0);
    } finally {
      await hook.close();
      await platform.close();
    }
  });

  it('refuses an unknown subscription type and a short auth_key', async () => {
    const platform = await fanoutPlatform();
    try {
      const url = 'http://127.0.0.1:9/hook';
      const unknown = await platform.call('POST', `${base}/callback`, {
        body: { callback_url: url, subscription_type: 'EVERYTHING' },
      });
      assertValidation(unknown, /^Cannot accept request: subscription_type /);
      const short = await platform.call('POST', `${base}/callback`, {
        body: { callback_url: url, subscription_type: 'DEVICE_STATUS', auth_key: 'abc' },
      });
      assertValidation(short, /^Cannot accept request: auth_key /);
    } finally {
      await platform.close();
    }
  });
});

describe('DELETE /v1/{user_id}/messages/callback', () => {
  it('removes the subscription, then answers 404', async () => {
    const platform = await fanoutPlatform();
    const hook = await receiver();
    try {
      await platform.call('POST', `${base}/callback`, {
        body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS' },
      });
      const query = '?subscription_type=DEVICE_STATUS';
      assert.equal((await platform.call('DELETE', `${base}/callback${query}`)).status, 204);
      assert.equal((await platform.call('GET', `${base}/callback`)).json.total, 0);
      const again = await platform.call('DELETE', `${base}/callback${query}`);
      assert.equal(again.status, 404);
      assert.match(again.json.error_msg, /^Cannot remove subscription: no subscription/);
    } finally {
      await hook.close();
      await platform.close();
    }
  });
});

describe('delivery state, log and replay', () => {
  it('shows an open breaker and its reason, the log, and replays by id or time', async () => {
    const platform = await fanoutPlatform();
    const hook = await receiver();
    try {
      await platform.call('POST', `${base}/callback`, {
        body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS', auth_key: 'key-0001' },
      });
      await given(platform.store, camera, added(camera), registered(camera));
      const offline = await given(platform.store, camera, wentOffline(camera));

      const failing: Fetch = async () => new Response(null, { status: 503 });
      const loop = new DeliveryLoop({
        ...{ db: platform.db, dialect: 'sqlite', store: platform.store, logger: silentLogger },
        fetch: failing,
        now: () => platform.clock.now,
        policy: { breakerThreshold: 2, baseDelayMs: 1000 },
      });
      await loop.runOnce();
      platform.clock.now = new Date(platform.clock.now.getTime() + 1000);
      await loop.runOnce();

      const state = (await platform.call('GET', `${base}/callback`)).json.callbacks[0].delivery;
      assert.equal(state.state, 'open');
      assert.equal(
        state.reason,
        `2 consecutive failed attempts at message ${offline - 1}: answered HTTP 503`,
      );
      assert.equal(state.failed_attempts, 2);

      const log = await platform.call('GET', `${base}/deliveries?limit=10`);
      assert.equal(log.json.total, 2);
      assert.deepEqual(
        log.json.deliveries.map((d: any) => [d.message_id, d.attempt, d.outcome, d.http_status]),
        [
          [String(offline - 1), 2, 'failed', 503],
          [String(offline - 1), 1, 'failed', 503],
        ],
      );

      const byId = await platform.call('POST', `${base}/replay`, {
        body: { subscription_type: 'DEVICE_STATUS', from_message_id: String(offline) },
      });
      assert.equal(byId.status, 200, byId.text);
      assert.equal(byId.json.from_message_id, String(offline));
      const resumed = (await platform.call('GET', `${base}/callback`)).json.callbacks[0].delivery;
      assert.equal(resumed.state, 'closed');
      assert.equal(resumed.delivered_through_message_id, String(offline - 1));

      const byTime = await platform.call('POST', `${base}/replay`, {
        body: { subscription_type: 'DEVICE_STATUS', from_time: '2000-01-01T00:00:00Z' },
      });
      assert.equal(byTime.json.from_message_id, '1');

      const both = await platform.call('POST', `${base}/replay`, {
        body: {
          subscription_type: 'DEVICE_STATUS',
          from_message_id: '1',
          from_time: '2000-01-01T00:00:00Z',
        },
      });
      assertValidation(both, /give exactly one of from_message_id and from_time/);
    } finally {
      await hook.close();
      await platform.close();
    }
  });
});
