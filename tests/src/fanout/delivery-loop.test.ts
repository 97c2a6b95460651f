/**
 * The delivery loop as specifications, deterministic: the clock and fetch are injected, each
 * pass is run by hand, and the stored progress and delivery log are read back from SQLite.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import type { Db } from '../../../src/sql/database.ts';
import { DeliveryLoop } from '../../../src/fanout/delivery-loop.ts';
import { withFanoutTables } from '../../../src/fanout/fanout-tables.ts';
import type { Fetch } from '../../../src/fanout/post-message.ts';
import { signatureHeaders } from '../../../src/fanout/signature.ts';
import { silentLogger } from '../../../src/logger.ts';
import {
  added,
  cameOnline,
  catalog,
  given,
  openFanoutDatabase,
  openStore,
  otherUserId,
  registered,
  removeDatabases,
  start,
  subscribe,
  userId,
  wentOffline,
} from './support.ts';

after(removeDatabases);

const cameraA = '34020000001320000001';
const cameraB = '34020000001320000002';
const foreign = '34020000001320000009';
const hookUrl = 'https://isv.example.com/argus';
const policy = {
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  breakerThreshold: 4,
  breakerCooldownMs: 60_000,
  timeoutMs: 1000,
};

/** A fetch that answers from a script (200 once it is used up) and records each post. */
function scriptedFetch(script: (number | Error)[] = []) {
  const posts: { url: string; headers: Record<string, string>; body: any }[] = [];
  const fetch: Fetch = async (url, init) => {
    const body = String(init.body);
    posts.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(body) });
    const answer = script.shift() ?? 200;
    if (answer instanceof Error) throw answer;
    return new Response(null, { status: answer });
  };
  return { fetch, posts, script };
}

async function setup(script: (number | Error)[] = []) {
  const { db, path } = await openFanoutDatabase();
  const { store, runner } = openStore(db);
  const clock = { now: start };
  const receiver = scriptedFetch(script);
  const loop = (fetch = receiver.fetch) =>
    new DeliveryLoop({
      db,
      dialect: 'sqlite',
      store,
      logger: silentLogger,
      fetch,
      now: () => clock.now,
      policy,
    });
  const advance = (ms: number) => {
    clock.now = new Date(clock.now.getTime() + ms);
  };
  return { db, path, store, runner, clock, advance, receiver, loop };
}

async function progress(db: Db, id: string) {
  return withFanoutTables(db)
    .selectFrom('subscription_deliveries')
    .selectAll()
    .where('subscription_id', '=', id)
    .executeTakeFirstOrThrow();
}

async function logLines(db: Db) {
  return withFanoutTables(db)
    .selectFrom('subscription_delivery_log')
    .select(['message_id', 'attempt', 'outcome', 'http_status', 'detail'])
    .orderBy('log_id')
    .execute();
}

const ids = (posts: { body: any }[]) => posts.map((post) => post.body.message_id as string);

describe('DeliveryLoop', () => {
  it('DeliveryLoop posts the enterprise device_status messages in log order, signed', async () => {
    const t = await setup();
    await subscribe(t.store, { url: hookUrl });
    await t.runner.catchUp();
    await given(t.store, cameraA, added(cameraA), registered(cameraA));
    await given(t.store, foreign, added(foreign, otherUserId), registered(foreign));
    await given(t.store, cameraB, added(cameraB), registered(cameraB));
    const offline = await given(t.store, cameraA, wentOffline(cameraA));

    await t.loop().runOnce();

    const posts = t.receiver.posts;
    assert.deepEqual(
      posts.map((post) => [post.body.data.device_id, post.body.data.event_type]),
      [
        [cameraA, 'login'],
        [cameraB, 'login'],
        [cameraA, 'offline_reason_notice'],
      ],
    );
    assert.equal(posts[2]?.body.message_id, String(offline));
    assert.equal(posts[0]?.url, hookUrl);
    assert.match(posts[0]?.headers[signatureHeaders.signature] ?? '', /^sha256=[0-9a-f]{64}$/);
    assert.equal(Number((await progress(t.db, `${userId}-DEVICE_STATUS`)).position), offline);
    assert.deepEqual(
      (await logLines(t.db)).map((line) => line.outcome),
      ['delivered', 'delivered', 'delivered'],
    );
  });

  it('DeliveryLoop starts after the position the subscription was registered at', async () => {
    const t = await setup();
    const before = await given(t.store, cameraA, added(cameraA), registered(cameraA));
    await subscribe(t.store, { url: hookUrl, startAfter: before });
    await t.runner.catchUp();
    const online = await given(t.store, cameraA, wentOffline(cameraA), cameOnline(cameraA));

    await t.loop().runOnce();

    assert.deepEqual(ids(t.receiver.posts), [String(online - 1), String(online)]);
  });

  it('DeliveryLoop retries a failed message with backoff, holding back the rest', async () => {
    const t = await setup([500, 503, new TypeError('fetch failed')]);
    await subscribe(t.store, { url: hookUrl });
    await t.runner.catchUp();
    await given(t.store, cameraA, added(cameraA), registered(cameraA), wentOffline(cameraA));
    const loop = t.loop();

    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await loop.runOnce();
      const row = await progress(t.db, `${userId}-DEVICE_STATUS`);
      const wait = Date.parse(row.next_attempt_at ?? '') - t.clock.now.getTime();
      waits.push(wait);
      await loop.runOnce(); // not due yet: no post
      t.advance(wait);
    }
    assert.deepEqual(waits, [1000, 2000, 4000]);
    assert.equal(t.receiver.posts.length, 3);
    assert.deepEqual(ids(t.receiver.posts), ['3', '3', '3']);

    await loop.runOnce();
    assert.deepEqual(ids(t.receiver.posts), ['3', '3', '3', '3', '4']);
    const lines = await logLines(t.db);
    assert.deepEqual(
      lines.map((line) => [line.attempt, line.outcome, line.http_status, line.detail]),
      [
        [1, 'failed', 500, 'answered HTTP 500'],
        [2, 'failed', 503, 'answered HTTP 503'],
        [3, 'failed', null, 'could not be reached (fetch failed)'],
        [4, 'delivered', 200, null],
        [1, 'delivered', 200, null],
      ],
    );
  });

  it('DeliveryLoop opens the breaker after K failures, probes, resumes', async () => {
    const t = await setup([500, 500, 500, 500, 502]);
    const id = await subscribe(t.store, { url: hookUrl });
    await t.runner.catchUp();
    await given(t.store, cameraA, added(cameraA), registered(cameraA), wentOffline(cameraA));
    const loop = t.loop();

    for (let attempt = 0; attempt < 4; attempt++) {
      await loop.runOnce();
      t.advance(8000);
    }
    let row = await progress(t.db, id);
    assert.equal(row.breaker_state, 'open');
    assert.equal(
      row.breaker_reason,
      '4 consecutive failed attempts at message 3: answered HTTP 500',
    );

    t.advance(60_000 - 8000 - 1);
    await loop.runOnce();
    assert.equal(t.receiver.posts.length, 4, 'no post while the breaker is open');

    t.advance(1);
    await loop.runOnce();
    row = await progress(t.db, id);
    assert.equal(t.receiver.posts.length, 5, 'one probe');
    assert.equal(row.breaker_state, 'open');
    assert.match(
      row.breaker_reason ?? '',
      /^5 consecutive failed attempts at message 3: answered HTTP 502$/,
    );

    t.advance(60_000);
    await loop.runOnce();
    row = await progress(t.db, id);
    assert.equal(row.breaker_state, 'closed');
    assert.equal(row.breaker_reason, null);
    assert.deepEqual(ids(t.receiver.posts).slice(5), ['3', '4']);
  });

  it('DeliveryLoop on a new instance continues where the last one stopped', async () => {
    const t = await setup();
    await subscribe(t.store, { url: hookUrl });
    await t.runner.catchUp();
    await given(t.store, cameraA, added(cameraA), registered(cameraA));
    await t.loop().runOnce();
    await given(t.store, cameraA, wentOffline(cameraA), cameOnline(cameraA));

    const { db } = await openFanoutDatabase(t.path);
    const { store } = openStore(db);
    const restarted = new DeliveryLoop({
      ...{ db, dialect: 'sqlite', store, logger: silentLogger, fetch: t.receiver.fetch },
      now: () => t.clock.now,
    });
    await restarted.runOnce();
    await db.destroy();

    assert.deepEqual(ids(t.receiver.posts), ['3', '4', '5']);
  });

  it('DeliveryLoop delivers again from the position a replay names', async () => {
    const t = await setup();
    const id = await subscribe(t.store, { url: hookUrl });
    await t.runner.catchUp();
    await given(t.store, cameraA, added(cameraA), registered(cameraA), wentOffline(cameraA));
    await t.loop().runOnce();
    await t.store.appendToStream(`subscription-${id}`, [
      {
        type: 'SubscriptionReplayRequested',
        data: { subscriptionId: id, userId, fromPosition: 4, at: start.toISOString() },
      },
    ]);
    await t.runner.catchUp();

    await t.loop().runOnce();

    assert.deepEqual(ids(t.receiver.posts), ['3', '4', '4']);
  });

  it('DeliveryLoop sends to a new URL at once when re-registered, from where it was', async () => {
    const t = await setup([500, 500, 500, 500]);
    const id = await subscribe(t.store, { url: hookUrl });
    await t.runner.catchUp();
    await given(t.store, cameraA, added(cameraA), registered(cameraA));
    const loop = t.loop();
    for (let attempt = 0; attempt < 4; attempt++) {
      await loop.runOnce();
      t.advance(8000);
    }
    assert.equal((await progress(t.db, id)).breaker_state, 'open');

    await subscribe(t.store, { url: 'https://isv.example.com/v2' });
    await t.runner.catchUp();
    await loop.runOnce();

    assert.equal((await progress(t.db, id)).breaker_state, 'closed');
    assert.deepEqual(t.receiver.posts.at(-1)?.url, 'https://isv.example.com/v2');
    assert.deepEqual(t.receiver.posts.at(-1)?.body.message_id, '3');
  });

  it('DeliveryLoop sends device_status messages to DEVICE_STATUS subscriptions only', async () => {
    const t = await setup();
    await subscribe(t.store, { url: hookUrl, type: 'DEVICE_ALARM' });
    await subscribe(t.store, { url: 'https://isv.example.com/status' });
    await t.runner.catchUp();
    const channels = [{ channelId: '34020000001320000011', name: 'Gate', status: 'ON' as const }];
    await given(t.store, cameraA, added(cameraA), catalog(cameraA, channels));

    await t.loop().runOnce();

    assert.deepEqual(
      t.receiver.posts.map((post) => [post.url, post.body.data.event_type]),
      [['https://isv.example.com/status', 'channel_state_notice']],
    );
  });
});
