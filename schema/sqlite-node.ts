import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';

import type { Database } from '../src/sql/database.ts';
import { migrateToLatest } from './migrate.ts';

/**
 * Opens (creating where absent) the embedded SQLite database on Node and migrates it. WAL
 * lets the API and the media node read while the other writes; the busy timeout queues
 * their writers instead of failing.
 */
export async function openSqliteDatabase(path: string): Promise<Kysely<Database>> {
  const sqlite = new BetterSqlite3(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');
  return db;
}
