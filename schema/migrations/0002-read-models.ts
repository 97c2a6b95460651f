import type { Kysely } from 'kysely';

/** Read models for enterprises, credentials, devices, channels and media nodes. */
export const readModelsMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('enterprises')
      .addColumn('user_id', 'text', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('credentials')
      .addColumn('ak', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('sk_hash', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('devices')
      .addColumn('device_id', 'text', (col) => col.primaryKey())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('device_name', 'text', (col) => col.notNull())
      .addColumn('device_state', 'text', (col) => col.notNull())
      .addColumn('access_protocol', 'text', (col) => col.notNull())
      .addColumn('channel_total', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('media_node_id', 'text')
      .addColumn('remote_address', 'text')
      .addColumn('transport', 'text')
      .addColumn('registered_at', 'text')
      .addColumn('state_changed_at', 'text', (col) => col.notNull())
      .addColumn('created_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('devices_user')
      .on('devices')
      .columns(['user_id', 'created_at', 'device_id'])
      .execute();

    await db.schema
      .createTable('channels')
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text', (col) => col.notNull())
      .addColumn('user_id', 'text', (col) => col.notNull())
      .addColumn('channel_name', 'text', (col) => col.notNull())
      .addColumn('channel_state', 'text', (col) => col.notNull())
      .addColumn('catalog_status', 'text', (col) => col.notNull())
      .addColumn('manufacturer', 'text')
      .addColumn('model', 'text')
      .addColumn('parent_id', 'text')
      .addColumn('updated_at', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('channels_pk', ['device_id', 'channel_id'])
      .execute();
    await db.schema
      .createIndex('channels_user')
      .on('channels')
      .columns(['user_id', 'device_id'])
      .execute();

    await db.schema
      .createTable('media_nodes')
      .addColumn('node_id', 'text', (col) => col.primaryKey())
      .addColumn('http_url', 'text', (col) => col.notNull())
      .addColumn('sip_host', 'text', (col) => col.notNull())
      .addColumn('sip_port', 'integer', (col) => col.notNull())
      .addColumn('started_at', 'text', (col) => col.notNull())
      .execute();
  },
};
