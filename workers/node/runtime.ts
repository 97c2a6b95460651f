import { mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
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

/** The address devices and viewers should use: ARGUS_PUBLIC_HOST, else the first LAN IPv4. */
export function advertisedHost(config: ArgusConfig): string {
  if (config.ARGUS_PUBLIC_HOST !== undefined) return config.ARGUS_PUBLIC_HOST;
  for (const addresses of Object.values(networkInterfaces())) {
    const lan = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (lan !== undefined) return lan.address;
  }
  return '127.0.0.1';
}
