import type { Kysely } from 'kysely';

/**
 * Alarms devices reported (a read model of the `alarms-<deviceId>` streams), listed newest
 * first per enterprise, optionally per device and channel, within a time range; and which
 * enterprise owns each device, from its DeviceAdded, so that the alarms projection depends on
 * no other projection's progress.
 */
export const alarmsMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('alarms')
      .addColumn('alarm_id', 'text', (col) => col.primaryKey())
      .addColumn('position', 'bigint', (col) => col.notNull())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text', (col) => col.notNull())
      .addColumn('priority', 'integer')
      .addColumn('method', 'integer')
      .addColumn('alarm_type', 'integer')
      .addColumn('event_type', 'integer')
      .addColumn('alarm_time', 'text', (col) => col.notNull())
      .addColumn('alarm_at', 'text', (col) => col.notNull())
      .addColumn('device_time', 'text')
      // 8-byte floats on both engines: Postgres's `real` has 4 bytes, SQLite's REAL 8.
      .addColumn('longitude', 'double precision')
      .addColumn('latitude', 'double precision')
      .addColumn('description', 'text')
      .addColumn('received_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createTable('alarm_device_owners')
      .addColumn('device_id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('alarms_user_time')
      .on('alarms')
      .columns(['user_id', 'alarm_at'])
      .execute();
    await db.schema
      .createIndex('alarms_device_time')
      .on('alarms')
      .columns(['user_id', 'device_id', 'alarm_at'])
      .execute();
  },
};
