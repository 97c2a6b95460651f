import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Kysely } from 'kysely';

import { bootstrapEnterprise } from '../../../src/api/bootstrap.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import type { Database } from '../../../src/sql/database.ts';
import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';

describe('bootstrapEnterprise', () => {
  let dir: string;
  let db: Kysely<Database>;
  let store: SqlEventStore;
  const now = new Date('2026-12-03T10:00:00Z');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argus-boot-'));
    db = await openSqliteDatabase(join(dir, 'argus.db'));
    store = new SqlEventStore({ db, dialect: 'sqlite' });
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates exactly one enterprise when several starts race', async () => {
    await store.appendToStream('media-node-1', [{ type: 'MediaNodeStarted', data: {} }]);
    const results = await Promise.all([1, 2, 3].map(() => bootstrapEnterprise(store, { now })));

    const created = results.filter((r) => r !== undefined);
    assert.equal(created.length, 1, 'one start created the enterprise');
    assert.match(created[0]?.userId ?? '', /^\d{20}$/);
    assert.ok(created[0]?.generated !== undefined, 'the generated AK/SK are returned once');
    const enterprises = (await store.readAll()).filter((e) => e.type === 'EnterpriseCreated');
    assert.equal(enterprises.length, 1, 'one EnterpriseCreated event');
  });

  it('changes nothing on a later start', async () => {
    const head = await store.headPosition();
    assert.equal(
      await bootstrapEnterprise(store, { userId: '10000000000000000009', now }),
      undefined,
    );
    assert.equal(await store.headPosition(), head);
  });

  it('finishes a bootstrap interrupted after its claim', async () => {
    const fresh = new SqlEventStore({ db, dialect: 'sqlite' });
    await db.deleteFrom('events').execute();
    await fresh.appendToStream(
      'platform-bootstrap',
      [
        {
          type: 'PlatformBootstrapped',
          data: { userId: '10000000000000000042', at: now.toISOString() },
        },
      ],
      { expectedRevision: 'no_stream' },
    );

    const result = await bootstrapEnterprise(fresh, { ak: 'AK', sk: 'SK', now });
    assert.deepEqual(result, { userId: '10000000000000000042' });
    assert.equal((await fresh.readStream('enterprise-10000000000000000042')).length, 2);
  });
});
