import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { pino } from 'pino';

import type { ArgusConfig } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import { openSqliteDatabase } from '../../schema/sqlite-node.ts';

/** The embedded database file under the data directory, created on first start. */
export async function openEmbeddedDatabase(config: ArgusConfig) {
  mkdirSync(config.ARGUS_DATA_DIR, { recursive: true });
  return openSqliteDatabase(join(config.ARGUS_DATA_DIR, 'argus.db'));
}

export function createLogger(config: ArgusConfig, name: string): Logger {
  return pino({ name, level: config.ARGUS_LOG_LEVEL });
}
