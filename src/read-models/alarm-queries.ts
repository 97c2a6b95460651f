/**
 * The `alarms` read model (schema/migrations/0013) and its one query: an enterprise's alarms,
 * newest first.
 */
import type { Kysely } from 'kysely';

import type { Db } from '../sql/database.ts';
import type { Page } from './queries.ts';

// A type alias, not an interface: Kysely's withTables wants implicit index signatures.
export type AlarmsTable = {
  alarm_id: string;
  /** The event's global position: orders alarms of the same time as they were received. */
  position: number;
  user_id: string;
  device_id: string;
  channel_id: string;
  priority: number | null;
  method: number | null;
  alarm_type: number | null;
  event_type: number | null;
  /** ISO 8601 with the device's offset, as the API answers it. */
  alarm_time: string;
  /** The same instant in UTC (`toISOString`), which sorts and compares as text. */
  alarm_at: string;
  /** AlarmTime as the device wrote it, where it could not be read. */
  device_time: string | null;
  longitude: number | null;
  latitude: number | null;
  description: string | null;
  received_at: string;
};

/** Which enterprise owns each device, as the alarms projection knows it. */
export type AlarmDeviceOwnersTable = { device_id: string; user_id: string };

export type AlarmTables = { alarms: AlarmsTable; alarm_device_owners: AlarmDeviceOwnersTable };

/** The database with `alarms` in view. */
export function alarmsDb<T>(db: Kysely<T>): Kysely<T & AlarmTables> {
  return db.withTables<AlarmTables>();
}

export interface AlarmFilter {
  readonly deviceId?: string | undefined;
  readonly channelId?: string | undefined;
  /** Instants, inclusive. */
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
}

/** An enterprise's alarms matching `filter`, newest first, and how many match in all. */
export async function listAlarms(db: Db, userId: string, filter: AlarmFilter, page: Page) {
  let query = alarmsDb(db).selectFrom('alarms').where('user_id', '=', userId);
  if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId);
  if (filter.channelId !== undefined) query = query.where('channel_id', '=', filter.channelId);
  if (filter.from !== undefined) query = query.where('alarm_at', '>=', filter.from.toISOString());
  if (filter.to !== undefined) query = query.where('alarm_at', '<=', filter.to.toISOString());
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('alarm_at', 'desc')
      .orderBy('position', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  // pg returns count(*) as a string, SQLite as a number.
  return { total: Number(count?.total ?? 0), rows };
}
