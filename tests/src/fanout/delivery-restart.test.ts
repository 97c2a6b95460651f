/**
 * Delivery end to end (issue 6, done-when): a real HTTP receiver on loopback that fails, times
 * out and recovers gets every message exactly once after de-duplication by `message_id`, in
 * order per device, across a restart of the delivery loop in the middle of delivery (a new
 * instance on a new connection to the same database). Real time, short delays; no assertion on
 * timing.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, it } from 'node:test';

import { DeliveryLoop } from '../../../src/fanout/delivery-loop.ts';
import { silentLogger } from '../../../src/logger.ts';
import {
  added,
  cameOnline,
  fanoutPlatform,
  given,
  openFanoutDatabase,
  openStore,
  otherUserId,
  receiver,
  registered,
  removeDatabases,
  userId,
  wentOffline,
  type Received,
} from './support.ts';

after(removeDatabases);

const cameras = ['34020000001320000001', '34020000001320000002', '34020000001320000003'];
const foreign = '34020000001320000009';
const authKey = 'restart-key-01';
const policy = {
  timeoutMs: 150,
  baseDelayMs: 10,
  maxDelayMs: 40,
  breakerThreshold: 3,
  breakerCooldownMs: 60,
};

/** Status changes of every camera, interleaved, plus some of another enterprise's camera. */
async function appendRound(store: Parameters<typeof given>[0], second: number): Promise<void> {
  for (const camera of cameras) await given(store, camera, wentOffline(camera, second));
  await given(store, foreign, wentOffline(foreign, second), cameOnline(foreign, second));
  for (const camera of cameras) await given(store, camera, cameOnline(camera, second + 1));
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function verifies(request: Received): boolean {
  const timestamp = String(request.headers['x-argus-timestamp']);
  const mac = createHmac('sha256', authKey).update(`${timestamp}.${request.body}`).digest('hex');
  return request.headers['x-argus-signature'] === `sha256=${mac}`;
}

it('delivery to a failing, slow receiver over a restart: each message once, in order', async () => {
  const hook = await receiver();
  const platform = await fanoutPlatform();
  const loops: { stop: () => Promise<void> }[] = [];
  const startLoop = (db: typeof platform.db, store: typeof platform.store) => {
    const loop = new DeliveryLoop({ db, dialect: 'sqlite', store, logger: silentLogger, policy });
    const abort = new AbortController();
    const running = loop.run(abort.signal);
    const handle = { stop: async () => (abort.abort(), await running) };
    loops.push(handle);
    return handle;
  };
  try {
    const registration = await platform.call('POST', `/v1/${userId}/messages/callback`, {
      body: { callback_url: hook.url, subscription_type: 'DEVICE_STATUS', auth_key: authKey },
    });
    assert.equal(registration.status, 200, registration.text);
    for (const camera of cameras) await given(platform.store, camera, added(camera));
    await given(platform.store, foreign, added(foreign, otherUserId), registered(foreign));
    for (const camera of cameras) await given(platform.store, camera, registered(camera));
    await appendRound(platform.store, 10);

    // Fails, times out, fails enough to open the breaker, then recovers.
    hook.answer(500, { hang: 400 }, 503, 500, 500, 200, 200, { hang: 400 }, 200);
    const messages = () => hook.received.filter((request) => request.json.test === false);
    const first = startLoop(platform.db, platform.store);
    await until(() => new Set(messages().map((m) => m.json.message_id)).size >= 5, '5 messages');
    await first.stop();

    await appendRound(platform.store, 20);
    hook.answer(500, { hang: 300 }, 200, 502);
    const reopened = await openFanoutDatabase(platform.path);
    const second = startLoop(reopened.db, openStore(reopened.db).store);

    const log = await platform.store.readAll({ after: 0, maxCount: 1000 });
    const expected = log
      .filter((event) => cameras.some((camera) => event.streamName === `device-${camera}`))
      .filter((event) => event.type !== 'DeviceAdded')
      .map((event) => ({
        id: String(event.globalPosition),
        device: String(event.data['deviceId']),
      }));
    const received = () => new Set(messages().map((m) => m.json.message_id));
    await until(() => expected.every((e) => received().has(e.id)), 'every message');
    await second.stop();
    await reopened.db.destroy();

    const deduplicated = [...new Map(messages().map((m) => [m.json.message_id, m])).values()];
    assert.deepEqual(
      deduplicated.map((m) => m.json.message_id).sort((a, b) => Number(a) - Number(b)),
      expected.map((e) => e.id),
      'every message of the enterprise, no other',
    );
    for (const camera of cameras) {
      const firstSeen = [
        ...new Set(
          messages()
            .filter((m) => m.json.data.device_id === camera)
            .map((m) => m.json.message_id as string),
        ),
      ];
      const inLog = expected.filter((e) => e.device === camera).map((e) => e.id);
      assert.deepEqual(firstSeen, inLog, `order of ${camera}`);
    }
    assert.ok(messages().length > expected.length, 'the failures caused repeats');
    assert.ok(messages().every(verifies), 'every message is signed');

    const deliveries = await platform.call('GET', `/v1/${userId}/messages/deliveries?limit=1000`);
    const details = new Set(deliveries.json.deliveries.map((d: any) => d.detail));
    assert.ok(details.has('answered HTTP 500'));
    assert.ok(details.has('gave no answer within 150 ms'));
    const probes = deliveries.json.deliveries.filter(
      (d: any) => d.attempt > policy.breakerThreshold,
    );
    assert.ok(probes.length > 0, 'the breaker opened and was probed');
    const state = (await platform.call('GET', `/v1/${userId}/messages/callback`)).json;
    assert.equal(state.callbacks[0].delivery.state, 'closed');
  } finally {
    for (const loop of loops) await loop.stop();
    await hook.close();
    await platform.close();
  }
});
