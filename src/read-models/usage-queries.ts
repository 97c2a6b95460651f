/**
 * The daily usage report of a tenant (`GET /v1/{user_id}/usage`) from the stream_usage read
 * model: the metered periods that overlap the range, bucketed into days by usage-days.ts.
 */
import type { Db } from '../sql/database.ts';
import { usageDays, type UsagePeriod } from './usage-days.ts';

export interface UsageQuery {
  readonly from: Date;
  readonly to: Date;
  /** Days start at midnight in the zone this many minutes east of UTC. */
  readonly offsetMinutes: number;
  readonly deviceId?: string | undefined;
  readonly channelId?: string | undefined;
}

/** The metered periods of the tenant that overlap `from`–`to`, in time order. */
export async function usagePeriods(db: Db, userId: string, query: UsageQuery) {
  let select = db
    .selectFrom('stream_usage')
    .select(['device_id', 'channel_id', 'direction', 'period_from', 'period_to', 'bytes'])
    .where('user_id', '=', userId)
    .where('period_to', '>', query.from.toISOString())
    .where('period_from', '<', query.to.toISOString());
  if (query.deviceId !== undefined) select = select.where('device_id', '=', query.deviceId);
  if (query.channelId !== undefined) select = select.where('channel_id', '=', query.channelId);
  const rows = await select.orderBy('period_from').orderBy('call_id').execute();
  // pg returns bigint columns as strings.
  return rows.map((row): UsagePeriod => ({
    deviceId: row.device_id,
    channelId: row.channel_id,
    direction: row.direction === 'IN' ? 'IN' : 'OUT',
    from: row.period_from,
    to: row.period_to,
    bytes: Number(row.bytes),
  }));
}

/** The tenant's usage per day, in total and per channel. */
export async function dailyUsage(db: Db, userId: string, query: UsageQuery) {
  const periods = await usagePeriods(db, userId, query);
  return usageDays(periods, query);
}
