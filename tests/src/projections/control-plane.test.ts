/**
 * The control-plane projection as specifications: given events in the log, the rows of
 * access_keys, access_sessions, accounts and device_orgs on real SQLite and on Postgres (skipped,
 * with the reason, where none is reachable); and a rebuild from zero gives the same rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { AccessTokenEvent } from '../../../src/domain/access-token.ts';
import { credentialStreamName } from '../../../src/domain/access-token.ts';
import { accountStreamName, type AccountEvent } from '../../../src/domain/account.ts';
import {
  deviceOrgTreeStreamName,
  type DeviceOrgEvent,
} from '../../../src/domain/device-org-tree.ts';
import type { EnterpriseStreamEvent } from '../../../src/domain/enterprise.ts';
import { streamNames, type EventStore } from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { apiProjections, controlPlaneProjection } from '../../../src/projections/control-plane.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { controlPlaneDb } from '../../../src/read-models/control-plane-tables.ts';
import type { Db } from '../../../src/sql/database.ts';
import { openTestDatabase, sqlEngines, type SqlEngine } from '../../support/sql-engines.ts';

const userId = '100000000000000001';
const at = '2024-05-01T08:00:00.000Z';
const later = '2024-05-01T09:00:00.000Z';
const expiresAt = '2024-05-01T10:00:00.000Z';

const engines = await sqlEngines();

/** Opens a database of `engine` at a location (a new empty one where absent). */
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

type Event = EnterpriseStreamEvent | AccessTokenEvent | AccountEvent | DeviceOrgEvent;

async function given(store: EventStore, stream: string, ...events: Event[]) {
  await store.appendToStream(
    stream,
    events.map((event) => ({ type: event.type, data: { ...event.data } })),
  );
}

const tokenIssued = (sessionId: string, ak = 'AK1'): AccessTokenEvent => ({
  type: 'AccessTokenIssued',
  data: { userId, ak, sessionId, expiresAt, at },
});

const orgCreated = (deviceOrgId: string, parentOrgId: string, name: string): DeviceOrgEvent => ({
  type: 'DeviceOrgCreated',
  data: { userId, deviceOrgId, parentOrgId, name, at },
});

/** An enterprise with two pairs (one deleted), tokens, users and an organisation tree. */
async function givenAnEnterprise(store: EventStore) {
  await given(
    store,
    streamNames.enterprise(userId),
    { type: 'EnterpriseCreated', data: { userId, name: 'Acme', at } },
    { type: 'CredentialIssued', data: { userId, ak: 'AK1', skHash: 'hash-1', at } },
    { type: 'CredentialIssued', data: { userId, ak: 'AK2', skHash: 'hash-2', at } },
  );
  await given(
    store,
    credentialStreamName(userId, 'AK1'),
    tokenIssued('s1'),
    tokenIssued('s2'),
    {
      type: 'AccessTokenRevoked',
      data: { userId, ak: 'AK1', sessionId: 's1', reason: 'evicted', at: later },
    },
    {
      type: 'AccessTokenRefreshed',
      data: { userId, ak: 'AK1', sessionId: 's2', generation: 1, expiresAt, at: later },
    },
  );
  await given(store, credentialStreamName(userId, 'AK2'), tokenIssued('s3', 'AK2'));
  await given(store, streamNames.enterprise(userId), {
    type: 'CredentialDeleted',
    data: { userId, ak: 'AK2', at: later },
  });
  await given(
    store,
    deviceOrgTreeStreamName(userId),
    orgCreated('1', '0', 'North'),
    orgCreated('2', '1', 'Gate'),
    orgCreated('3', '0', 'South'),
    { type: 'DeviceOrgRenamed', data: { userId, deviceOrgId: '3', name: 'East', at: later } },
    { type: 'DeviceOrgDeleted', data: { userId, deviceOrgId: '2', at: later } },
  );
  const account = (loginName: string, role: 'COMMON_USER' | 'ENTERPRISE_ADMIN'): AccountEvent => ({
    type: 'AccountCreated',
    data: {
      loginName,
      userId,
      kind: 'ENTERPRISE',
      role,
      deviceOrgId: '0',
      displayName: loginName,
      passwordHash: `hash-${loginName}`,
      at,
    },
  });
  await given(store, accountStreamName('alice'), account('alice', 'COMMON_USER'), {
    type: 'AccountRoleChanged',
    data: { loginName: 'alice', userId, role: 'DEPARTMENT_MANAGER', deviceOrgId: '1', at: later },
  });
  await given(store, accountStreamName('bob'), account('bob', 'ENTERPRISE_ADMIN'), {
    type: 'AccountDeleted',
    data: { loginName: 'bob', userId, at: later },
  });
}

async function rows(db: Db) {
  const cp = controlPlaneDb(db);
  return {
    accessKeys: await cp.selectFrom('access_keys').selectAll().orderBy('ak').execute(),
    sessions: await cp.selectFrom('access_sessions').selectAll().orderBy('session_id').execute(),
    accounts: await cp.selectFrom('accounts').selectAll().orderBy('login_name').execute(),
    orgs: await cp.selectFrom('device_orgs').selectAll().orderBy('device_org_id').execute(),
  };
}

for (const engine of engines) {
  const connect = connectOn(engine);

  describe(`controlPlaneProjection on ${engine.name}`, { skip: engine.skip }, () => {
    it('controlPlaneProjection keeps held pairs only, with the SK hash', async () => {
      const { db, store, runner } = await connect();
      await givenAnEnterprise(store);
      await runner.catchUp();

      assert.deepEqual((await rows(db)).accessKeys, [
        { user_id: userId, ak: 'AK1', sk_hash: 'hash-1', created_at: at },
      ]);
      await db.destroy();
    });

    it('controlPlaneProjection keeps sessions with generation, revokes deleted pairs', async () => {
      const { db, store, runner } = await connect();
      await givenAnEnterprise(store);
      await runner.catchUp();

      const sessions = (await rows(db)).sessions.map((s) => [
        s.session_id,
        s.generation,
        s.revoked_at,
      ]);
      assert.deepEqual(sessions, [
        ['s1', 0, later],
        ['s2', 1, null],
        ['s3', 0, later],
      ]);
      await db.destroy();
    });

    it('controlPlaneProjection keeps accounts with their current role, not deleted', async () => {
      const { db, store, runner } = await connect();
      await givenAnEnterprise(store);
      await runner.catchUp();

      const accounts = (await rows(db)).accounts;
      assert.deepEqual(
        accounts.map((a) => [a.login_name, a.role, a.device_org_id, a.password_hash]),
        [['alice', 'DEPARTMENT_MANAGER', '1', 'hash-alice']],
      );
      await db.destroy();
    });

    it('controlPlaneProjection keeps organisations with their level and current name', async () => {
      const { db, store, runner } = await connect();
      await givenAnEnterprise(store);
      await runner.catchUp();

      const orgs = (await rows(db)).orgs;
      assert.deepEqual(
        orgs.map((o) => [o.device_org_id, o.parent_org_id, o.device_org_name, o.level]),
        [
          ['1', '0', 'North', 2],
          ['3', '0', 'East', 2],
        ],
      );
      await db.destroy();
    });

    it('controlPlaneProjection rebuilds the same rows from the log into empty tables', async () => {
      const { dir, db, store, runner } = await connect();
      await givenAnEnterprise(store);
      await runner.catchUp();
      const built = await rows(db);

      const cp = controlPlaneDb(db);
      for (const table of ['access_keys', 'access_sessions', 'accounts', 'device_orgs'] as const) {
        await cp.deleteFrom(table).execute();
      }
      await db
        .deleteFrom('projection_checkpoints')
        .where('projection_name', '=', controlPlaneProjection.name)
        .execute();
      const rebuilt = await connect(dir);
      await rebuilt.runner.catchUp();

      assert.deepEqual(await rows(rebuilt.db), built);
      await db.destroy();
      await rebuilt.db.destroy();
    });
  });
}
