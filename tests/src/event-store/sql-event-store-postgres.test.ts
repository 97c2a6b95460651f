/**
 * The SQL event store on Postgres: the shared contract, and the guarantees that need more than
 * one pool (the API and every media node each hold their own). Skipped, with the reason, where
 * no Postgres is reachable and none can be started (tests/support/postgres.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';

import { openPostgresDatabase } from '../../../schema/postgres-node.ts';
import type { RecordedEvent } from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { repoRoot } from '../../support/processes.ts';
import { testPostgres } from '../../support/postgres.ts';
import { eventStoreContract } from './contract.ts';

const postgres = await testPostgres();
after(() => postgres.stop());

async function openStore(url: string) {
  const db = await openPostgresDatabase(url);
  return { db, store: new SqlEventStore({ db, dialect: 'postgres', pollIntervalMs: 20 }) };
}

if (postgres.skip === undefined) {
  eventStoreContract('SQL on Postgres', async () => {
    const { db, store } = await openStore(await postgres.createDatabase());
    return { store, close: () => db.destroy() };
  });
}

describe('SQL event store on Postgres', { skip: postgres.skip }, () => {
  it('SQL event store on Postgres: a follower sees appends made through another pool', async () => {
    const url = await postgres.createDatabase();
    const first = await openStore(url);
    const second = await openStore(url);
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
    }
  });

  it('SQL event store on Postgres: writers in two processes keep revisions and order', async () => {
    const url = await postgres.createDatabase();
    const { db, store } = await openStore(url);
    const perWriter = 150;
    const controller = new AbortController();
    try {
      const followed: RecordedEvent[] = [];
      const following = (async () => {
        for await (const e of store.subscribeToAll({ signal: controller.signal })) {
          followed.push(e);
          if (followed.length === 4 * perWriter) controller.abort();
        }
      })();

      const results = await appendInChildren(url, ['a', 'b'], perWriter);
      await following;

      // Every append decided on the value it read: a lost update would repeat a value.
      const counted = await store.readStream('counter-1');
      assert.deepEqual(
        counted.map((e) => [e.revision, e.data['value']]),
        Array.from({ length: 2 * perWriter }, (_, i) => [i, i + 1]),
      );
      const byWriter = (w: string) => counted.filter((e) => e.data['writer'] === w).length;
      assert.deepEqual([byWriter('a'), byWriter('b')], [perWriter, perWriter]);
      assert.deepEqual(
        results.map((r) => r.appended),
        [perWriter, perWriter],
      );

      // A follower polling while they wrote saw the whole log, in position order, with no
      // event committed behind a position it had already passed.
      const all = await store.readAll({ maxCount: 10 * perWriter });
      assert.equal(all.length, 4 * perWriter);
      assert.deepEqual(
        followed.map((e) => e.globalPosition),
        all.map((e) => e.globalPosition),
      );
      const positions = all.map((e) => e.globalPosition);
      assert.ok(positions.every((p, i) => i === 0 || p > (positions[i - 1] ?? 0)));
      assert.equal(await store.headPosition(), positions.at(-1));
    } finally {
      controller.abort();
      await db.destroy();
    }
  });
});

/** Starts one writer process per name, lets them go together, and collects what they did. */
async function appendInChildren(url: string, writers: string[], count: number) {
  const children = writers.map((writer) => startWriter(url, writer, count));
  await Promise.all(children.map((child) => child.ready));
  children.forEach((child) => child.go());
  return Promise.all(children.map((child) => child.done));
}

function startWriter(url: string, writer: string, count: number) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'tests/src/event-store/support/append-in-child.ts',
      url,
      String(count),
      writer,
    ],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const messages = createInterface({ input: child.stdout });
  const next = (key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      messages.on('line', (line) => {
        const message = JSON.parse(line) as Record<string, unknown>;
        if (key in message) resolve(message);
      });
      child.on('exit', (code) =>
        reject(new Error(`Cannot run writer ${writer} in a child: exit code ${code}`)),
      );
    });
  return {
    ready: next('ready'),
    done: next('appended').then((m) => ({
      appended: Number(m['appended']),
      conflicts: Number(m['conflicts']),
    })),
    go: () => child.stdin.write('go\n'),
  };
}
