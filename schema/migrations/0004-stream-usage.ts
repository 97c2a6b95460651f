import type { Kysely } from 'kysely';

/**
 * Live stream usage as the StreamUsageRecorded events give it: per usage period of a call, one
 * `IN` row (protocol `RTP`: bytes from the device) and one `OUT` row per viewer protocol
 * (bytes, viewer-seconds and viewers summed over that protocol's viewers).
 */
export const streamUsageMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('stream_usage')
      .addColumn('call_id', 'text', (col) => col.notNull())
      .addColumn('period_from', 'text', (col) => col.notNull())
      .addColumn('period_to', 'text', (col) => col.notNull())
      .addColumn('direction', 'text', (col) => col.notNull())
      .addColumn('protocol', 'text', (col) => col.notNull())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text', (col) => col.notNull())
      .addColumn('bytes', 'bigint', (col) => col.notNull())
      // 8-byte floats on both engines: Postgres's `real` has 4 bytes, SQLite's REAL 8.
      .addColumn('seconds', 'double precision', (col) => col.notNull())
      .addColumn('viewers', 'integer', (col) => col.notNull())
      .addPrimaryKeyConstraint('stream_usage_pk', [
        'call_id',
        'period_from',
        'direction',
        'protocol',
      ])
      .execute();
    await db.schema
      .createIndex('stream_usage_user')
      .on('stream_usage')
      .columns(['user_id', 'device_id', 'channel_id', 'period_from'])
      .execute();
  },
};
