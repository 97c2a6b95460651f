/**
 * The SQL engines the event store and the read models run on, for tests that specify the same
 * behaviour on each: SQLite files, and Postgres where one is reachable or can be started
 * (tests/support/postgres.ts). A database is named by its location: a file path for SQLite, a
 * `postgres://` URL for Postgres, so that a child process can open the same one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { isPostgresUrl, openPostgresDatabase } from '../../schema/postgres-node.ts';
import { openSqliteDatabase } from '../../schema/sqlite-node.ts';
import type { Db, SqlDialectKind } from '../../src/sql/database.ts';
import { testPostgres } from './postgres.ts';

export interface SqlEngine {
  readonly name: 'SQLite' | 'Postgres';
  readonly dialect: SqlDialectKind;
  /** Why this engine's cases are skipped; undefined where they run. */
  readonly skip: string | undefined;
  /** A new empty database; its location. */
  newDatabase(): Promise<string>;
}

/** Opens (and migrates) the database at a location `SqlEngine.newDatabase` gave. */
export function openTestDatabase(location: string): Promise<Db> {
  return isPostgresUrl(location) ? openPostgresDatabase(location) : openSqliteDatabase(location);
}

/** The dialect of the database at a location. */
export function dialectOf(location: string): SqlDialectKind {
  return isPostgresUrl(location) ? 'postgres' : 'sqlite';
}

/**
 * SQLite and Postgres, for one test file: registers the removal of what they create (and the
 * stop of a throwaway Postgres) with the file's `after` hook.
 */
export async function sqlEngines(): Promise<SqlEngine[]> {
  const postgres = await testPostgres();
  const dirs: string[] = [];
  after(async () => {
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    await postgres.stop();
  });
  const sqlite: SqlEngine = {
    name: 'SQLite',
    dialect: 'sqlite',
    skip: undefined,
    newDatabase: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'argus-sql-'));
      dirs.push(dir);
      return join(dir, 'argus.db');
    },
  };
  return [
    sqlite,
    {
      name: 'Postgres',
      dialect: 'postgres',
      skip: postgres.skip,
      newDatabase: () => postgres.createDatabase(),
    },
  ];
}
