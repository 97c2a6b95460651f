/** Queries over the read models, always scoped to one enterprise (`user_id`). */
import type { Db } from '../sql/database.ts';
import { controlPlaneDb } from './control-plane-tables.ts';
import { deviceAccessDb } from './device-access-table.ts';

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

export async function listDevices(db: Db, userId: string, page: Page) {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('devices')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('device_id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll().as('total'))
      .where('user_id', '=', userId)
      .executeTakeFirst(),
  ]);
  // pg returns count(*) as a string, SQLite as a number.
  return { total: Number(count?.total ?? 0), rows };
}

/**
 * One device of the enterprise with why it is or is not connected (`device_access`; a device
 * without a row there yet reads NOT_CONNECTED), or undefined.
 */
export async function findDevice(db: Db, userId: string, deviceId: string) {
  return deviceAccessDb(db)
    .selectFrom('devices')
    .leftJoin('device_access', 'device_access.device_id', 'devices.device_id')
    .selectAll('devices')
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

export async function listChannels(
  db: Db,
  userId: string,
  filter: { deviceId?: string | undefined },
  page: Page,
) {
  let query = db.selectFrom('channels').where('user_id', '=', userId);
  if (filter.deviceId !== undefined) query = query.where('device_id', '=', filter.deviceId);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('device_id')
      .orderBy('channel_id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  return { total: Number(count?.total ?? 0), rows };
}

/** A channel with its device's state and the media node that serves the device. */
export async function findChannelRoute(
  db: Db,
  userId: string,
  deviceId: string,
  channelId: string,
) {
  return db
    .selectFrom('channels')
    .innerJoin('devices', 'devices.device_id', 'channels.device_id')
    .leftJoin('media_nodes', 'media_nodes.node_id', 'devices.media_node_id')
    .select([
      'devices.device_state',
      'channels.channel_state',
      'media_nodes.http_url',
      'media_nodes.https_url',
      'media_nodes.node_id',
    ])
    .where('channels.user_id', '=', userId)
    .where('channels.device_id', '=', deviceId)
    .where('channels.channel_id', '=', channelId)
    .executeTakeFirst();
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
