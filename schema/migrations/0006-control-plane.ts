import type { Kysely } from 'kysely';

/**
 * Read models of the control plane (src/projections/control-plane.ts): access keys with their
 * token sessions, accounts of enterprise users and personal users, and device organisations.
 */
export const controlPlaneMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('access_keys')
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('ak', 'text', (col) => col.notNull())
      .addColumn('sk_hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('access_keys_pk', ['user_id', 'ak'])
      .execute();

    await db.schema
      .createTable('access_sessions')
      .addColumn('session_id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('ak', 'text', (col) => col.notNull())
      .addColumn('generation', 'integer', (col) => col.notNull())
      .addColumn('issued_at', 'text', (col) => col.notNull())
      .addColumn('expires_at', 'text', (col) => col.notNull())
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema
      .createIndex('access_sessions_key')
      .on('access_sessions')
      .columns(['user_id', 'ak'])
      .execute();

    await db.schema
      .createTable('accounts')
      .addColumn('login_name', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('role', 'text', (col) => col.notNull())
      .addColumn('device_org_id', 'text', (col) => col.notNull())
      .addColumn('display_name', 'text', (col) => col.notNull())
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('accounts_user')
      .on('accounts')
      .columns(['user_id', 'device_org_id'])
      .execute();

    await db.schema
      .createTable('device_orgs')
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('device_org_id', 'text', (col) => col.notNull())
      .addColumn('parent_org_id', 'text', (col) => col.notNull())
      .addColumn('device_org_name', 'text', (col) => col.notNull())
      .addColumn('level', 'integer', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('device_orgs_pk', ['user_id', 'device_org_id'])
      .execute();
    await db.schema
      .createIndex('device_orgs_parent')
      .on('device_orgs')
      .columns(['user_id', 'parent_org_id'])
      .execute();
  },
};
