import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { eventStoreContract } from './contract.ts';

async function openStore(dir = mkdtempSync(join(tmpdir(), 'argus-es-'))) {
  const db = await openSqliteDatabase(join(dir, 'argus.db'));
  const store = new SqlEventStore({ db, dialect: 'sqlite', pollIntervalMs: 20 });
  return { db, store, dir };
}

eventStoreContract('SQL on SQLite', async () => {
  const { db, store, dir } = await openStore();
  return {
    store,
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

it('SQL event store on SQLite: a follower sees appends through another connection', async () => {
  const first = await openStore();
  const second = await openStore(first.dir);
  try {
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const e of first.store.subscribeToAll({ signal: controller.signal })) {
        seen.push(e.type);
        controller.abort();
      }
    })();
    await second.store.appendToStream('device-1', [{ type: 'FromElsewhere', data: {} }]);
    await following;
    assert.deepEqual(seen, ['FromElsewhere']);
  } finally {
    await first.db.destroy();
    await second.db.destroy();
    rmSync(first.dir, { recursive: true, force: true });
  }
});
