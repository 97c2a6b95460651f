import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

import type { Database } from '../src/sql/database.ts';
import { migrateToLatest } from './migrate.ts';

const int8Oid = 20;
const numericOid = 1700;

/**
 * pg answers bigint (`count(*)`, `bigserial` positions) and numeric (`sum(bigint)`) as strings
 * to keep precision; SQLite answers numbers. Positions, counts and byte totals stay far below
 * 2^53, so both are read as numbers and the read models answer the same JSON on either engine.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8Oid || oid === numericOid
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Whether a database URL names Postgres (`postgres://…` or `postgresql://…`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Opens a pool on the Postgres database at `url` (`postgres://user:password@host:port/db`) and
 * migrates it. Several processes may open the same database at once: the migrator's lock
 * serialises their migrations.
 * @throws the driver's error where the server cannot be reached, or a migration's error
 */
export async function openPostgresDatabase(
  url: string,
  options: { readonly maxConnections?: number } = {},
): Promise<Kysely<Database>> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, types });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db as Kysely<unknown>, 'postgres');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
