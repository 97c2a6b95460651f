/** Queries over the read models, always scoped to one enterprise (`user_id`). */
import type { Db } from '../sql/database.ts';

export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export async function findCredential(db: Db, userId: string, ak: string) {
  return db
    .selectFrom('credentials')
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
