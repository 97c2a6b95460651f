import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { Kysely } from 'kysely';

import type { ArgusConfig } from '../src/config.ts';
import type { Database, SqlDialectKind } from '../src/sql/database.ts';
import { openPostgresDatabase } from './postgres-node.ts';
import { openSqliteDatabase } from './sqlite-node.ts';

type DatabaseConfig = Pick<ArgusConfig, 'ARGUS_DATABASE_URL' | 'ARGUS_DATA_DIR'>;

/** The engine of events and read models: Postgres where `ARGUS_DATABASE_URL` names one. */
export function databaseDialect(config: DatabaseConfig): SqlDialectKind {
  return config.ARGUS_DATABASE_URL === undefined ? 'sqlite' : 'postgres';
}

/**
 * Opens and migrates the database of a Node process (the API or a media node): the Postgres
 * database `ARGUS_DATABASE_URL` names, or else the embedded SQLite file under
 * `ARGUS_DATA_DIR`, created on first start.
 * @throws the driver's error where Postgres cannot be reached, or a migration's error
 */
export async function openNodeDatabase(
  config: DatabaseConfig,
): Promise<{ db: Kysely<Database>; dialect: SqlDialectKind }> {
  const url = config.ARGUS_DATABASE_URL;
  if (url !== undefined) return { db: await openPostgresDatabase(url), dialect: 'postgres' };

  mkdirSync(config.ARGUS_DATA_DIR, { recursive: true });
  const db = await openSqliteDatabase(join(config.ARGUS_DATA_DIR, 'argus.db'));
  return { db, dialect: 'sqlite' };
}
