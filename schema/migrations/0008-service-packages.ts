import type { Kysely } from 'kysely';

/**
 * Service packages and the channels bound to them (src/projections/package-projection.ts):
 * one row per package with its quota and expiry, one row per live binding.
 */
export const servicePackagesMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('service_packages')
      .addColumn('resource_id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('resource_type', 'text', (col) => col.notNull())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('channel_quota', 'integer', (col) => col.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('granted_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('service_packages_user')
      .on('service_packages')
      .columns(['user_id', 'resource_type'])
      .execute();

    await db.schema
      .createTable('package_channels')
      .addColumn('resource_id', 'text', (col) => col.notNull())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text', (col) => col.notNull())
      .addColumn('bound_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('package_channels_pk', ['resource_id', 'device_id', 'channel_id'])
      .execute();
    await db.schema
      .createIndex('package_channels_channel')
      .on('package_channels')
      .columns(['device_id', 'channel_id'])
      .execute();
  },
};
