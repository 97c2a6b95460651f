/**
 * The `intelligence_data` read model (schema/migrations/0017) and its queries: a tenant's
 * results newest first, and the rows of given `data_id`s or alarms (for their pictures).
 */
import type { Kysely } from 'kysely';

import type { PictureRef, PictureType } from '../domain/intelligence.ts';
import type { Db } from '../sql/database.ts';
import type { DeviceTables } from './device-tables.ts';
import type { Page } from './queries.ts';

// A type alias, not an interface: Kysely's withTables wants implicit index signatures.
export type IntelligenceDataTable = {
  user_id: string;
  data_id: string;
  /** The event's global position: orders results of the same time as they were received. */
  position: number;
  device_id: string;
  channel_id: string;
  data_type: string;
  /** ISO 8601 with the sender's offset, as the API answers it. */
  data_time: string;
  /** The same instant in UTC (`toISOString`), which sorts and compares as text. */
  data_at: string;
  /** JSON object. */
  attributes: string;
  /** JSON: `{ original?: PictureRef, background?: …, panorama?: … }`. */
  pictures: string;
  alarm_id: string | null;
  received_at: string;
};

export type IntelligenceTables = { intelligence_data: IntelligenceDataTable };

/** The database with `intelligence_data` in view. */
export function intelligenceDb<T>(db: Kysely<T>): Kysely<T & IntelligenceTables & DeviceTables> {
  return db.withTables<IntelligenceTables & DeviceTables>();
}

export interface IntelligenceFilter {
  readonly deviceId?: string | undefined;
  readonly dataType?: string | undefined;
  /** Instants, inclusive. */
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  /** Only devices of these organisations (a department manager's); all where undefined. */
  readonly deviceOrgIds?: readonly string[] | undefined;
}

/** A tenant's results matching `filter`, newest first, and how many match in all. */
export async function listIntelligenceData(
  db: Db,
  userId: string,
  filter: IntelligenceFilter,
  page: Page,
) {
  let query = intelligenceDb(db).selectFrom('intelligence_data').where('user_id', '=', userId);
  if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId);
  if (filter.dataType !== undefined) query = query.where('data_type', '=', filter.dataType);
  if (filter.from !== undefined) query = query.where('data_at', '>=', filter.from.toISOString());
  if (filter.to !== undefined) query = query.where('data_at', '<=', filter.to.toISOString());
  const orgIds = filter.deviceOrgIds;
  if (orgIds !== undefined) {
    query = query.where('device_id', 'in', (eb) =>
      eb
        .selectFrom('device_profiles')
        .select('device_profiles.device_id')
        .where('device_profiles.device_org_id', 'in', orgIds.length === 0 ? [''] : orgIds),
    );
  }
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('data_at', 'desc')
      .orderBy('position', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  // pg returns count(*) as a string, SQLite as a number.
  return { total: Number(count?.total ?? 0), rows };
}

/** The tenant's rows of these `data_id`s (those that exist). */
export async function findIntelligenceData(db: Db, userId: string, dataIds: readonly string[]) {
  if (dataIds.length === 0) return [];
  return intelligenceDb(db)
    .selectFrom('intelligence_data')
    .selectAll()
    .where('user_id', '=', userId)
    .where('data_id', 'in', dataIds)
    .execute();
}

/** The tenant's rows that belong to these alarms, oldest first. */
export async function findAlarmIntelligenceData(
  db: Db,
  userId: string,
  alarmIds: readonly string[],
) {
  if (alarmIds.length === 0) return [];
  return intelligenceDb(db)
    .selectFrom('intelligence_data')
    .selectAll()
    .where('user_id', '=', userId)
    .where('alarm_id', 'in', alarmIds)
    .orderBy('data_at')
    .orderBy('position')
    .execute();
}

/** The pictures column read back. */
export function picturesOf(row: IntelligenceDataTable): Partial<Record<PictureType, PictureRef>> {
  return JSON.parse(row.pictures) as Partial<Record<PictureType, PictureRef>>;
}
