import type { Kysely } from 'kysely';

/**
 * Devices in organisations and what the API edits of them (src/read-models/device-tables.ts):
 * each device's organisation and description, each channel's first appearance (tables beside
 * `devices` and `channels`, so the columns of either can change alone), and the answers of
 * batch adds kept by idempotency key.
 */
export const deviceManagementMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('device_profiles')
      .addColumn('device_id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('device_org_id', 'text', (col) => col.notNull())
      .addColumn('description', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('device_profiles_org')
      .on('device_profiles')
      .columns(['user_id', 'device_org_id'])
      .execute();

    await db.schema
      .createTable('channel_profiles')
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('channel_profiles_pk', ['device_id', 'channel_id'])
      .execute();

    await db.schema
      .createTable('idempotent_requests')
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('idempotency_key', 'text', (col) => col.notNull())
      .addColumn('route', 'text', (col) => col.notNull())
      .addColumn('body_hash', 'text', (col) => col.notNull())
      .addColumn('answer', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('idempotent_requests_pk', ['user_id', 'idempotency_key'])
      .execute();
  },
};
