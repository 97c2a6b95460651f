import type { Kysely } from 'kysely';

/**
 * Intelligence data (a read model of the `intelligence-<deviceId>` streams): one row per
 * tenant and `data_id`, listed newest first per tenant, optionally per device and type,
 * within a time range; pictures are found by `data_id` and by the alarm they belong to.
 */
export const intelligenceMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('intelligence_data')
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('data_id', 'text', (col) => col.notNull())
      .addColumn('position', 'bigint', (col) => col.notNull())
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text', (col) => col.notNull())
      .addColumn('data_type', 'text', (col) => col.notNull())
      .addColumn('data_time', 'text', (col) => col.notNull())
      .addColumn('data_at', 'text', (col) => col.notNull())
      .addColumn('attributes', 'text', (col) => col.notNull())
      .addColumn('pictures', 'text', (col) => col.notNull())
      .addColumn('alarm_id', 'text')
      .addColumn('received_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('intelligence_data_pk', ['user_id', 'data_id'])
      .execute();
    await db.schema
      .createIndex('intelligence_data_user_time')
      .on('intelligence_data')
      .columns(['user_id', 'data_at'])
      .execute();
    await db.schema
      .createIndex('intelligence_data_device_time')
      .on('intelligence_data')
      .columns(['user_id', 'device_id', 'data_at'])
      .execute();
    await db.schema
      .createIndex('intelligence_data_alarm')
      .on('intelligence_data')
      .columns(['user_id', 'alarm_id'])
      .execute();
  },
};
