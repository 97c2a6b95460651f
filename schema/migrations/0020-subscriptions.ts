import type { Kysely } from 'kysely';

import type { SqlDialectKind } from '../../src/sql/database.ts';

/**
 * Message subscriptions (a read model of the `subscription-*` streams), the delivery progress
 * of each (reactor state, kept across rebuilds of the read model) and the delivery log.
 */
export function subscriptionsMigration(dialect: SqlDialectKind) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('subscriptions')
        .addColumn('subscription_id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('subscription_type', 'text', (col) => col.notNull())
        .addColumn('callback_url', 'text', (col) => col.notNull())
        .addColumn('signing_key', 'text', (col) => col.notNull())
        .addColumn('key_source', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('subscriptions_user')
        .on('subscriptions')
        .column('user_id')
        .execute();

      await db.schema
        .createTable('subscription_deliveries')
        .addColumn('subscription_id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('position', 'bigint', (col) => col.notNull())
        .addColumn('epoch', 'integer', (col) => col.notNull())
        .addColumn('control_position', 'bigint', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull())
        .addColumn('next_attempt_at', 'text')
        .addColumn('breaker_state', 'text', (col) => col.notNull())
        .addColumn('breaker_reason', 'text')
        .addColumn('breaker_opened_at', 'text')
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .execute();

      let log = db.schema.createTable('subscription_delivery_log');
      log =
        dialect === 'postgres'
          ? log.addColumn('log_id', 'bigserial', (col) => col.primaryKey())
          : log.addColumn('log_id', 'integer', (col) => col.primaryKey().autoIncrement());
      await log
        .addColumn('subscription_id', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('message_id', 'text', (col) => col.notNull())
        .addColumn('message_type', 'text', (col) => col.notNull())
        .addColumn('attempt', 'integer', (col) => col.notNull())
        .addColumn('outcome', 'text', (col) => col.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('detail', 'text')
        .addColumn('at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('subscription_delivery_log_subscription')
        .on('subscription_delivery_log')
        .columns(['subscription_id', 'log_id'])
        .execute();
    },
  };
}
