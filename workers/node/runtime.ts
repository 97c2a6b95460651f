import { pino } from 'pino';

import type { ArgusConfig } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import { databaseDialect, openNodeDatabase } from '../../schema/node-database.ts';

export { databaseDialect };

/**
 * The database of events and read models, migrated: Postgres where `ARGUS_DATABASE_URL` names
 * one, else the embedded SQLite file under the data directory, created on first start.
 */
export async function openEmbeddedDatabase(config: ArgusConfig) {
  const { db } = await openNodeDatabase(config);
  return db;
}

export function createLogger(config: ArgusConfig, name: string): Logger {
  return pino({ name, level: config.ARGUS_LOG_LEVEL });
}
