import type { Kysely } from 'kysely';

/**
 * Why each device is or is not connected (`gb_access_state` in the API): one row per device,
 * beside `devices`, kept by the read-models projection.
 */
export const deviceAccessMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('device_access')
      .addColumn('device_id', 'text', (col) => col.primaryKey())
      .addColumn('gb_access_state', 'text', (col) => col.notNull())
      .addColumn('gb_access_reason', 'text', (col) => col.notNull())
      .addColumn('gb_last_attempt_at', 'text')
      .addColumn('gb_locked_until', 'text')
      .execute();
  },
};
