/**
 * Kysely's SQLite dialect over the built-in `node:sqlite` (Deno, and Node 22+), where
 * better-sqlite3 does not load. Adapts DatabaseSync to the better-sqlite3 shape Kysely's
 * SqliteDialect drives: `prepare(sql)` giving `all`, `run`, `iterate` and `reader`.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';

import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

type Parameters = ReadonlyArray<unknown>;

/** A statement returns rows where it has result columns (SELECT, PRAGMA, … RETURNING). */
function isReader(statement: StatementSync, sql: string): boolean {
  const withColumns = statement as StatementSync & { columns?: () => unknown[] };
  if (typeof withColumns.columns === 'function') return withColumns.columns().length > 0;
  return /^\s*(select|with|pragma|values)\b|\breturning\b/i.test(sql);
}

function adaptStatement(statement: StatementSync, sql: string): SqliteStatement {
  const args = (parameters: Parameters) => parameters as never[];
  return {
    reader: isReader(statement, sql),
    all: (parameters: Parameters) => statement.all(...args(parameters)),
    run: (parameters: Parameters) => {
      const result = statement.run(...args(parameters));
      return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
    },
    iterate: (parameters: Parameters) =>
      statement.iterate(...args(parameters)) as IterableIterator<unknown>,
  };
}

/** Opens `path` with WAL and a busy timeout, like the Node entry's better-sqlite3. */
export function nodeSqliteDialect(path: string): SqliteDialect {
  const database = new DatabaseSync(path);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA busy_timeout = 10000');
  database.exec('PRAGMA foreign_keys = ON');
  const adapted: SqliteDatabase = {
    close: () => database.close(),
    prepare: (sql: string) => adaptStatement(database.prepare(sql), sql),
  };
  return new SqliteDialect({ database: adapted });
}
