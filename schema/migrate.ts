import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';

import type { SqlDialectKind } from '../src/sql/database.ts';
import { eventStoreMigration } from './migrations/0001-event-store.ts';
import { readModelsMigration } from './migrations/0002-read-models.ts';
import { platformSettingsMigration } from './migrations/0003-platform-settings.ts';
import { mediaNodeHttpsMigration } from './migrations/0005-media-node-https.ts';
import { controlPlaneMigration } from './migrations/0006-control-plane.ts';
import { deviceManagementMigration } from './migrations/0007-device-management.ts';
import { servicePackagesMigration } from './migrations/0008-service-packages.ts';
import { streamUsageMigration } from './migrations/0004-stream-usage.ts';
import { deviceAccessMigration } from './migrations/0010-device-access.ts';
import { alarmsMigration } from './migrations/0013-alarms.ts';
import { openLiveSessionsMigration } from './migrations/0014-open-live-sessions.ts';
import { deviceSharesMigration } from './migrations/0015-device-shares.ts';
import { alertsMigration } from './migrations/0016-alerts.ts';
import { intelligenceMigration } from './migrations/0017-intelligence.ts';
import { subscriptionsMigration } from './migrations/0020-subscriptions.ts';

/** Every migration in order. A static list, so it runs unchanged on Node, Deno and workerd. */
export function migrations(dialect: SqlDialectKind): Record<string, Migration> {
  return {
    '0001-event-store': eventStoreMigration(dialect),
    '0002-read-models': readModelsMigration,
    '0003-platform-settings': platformSettingsMigration,
    '0004-stream-usage': streamUsageMigration,
    '0005-media-node-https': mediaNodeHttpsMigration,
    '0006-control-plane': controlPlaneMigration,
    '0007-device-management': deviceManagementMigration,
    '0008-service-packages': servicePackagesMigration,
    '0010-device-access': deviceAccessMigration,
    '0013-alarms': alarmsMigration,
    '0014-open-live-sessions': openLiveSessionsMigration,
    '0015-device-shares': deviceSharesMigration,
    '0016-alerts': alertsMigration(dialect),
    '0017-intelligence': intelligenceMigration,
    '0020-subscriptions': subscriptionsMigration(dialect),
  };
}

/**
 * Brings the schema up to date. Safe to call from several processes at start: Kysely's
 * migration lock serialises them.
 * @throws the migration's error where one fails
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialectKind): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  // Features land in parallel with numbers reserved ahead: a database that already ran 0010
  // must still run a 0007 that arrives later. Each migration creates only its own tables.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
}
