import type { Kysely } from 'kysely';

/**
 * Live sessions whose dialog was recorded and whose end was not: one row per open session,
 * so a media node that starts finds what it left open in a read bounded by the sessions open
 * now, whatever number ended before. Kept by the `open-live-sessions` projection.
 */
export const openLiveSessionsMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('open_live_sessions')
      .addColumn('call_id', 'text', (col) => col.primaryKey())
      .addColumn('node_id', 'text', (col) => col.notNull())
      .addColumn('device_id', 'text', (col) => col.notNull())
      .addColumn('channel_id', 'text', (col) => col.notNull())
      .addColumn('ssrc', 'text', (col) => col.notNull())
      .addColumn('rtp_transport', 'text', (col) => col.notNull())
      .addColumn('rtp_port', 'integer', (col) => col.notNull())
      .addColumn('dialog', 'text', (col) => col.notNull())
      .addColumn('established_at', 'text', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('open_live_sessions_node')
      .on('open_live_sessions')
      .column('node_id')
      .execute();
  },
};
