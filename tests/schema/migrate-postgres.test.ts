/**
 * Every migration runs on Postgres and gives the tables and columns it gives on SQLite, so a
 * read model written against one engine reads the same on the other. Skipped, with the
 * reason, where no Postgres is reachable and none can be started (tests/support/postgres.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { sql } from 'kysely';

import { openPostgresDatabase } from '../../schema/postgres-node.ts';
import { openSqliteDatabase } from '../../schema/sqlite-node.ts';
import { testPostgres } from '../support/postgres.ts';

const postgres = await testPostgres();
after(() => postgres.stop());

type Columns = Record<string, string[]>;

async function sqliteColumns(): Promise<Columns> {
  const dir = mkdtempSync(join(tmpdir(), 'argus-schema-'));
  const db = await openSqliteDatabase(join(dir, 'argus.db'));
  try {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select m.name as table_name, c.name as column_name
      from sqlite_master m join pragma_table_info(m.name) c
      where m.type = 'table' and m.name not like 'sqlite_%'
    `.execute(db);
    return byTable(rows);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresColumns(url: string) {
  const db = await openPostgresDatabase(url);
  try {
    const { rows } = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'public'
    `.execute(db);
    return { columns: byTable(rows), rows };
  } finally {
    await db.destroy();
  }
}

function byTable(rows: readonly { table_name: string; column_name: string }[]): Columns {
  const tables: Columns = {};
  for (const row of rows) (tables[row.table_name] ??= []).push(row.column_name);
  return Object.fromEntries(
    Object.entries(tables)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([table, columns]) => [table, columns.sort()]),
  );
}

describe('migrations on Postgres', { skip: postgres.skip }, () => {
  it('migrations on Postgres give the tables and columns they give on SQLite', async () => {
    const { columns } = await postgresColumns(await postgres.createDatabase());
    assert.deepEqual(columns, await sqliteColumns());
  });

  it('migrations on Postgres keep floats 8 bytes wide, as SQLite REAL is', async () => {
    const { rows } = await postgresColumns(await postgres.createDatabase());
    const narrow = rows.filter((row) => row.data_type === 'real');
    assert.deepEqual(
      narrow.map((row) => `${row.table_name}.${row.column_name}`),
      [],
    );
  });

  it('migrations on Postgres run again on a migrated database without change', async () => {
    const url = await postgres.createDatabase();
    const first = await postgresColumns(url);
    const second = await postgresColumns(url);
    assert.deepEqual(second.columns, first.columns);
  });
});
