/**
 * The alert loop over a real SQLite file: alarms of the log through each recipient's
 * throttle, its windows from the settings streams, and a restart (a new loop on the same
 * database file) that neither alerts an alarm again nor loses a held-back count.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../../schema/sqlite-node.ts';
import type { Principal } from '../../../../src/auth/permissions.ts';
import { tenantAlertSettingsStream } from '../../../../src/domain/alert-settings.ts';
import { SqlEventStore } from '../../../../src/event-store/sql-event-store.ts';
import { AlertLoop } from '../../../../src/fanout/alerts/alert-loop.ts';
import { ensureRecipient } from '../../../../src/fanout/alerts/alert-recipients.ts';
import { withAlertTables } from '../../../../src/fanout/alerts/alert-tables.ts';
import { silentLogger } from '../../../../src/logger.ts';
import type { Db } from '../../../../src/sql/database.ts';
import { addDevice, appendAlarms, at, catchUp, createAccount } from './support.ts';

const userId = '100000000000000001';
const camera = '34020000001320000001';
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const principal = (loginName: string): Principal => ({
  userId,
  role: 'COMMON_USER',
  loginName,
  deviceOrgId: '0',
});

function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'argus-alerts-'));
  dirs.push(dir);
  return join(dir, 'argus.db');
}

function loopOn(db: Db, now: Date) {
  const store = new SqlEventStore({ db, dialect: 'sqlite' });
  return new AlertLoop({ db, dialect: 'sqlite', store, logger: silentLogger, now: () => now });
}

async function alertsOf(db: Db, loginName: string) {
  const rows = await withAlertTables(db)
    .selectFrom('alerts')
    .select(['alert_seq', 'body'])
    .where('recipient_id', '=', `${userId}/${loginName}`)
    .orderBy('alert_seq')
    .execute();
  return rows.map((row) => JSON.parse(row.body));
}

describe('AlertLoop', () => {
  it('does not alert again after a restart, and still sends the summary it owed', async () => {
    const path = freshPath();
    let db = await openSqliteDatabase(path);
    let store = new SqlEventStore({ db, dialect: 'sqlite' });
    await addDevice(store, camera, userId);
    await createAccount(db, store, 'alice', userId);
    await ensureRecipient(db, store, principal('alice'), at(0));
    await appendAlarms(store, camera, 20, 500);
    await loopOn(db, at(10_000)).runOnce();
    assert.equal((await alertsOf(db, 'alice')).length, 1);
    await db.destroy();

    db = await openSqliteDatabase(path);
    store = new SqlEventStore({ db, dialect: 'sqlite' });
    await loopOn(db, at(10_000)).runOnce();
    assert.equal((await alertsOf(db, 'alice')).length, 1, 'no alert again after the restart');
    await loopOn(db, at(25_000)).runOnce();
    await loopOn(db, at(26_000)).runOnce();
    const alerts = await alertsOf(db, 'alice');
    assert.deepEqual(
      alerts.map((a) => [a.alert_type, a.suppressed_count]),
      [
        ['alarm', 0],
        ['summary', 19],
      ],
    );
    await db.destroy();
  });

  it('starts a new recipient at the head: alarms before it are not alerted', async () => {
    const db = await openSqliteDatabase(freshPath());
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    await addDevice(store, camera, userId);
    await appendAlarms(store, camera, 3, 100);
    await createAccount(db, store, 'alice', userId);
    await ensureRecipient(db, store, principal('alice'), at(0));
    await loopOn(db, at(60_000)).runOnce();
    assert.deepEqual(await alertsOf(db, 'alice'), []);

    await appendAlarms(store, camera, 1, 0, 61_000);
    await loopOn(db, at(62_000)).runOnce();
    assert.equal((await alertsOf(db, 'alice'))[0]?.first_alarm.alarm_id, `${camera}-61000`);
    await db.destroy();
  });

  it('stops alerting a user whose account was deleted', async () => {
    const db = await openSqliteDatabase(freshPath());
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    await addDevice(store, camera, userId);
    await createAccount(db, store, 'alice', userId);
    await ensureRecipient(db, store, principal('alice'), at(0));
    await store.appendToStream('user-alice', [
      { type: 'AccountDeleted', data: { loginName: 'alice', userId, at: at(0).toISOString() } },
    ]);
    await catchUp(db, store);
    await appendAlarms(store, camera, 2, 100);
    await loopOn(db, at(1000)).runOnce();

    assert.deepEqual(await alertsOf(db, 'alice'), []);
    const rows = await withAlertTables(db)
      .selectFrom('alert_recipients')
      .select('recipient_id')
      .execute();
    assert.deepEqual(rows, []);
    await db.destroy();
  });

  it('uses the tenant default window for a user who set none', async () => {
    const db = await openSqliteDatabase(freshPath());
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    await addDevice(store, camera, userId);
    await store.appendToStream(tenantAlertSettingsStream(userId), [
      {
        type: 'AlertSettingsChanged',
        data: { userId, alertWindowS: 2, webPush: false, at: at(0).toISOString() },
      },
    ]);
    await createAccount(db, store, 'alice', userId);
    await ensureRecipient(db, store, principal('alice'), at(0));
    await appendAlarms(store, camera, 20, 500);
    await loopOn(db, at(10_000)).runOnce();
    await loopOn(db, at(12_000)).runOnce();
    const alerts = await alertsOf(db, 'alice');
    // Alerts at 0, 2, 4, 6, 8 s, each carrying the 3 held back before it; the summary at 12 s.
    assert.deepEqual(
      alerts.map((a) => [a.alert_type, a.suppressed_count]),
      [
        ['alarm', 0],
        ['alarm', 3],
        ['alarm', 3],
        ['alarm', 3],
        ['alarm', 3],
        ['summary', 3],
      ],
    );
    await db.destroy();
  });
});
