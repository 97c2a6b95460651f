import type { Kysely } from 'kysely';

import type { SqlDialectKind } from '../../src/sql/database.ts';

/** The global event log and the projection checkpoints. */
export function eventStoreMigration(dialect: SqlDialectKind) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      let events = db.schema.createTable('events').ifNotExists();
      events =
        dialect === 'postgres'
          ? events.addColumn('global_position', 'bigserial', (col) => col.primaryKey())
          : events.addColumn('global_position', 'integer', (col) =>
              col.primaryKey().autoIncrement(),
            );
      await events
        .addColumn('event_id', 'text', (col) => col.notNull().unique())
        .addColumn('stream_name', 'text', (col) => col.notNull())
        .addColumn('stream_revision', 'integer', (col) => col.notNull())
        .addColumn('event_type', 'text', (col) => col.notNull())
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('metadata', 'text', (col) => col.notNull())
        .addColumn('recorded_at', 'text', (col) => col.notNull())
        .addUniqueConstraint('events_stream_revision', ['stream_name', 'stream_revision'])
        .execute();

      await db.schema
        .createTable('projection_checkpoints')
        .ifNotExists()
        .addColumn('projection_name', 'text', (col) => col.primaryKey())
        .addColumn('position', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .execute();
    },
  };
}
