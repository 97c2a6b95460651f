/** Queries over subscriptions, their delivery progress and log, scoped to one enterprise. */
import { withFanoutTables } from '../fanout/fanout-tables.ts';
import type { Db } from '../sql/database.ts';
import type { Page } from './queries.ts';

/** An enterprise's subscriptions (of one type where given) with their delivery progress. */
export async function listSubscriptions(
  db: Db,
  userId: string,
  subscriptionType: string | undefined,
) {
  let query = withFanoutTables(db)
    .selectFrom('subscriptions as s')
    .leftJoin('subscription_deliveries as d', 'd.subscription_id', 's.subscription_id')
    .where('s.user_id', '=', userId);
  if (subscriptionType !== undefined) {
    query = query.where('s.subscription_type', '=', subscriptionType);
  }
  return query
    .select([
      's.subscription_id',
      's.subscription_type',
      's.callback_url',
      's.key_source',
      's.created_at',
      's.updated_at',
      'd.position',
      'd.attempts',
      'd.next_attempt_at',
      'd.breaker_state',
      'd.breaker_reason',
      'd.breaker_opened_at',
    ])
    .orderBy('s.subscription_type')
    .execute();
}

/** An enterprise's delivery attempts, newest first. */
export async function listDeliveries(
  db: Db,
  userId: string,
  filter: { subscriptionId?: string | undefined },
  page: Page,
) {
  let query = withFanoutTables(db)
    .selectFrom('subscription_delivery_log')
    .where('user_id', '=', userId);
  if (filter.subscriptionId !== undefined) {
    query = query.where('subscription_id', '=', filter.subscriptionId);
  }
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('log_id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  // pg returns count(*) as a string, SQLite as a number.
  return { total: Number(count?.total ?? 0), rows };
}

/** The global position of the first event recorded at or after `time` (ISO 8601), if any. */
export async function firstPositionSince(db: Db, time: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.min('global_position').as('position'))
    .where('recorded_at', '>=', time)
    .executeTakeFirst();
  return row?.position === null || row?.position === undefined ? undefined : Number(row.position);
}
