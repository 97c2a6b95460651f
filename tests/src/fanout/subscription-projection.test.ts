/**
 * The subscriptions projection as specifications: given subscription events, the rows of
 * `subscriptions` and `subscription_deliveries` on real SQLite, also after a rebuild.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { withFanoutTables } from '../../../src/fanout/fanout-tables.ts';
import type { Db } from '../../../src/sql/database.ts';
import {
  openFanoutDatabase,
  openStore,
  removeDatabases,
  start,
  subscribe,
  userId,
} from './support.ts';

after(removeDatabases);

const id = `${userId}-DEVICE_STATUS`;

async function rows(db: Db) {
  const t = withFanoutTables(db);
  const subscription = await t.selectFrom('subscriptions').selectAll().executeTakeFirst();
  const delivery = await t.selectFrom('subscription_deliveries').selectAll().executeTakeFirst();
  return { subscription, delivery };
}

async function setDelivered(db: Db, position: number) {
  await withFanoutTables(db)
    .updateTable('subscription_deliveries')
    .set({ position, breaker_state: 'open', breaker_reason: 'down', attempts: 9 })
    .execute();
}

describe('subscriptionProjection', () => {
  it('subscriptionProjection keeps the subscription and where delivery starts', async () => {
    const { db } = await openFanoutDatabase();
    const { store, runner } = openStore(db);
    await subscribe(store, { url: 'https://a.example/hook', startAfter: 17 });
    await runner.catchUp();

    const { subscription, delivery } = await rows(db);
    assert.equal(subscription?.callback_url, 'https://a.example/hook');
    assert.equal(subscription?.signing_key, 'auth-key-0001');
    assert.equal(Number(delivery?.position), 17);
    assert.equal(delivery?.breaker_state, 'closed');
    await db.destroy();
  });

  it('subscriptionProjection re-points a re-registration and closes its breaker', async () => {
    const { db } = await openFanoutDatabase();
    const { store, runner } = openStore(db);
    await subscribe(store, { url: 'https://a.example/hook' });
    await runner.catchUp();
    await setDelivered(db, 30);
    await subscribe(store, { url: 'https://b.example/hook' });
    await runner.catchUp();

    const { subscription, delivery } = await rows(db);
    assert.equal(subscription?.callback_url, 'https://b.example/hook');
    assert.equal(Number(delivery?.position), 30);
    assert.equal(Number(delivery?.epoch), 1);
    assert.deepEqual(
      [delivery?.breaker_state, delivery?.breaker_reason, Number(delivery?.attempts)],
      ['closed', null, 0],
    );
    await db.destroy();
  });

  it('subscriptionProjection rebuilt resets no delivery and repeats no replay', async () => {
    const { db } = await openFanoutDatabase();
    const { store, runner } = openStore(db);
    await subscribe(store, { url: 'https://a.example/hook' });
    await store.appendToStream(`subscription-${id}`, [
      {
        type: 'SubscriptionReplayRequested',
        data: { subscriptionId: id, userId, fromPosition: 5, at: start.toISOString() },
      },
    ]);
    await runner.catchUp();
    assert.equal(Number((await rows(db)).delivery?.position), 4);
    await setDelivered(db, 40);

    await db
      .deleteFrom('projection_checkpoints')
      .where('projection_name', '=', 'subscriptions')
      .execute();
    await runner.catchUp();

    assert.equal(Number((await rows(db)).delivery?.position), 40);
    await db.destroy();
  });

  it('subscriptionProjection forgets a removed subscription', async () => {
    const { db } = await openFanoutDatabase();
    const { store, runner } = openStore(db);
    await subscribe(store, { url: 'https://a.example/hook' });
    await store.appendToStream(`subscription-${id}`, [
      {
        type: 'SubscriptionRemoved',
        data: { subscriptionId: id, userId, at: start.toISOString() },
      },
    ]);
    await runner.catchUp();

    assert.deepEqual(await rows(db), { subscription: undefined, delivery: undefined });
    await db.destroy();
  });
});
