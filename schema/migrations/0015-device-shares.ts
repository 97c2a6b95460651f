import type { Kysely } from 'kysely';

/**
 * The shares of devices with other accounts (src/projections/share-projection.ts): one row
 * per device and grantee; a revoked share is deleted, an expired one stays until revoked (the
 * access check compares `expires_at` with the clock).
 */
export const deviceSharesMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('device_shares')
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('grantee_login_name', 'text', (col) => col.notNull())
      .addColumn('grantee_user_id', 'text', (col) => col.notNull())
      .addColumn('owner_user_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text')
      .addColumn('permissions', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('shared_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('device_shares_pk', ['device_id', 'grantee_login_name'])
      .execute();
    await db.schema
      .createIndex('device_shares_grantee')
      .on('device_shares')
      .columns(['grantee_login_name', 'owner_user_id'])
      .execute();
  },
};
