/** Queries over the read models, always scoped to one enterprise (`user_id`). */
import { sql } from 'kysely';

import type { Db } from '../sql/database.ts';
import { controlPlaneDb } from './control-plane-tables.ts';
import { deviceAccessDb } from './device-access-table.ts';
import { deviceTablesDb, type DeviceTables } from './device-tables.ts';

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

/** A live AK/SK pair of the enterprise (deleted pairs are gone). */
export async function findCredential(db: Db, userId: string, ak: string) {
  return controlPlaneDb(db)
    .selectFrom('access_keys')
    .selectAll()
    .where('ak', '=', ak)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/**
 * Which devices a list shows; a field left out matches every device. `deviceOrgIds` is the
 * set of organisations (a department and what lies below it, say).
 */
export interface DeviceFilter {
  readonly deviceOrgIds?: readonly string[] | undefined;
  readonly states?: readonly string[] | undefined;
  readonly protocols?: readonly string[] | undefined;
  /** Names containing this text. */
  readonly nameContains?: string | undefined;
}

/** The devices of a tenant with their organisation and description (device_profiles). */
function devicesWithProfile(db: Db, userId: string) {
  return deviceTablesDb(db)
    .selectFrom('devices')
    .leftJoin('device_profiles', 'device_profiles.device_id', 'devices.device_id')
    .where('devices.user_id', '=', userId);
}

/** A device without a profile row (added before it existed) is in the root, undescribed. */
const profileColumns = [
  sql<string>`coalesce(device_profiles.device_org_id, '0')`.as('device_org_id'),
  sql<string>`coalesce(device_profiles.description, '')`.as('description'),
] as const;

/** The tenant's devices matching `filter`, oldest first, with `total` and `onlineTotal`. */
export async function listDevices(db: Db, userId: string, filter: DeviceFilter, page: Page) {
  let query = devicesWithProfile(db, userId);
  if (filter.deviceOrgIds !== undefined) {
    const orgs = inList(filter.deviceOrgIds);
    query = query.where(sql<string>`coalesce(device_profiles.device_org_id, '0')`, 'in', orgs);
  }
  if (filter.states !== undefined) {
    query = query.where('devices.device_state', 'in', inList(filter.states));
  }
  if (filter.protocols !== undefined) {
    query = query.where('devices.access_protocol', 'in', inList(filter.protocols));
  }
  if (filter.nameContains !== undefined) {
    query = query.where(contains('devices.device_name', filter.nameContains));
  }
  const [rows, count] = await Promise.all([
    query
      .selectAll('devices')
      .select(profileColumns)
      .orderBy('devices.created_at')
      .orderBy('devices.device_id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query
      .select((eb) => [
        eb.fn.countAll().as('total'),
        eb.fn
          .sum(eb.case().when('devices.device_state', '=', 'ONLINE').then(1).else(0).end())
          .as('online'),
      ])
      .executeTakeFirst(),
  ]);
  // pg returns count(*) and sums as strings, SQLite as numbers (and a sum of no rows as null).
  return { total: Number(count?.total ?? 0), onlineTotal: Number(count?.online ?? 0), rows };
}

/**
 * One device of the enterprise with its organisation and why it is or is not connected
 * (`device_access`; a device without a row there yet reads NOT_CONNECTED), or undefined.
 */
export async function findDevice(db: Db, userId: string, deviceId: string) {
  return deviceAccessDb(db)
    .withTables<DeviceTables>()
    .selectFrom('devices')
    .leftJoin('device_profiles', 'device_profiles.device_id', 'devices.device_id')
    .leftJoin('device_access', 'device_access.device_id', 'devices.device_id')
    .selectAll('devices')
    .select(profileColumns)
    .select([
      'device_access.gb_access_state',
      'device_access.gb_access_reason',
      'device_access.gb_last_attempt_at',
      'device_access.gb_locked_until',
    ])
    .where('devices.user_id', '=', userId)
    .where('devices.device_id', '=', deviceId)
    .executeTakeFirst();
}

/** How channels can be ordered; ties are broken by device and channel ID. */
export const channelSortColumns = {
  name: 'channels.channel_name',
  channel_id: 'channels.channel_id',
  state: 'channels.channel_state',
  create_time: 'created_at',
} as const;

export interface ChannelFilter {
  readonly deviceId?: string | undefined;
  /** Channels of devices in these organisations. */
  readonly deviceOrgIds?: readonly string[] | undefined;
  readonly states?: readonly string[] | undefined;
  readonly nameContains?: string | undefined;
}

export interface ChannelOrder {
  readonly sortBy: keyof typeof channelSortColumns;
  readonly direction: 'ASC' | 'DESC';
}

/** Channels of a tenant with their first appearance and their device's organisation. */
function channelsWithProfile(db: Db, userId: string) {
  return deviceTablesDb(db)
    .selectFrom('channels')
    .leftJoin('channel_profiles', (join) =>
      join
        .onRef('channel_profiles.device_id', '=', 'channels.device_id')
        .onRef('channel_profiles.channel_id', '=', 'channels.channel_id'),
    )
    .leftJoin('device_profiles', 'device_profiles.device_id', 'channels.device_id')
    .where('channels.user_id', '=', userId);
}

const channelProfileColumns = [
  sql<string>`coalesce(channel_profiles.created_at, channels.updated_at)`.as('created_at'),
  sql<string>`coalesce(device_profiles.device_org_id, '0')`.as('device_org_id'),
] as const;

/** The tenant's channels matching `filter`, in `order`, with the total. */
export async function listChannels(
  db: Db,
  userId: string,
  filter: ChannelFilter,
  page: Page,
  order: ChannelOrder = { sortBy: 'channel_id', direction: 'ASC' },
) {
  let query = channelsWithProfile(db, userId);
  if (filter.deviceId !== undefined) {
    query = query.where('channels.device_id', '=', filter.deviceId);
  }
  if (filter.deviceOrgIds !== undefined) {
    const orgs = inList(filter.deviceOrgIds);
    query = query.where(sql<string>`coalesce(device_profiles.device_org_id, '0')`, 'in', orgs);
  }
  if (filter.states !== undefined) {
    query = query.where('channels.channel_state', 'in', inList(filter.states));
  }
  if (filter.nameContains !== undefined) {
    query = query.where(contains('channels.channel_name', filter.nameContains));
  }
  const direction = order.direction === 'DESC' ? 'desc' : 'asc';
  const [rows, count] = await Promise.all([
    query
      .selectAll('channels')
      .select(channelProfileColumns)
      .orderBy(sql.ref(channelSortColumns[order.sortBy]), direction)
      .orderBy('channels.device_id', direction)
      .orderBy('channels.channel_id', direction)
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  return { total: Number(count?.total ?? 0), rows };
}

/** One channel of the tenant with its device's name, state and organisation, or undefined. */
export async function findChannel(db: Db, userId: string, deviceId: string, channelId: string) {
  return channelsWithProfile(db, userId)
    .innerJoin('devices', 'devices.device_id', 'channels.device_id')
    .selectAll('channels')
    .select(channelProfileColumns)
    .select(['devices.device_name', 'devices.device_state'])
    .where('channels.device_id', '=', deviceId)
    .where('channels.channel_id', '=', channelId)
    .executeTakeFirst();
}

/** A channel with its device's state and organisation and the media node that serves it. */
export async function findChannelRoute(
  db: Db,
  userId: string,
  deviceId: string,
  channelId: string,
) {
  return deviceTablesDb(db)
    .selectFrom('channels')
    .innerJoin('devices', 'devices.device_id', 'channels.device_id')
    .leftJoin('device_profiles', 'device_profiles.device_id', 'channels.device_id')
    .leftJoin('media_nodes', 'media_nodes.node_id', 'devices.media_node_id')
    .select([
      'devices.device_state',
      'channels.channel_state',
      'media_nodes.http_url',
      'media_nodes.https_url',
      'media_nodes.node_id',
    ])
    .select(sql<string>`coalesce(device_profiles.device_org_id, '0')`.as('device_org_id'))
    .where('channels.user_id', '=', userId)
    .where('channels.device_id', '=', deviceId)
    .where('channels.channel_id', '=', channelId)
    .executeTakeFirst();
}

/** `in ()` is not SQL: an empty list becomes one value no row holds. */
function inList(values: readonly string[]): string[] {
  return values.length === 0 ? [''] : [...values];
}

/**
 * `column` contains `text` literally (`%` and `_` in it match only themselves), ignoring ASCII
 * case on every engine: SQLite's `like` does, Postgres's does not.
 */
function contains(column: string, text: string) {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like lower(${pattern}) escape '\\'`;
}

/** The media node that started last: where new devices are told to register. */
export async function latestMediaNode(db: Db) {
  return db
    .selectFrom('media_nodes')
    .selectAll()
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Which usage to sum: any field left out matches every value; times are ISO 8601. */
export interface UsageFilter {
  readonly deviceId?: string | undefined;
  readonly channelId?: string | undefined;
  /** `RTP` (bytes in), `HTTP_FLV`, `WS_FLV` or `HTTP_HLS`. */
  readonly protocol?: string | undefined;
  /** Periods that end after this time. */
  readonly from?: string | undefined;
  /** Periods that start before this time. */
  readonly to?: string | undefined;
}

/** One line of a usage report. */
export interface UsageTotal {
  readonly deviceId: string;
  readonly channelId: string;
  readonly direction: 'IN' | 'OUT';
  readonly protocol: string;
  readonly bytes: number;
  /** IN: seconds streamed; OUT: viewer-seconds. */
  readonly seconds: number;
}

/**
 * Live stream usage of an enterprise summed per device, channel, direction and protocol over
 * the usage periods that overlap `from`–`to` (a period is counted whole).
 */
export async function sumStreamUsage(
  db: Db,
  userId: string,
  filter: UsageFilter,
): Promise<UsageTotal[]> {
  let query = db.selectFrom('stream_usage').where('user_id', '=', userId);
  if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId);
  if (filter.channelId !== undefined) query = query.where('channel_id', '=', filter.channelId);
  if (filter.protocol !== undefined) query = query.where('protocol', '=', filter.protocol);
  if (filter.from !== undefined) query = query.where('period_to', '>', filter.from);
  if (filter.to !== undefined) query = query.where('period_from', '<', filter.to);
  const rows = await query
    .select(['device_id', 'channel_id', 'direction', 'protocol'])
    .select((eb) => [
      eb.fn.sum<number>('bytes').as('bytes'),
      eb.fn.sum<number>('seconds').as('seconds'),
    ])
    .groupBy(['device_id', 'channel_id', 'direction', 'protocol'])
    .orderBy('device_id')
    .orderBy('channel_id')
    .orderBy('direction')
    .orderBy('protocol')
    .execute();
  // pg returns sums of bigint as strings.
  return rows.map((r) => ({
    deviceId: r.device_id,
    channelId: r.channel_id,
    direction: r.direction,
    protocol: r.protocol,
    bytes: Number(r.bytes),
    seconds: Number(r.seconds),
  }));
}
