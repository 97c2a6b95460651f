/**
 * The device-share projection as specifications: given share, device and account events in
 * the log, the rows of `device_shares` (on SQLite, and on Postgres where one is reachable);
 * and a rebuild from zero gives the same rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { accountStreamName } from '../../../src/domain/account.ts';
import { deviceSharesStreamName, type DeviceShareEvent } from '../../../src/domain/device-share.ts';
import { streamNames, type EventStore } from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { apiProjections } from '../../../src/projections/control-plane.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { shareProjection } from '../../../src/projections/share-projection.ts';
import { shareDb } from '../../../src/read-models/share-tables.ts';
import type { Db } from '../../../src/sql/database.ts';
import { openTestDatabase, sqlEngines, type SqlEngine } from '../../support/sql-engines.ts';

const owner = '200000000000000001';
const d1 = '34020000001320000001';
const d2 = '34020000001320000002';
const at = '2024-05-01T08:00:00.000Z';

const engines = await sqlEngines();

function connectOn(engine: SqlEngine) {
  return async (location?: string) => {
    const dir = location ?? (await engine.newDatabase());
    const db = await openTestDatabase(dir);
    const store = new SqlEventStore({ db, dialect: engine.dialect });
    const runner = new ProjectionRunner({
      db,
      dialect: engine.dialect,
      store,
      projections: apiProjections,
    });
    return { dir, db, store, runner };
  };
}

const shared = (deviceId: string, login: string, permissions: string[]): DeviceShareEvent => ({
  type: 'DeviceShared',
  data: {
    deviceId,
    ownerUserId: owner,
    granteeLoginName: login,
    granteeUserId: `user-of-${login}`,
    channelId: null,
    permissions: permissions as ['live'],
    expiresAt: null,
    at,
  },
});

async function append(store: EventStore, stream: string, ...events: DeviceShareEvent[]) {
  await store.appendToStream(
    stream,
    events.map((e) => ({ type: e.type, data: { ...e.data } })),
  );
}

/** Two devices shared with carol and dave; carol's share of d1 replaced, dave's of d2 revoked. */
async function givenShares(store: EventStore) {
  await append(
    store,
    deviceSharesStreamName(d1),
    shared(d1, 'carol', ['live']),
    shared(d1, 'dave', ['ptz']),
    shared(d1, 'carol', ['live', 'playback']),
  );
  await append(store, deviceSharesStreamName(d2), shared(d2, 'dave', ['live']), {
    type: 'DeviceShareRevoked',
    data: { deviceId: d2, ownerUserId: owner, granteeLoginName: 'dave', at },
  });
  await append(store, deviceSharesStreamName(d2), shared(d2, 'erin', ['live']));
}

async function rows(db: Db) {
  return shareDb(db)
    .selectFrom('device_shares')
    .select(['device_id', 'grantee_login_name', 'permissions'])
    .orderBy('device_id')
    .orderBy('grantee_login_name')
    .execute();
}

for (const engine of engines) {
  describe(`share projection on ${engine.name}`, { skip: engine.skip }, () => {
    const connect = connectOn(engine);

    it('keeps one row per live share, replaced by a new share, deleted by a revoke', async () => {
      const { db, store, runner } = await connect();
      await givenShares(store);
      await runner.catchUp();
      assert.deepEqual(await rows(db), [
        { device_id: d1, grantee_login_name: 'carol', permissions: 'live,playback' },
        { device_id: d1, grantee_login_name: 'dave', permissions: 'ptz' },
        { device_id: d2, grantee_login_name: 'erin', permissions: 'live' },
      ]);
      await db.destroy();
    });

    it('drops the shares of a deleted device and those received by a deleted account', async () => {
      const { db, store, runner } = await connect();
      await givenShares(store);
      await store.appendToStream(streamNames.device(d2), [
        { type: 'DeviceDeleted', data: { deviceId: d2, userId: owner, at } },
      ]);
      await store.appendToStream(accountStreamName('dave'), [
        { type: 'AccountDeleted', data: { loginName: 'dave', userId: 'user-of-dave', at } },
      ]);
      await runner.catchUp();
      assert.deepEqual(await rows(db), [
        { device_id: d1, grantee_login_name: 'carol', permissions: 'live,playback' },
      ]);
      await db.destroy();
    });

    it('rebuilds the same rows from the log after the table is emptied', async () => {
      const { dir, db, store, runner } = await connect();
      await givenShares(store);
      await runner.catchUp();
      const built = await rows(db);

      await shareDb(db).deleteFrom('device_shares').execute();
      await db
        .deleteFrom('projection_checkpoints')
        .where('projection_name', '=', shareProjection.name)
        .execute();
      const rebuilt = await connect(dir);
      await rebuilt.runner.catchUp();

      assert.deepEqual(await rows(rebuilt.db), built);
      await db.destroy();
      await rebuilt.db.destroy();
    });
  });
}
