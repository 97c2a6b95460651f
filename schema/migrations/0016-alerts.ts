import type { Kysely } from 'kysely';

import type { SqlDialectKind } from '../../src/sql/database.ts';

/**
 * User alerts (src/fanout/alerts): who receives them with the throttle's progress (reactor
 * state: the global position read through and the open window, so a restart neither repeats
 * nor loses an alert), and the alerts sent, which the SSE stream and Web Push read.
 */
export function alertsMigration(dialect: SqlDialectKind) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('alert_recipients')
        .addColumn('recipient_id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('recipient', 'text', (col) => col.notNull())
        .addColumn('role', 'text', (col) => col.notNull())
        .addColumn('device_org_id', 'text', (col) => col.notNull())
        .addColumn('position', 'bigint', (col) => col.notNull())
        .addColumn('window_end', 'text')
        .addColumn('held', 'integer', (col) => col.notNull())
        .addColumn('held_by_device', 'text', (col) => col.notNull())
        .addColumn('first_held', 'text')
        .addColumn('pushed_seq', 'bigint', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .execute();

      let alerts = db.schema.createTable('alerts');
      alerts =
        dialect === 'postgres'
          ? alerts.addColumn('alert_seq', 'bigserial', (col) => col.primaryKey())
          : alerts.addColumn('alert_seq', 'integer', (col) => col.primaryKey().autoIncrement());
      await alerts
        .addColumn('alert_id', 'text', (col) => col.notNull().unique())
        .addColumn('recipient_id', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('body', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('alerts_recipient')
        .on('alerts')
        .columns(['recipient_id', 'alert_seq'])
        .execute();
    },
  };
}
