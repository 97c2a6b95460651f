/**
 * Queries over the service-package read models, each scoped to one tenant (`user_id`), and
 * the entitlement rule the API and the fanout apply: a tenant that was never granted a
 * package is unrestricted; once it holds any, a channel may do what a package bound to it
 * and not expired allows.
 */
import type { PackageType } from '../domain/service-package.ts';
import { ArgusError, errorCodes } from '../errors.ts';
import type { Db } from '../sql/database.ts';
import { packageDb } from './package-tables.ts';
import type { Page } from './queries.ts';

/** The tenant's packages with the channels bound to each (`used`), oldest first. */
export async function listPackages(db: Db, userId: string, page: Page) {
  const t = packageDb(db);
  const [rows, count] = await Promise.all([
    t
      .selectFrom('service_packages as p')
      .selectAll('p')
      .select((eb) =>
        eb
          .selectFrom('package_channels as b')
          .select((inner) => inner.fn.countAll().as('used'))
          .whereRef('b.resource_id', '=', 'p.resource_id')
          .as('used'),
      )
      .where('p.user_id', '=', userId)
      .orderBy('p.granted_at')
      .orderBy('p.resource_id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    t
      .selectFrom('service_packages')
      .select((eb) => eb.fn.countAll().as('total'))
      .where('user_id', '=', userId)
      .executeTakeFirst(),
  ]);
  // pg returns count(*) as a string, SQLite as a number.
  return {
    total: Number(count?.total ?? 0),
    rows: rows.map((row) => ({ ...row, used: Number(row.used ?? 0) })),
  };
}

/** One package of the tenant, or undefined. */
export async function findPackage(db: Db, userId: string, resourceId: string) {
  return packageDb(db)
    .selectFrom('service_packages')
    .selectAll()
    .where('user_id', '=', userId)
    .where('resource_id', '=', resourceId)
    .executeTakeFirst();
}

/** The channels bound to a package of the tenant, in binding order. */
export async function listPackageChannels(db: Db, userId: string, resourceId: string, page: Page) {
  const query = packageDb(db)
    .selectFrom('package_channels')
    .where('user_id', '=', userId)
    .where('resource_id', '=', resourceId);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('bound_at')
      .orderBy('device_id')
      .orderBy('channel_id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  return { total: Number(count?.total ?? 0), rows };
}

/** The keys (`device/channel`) of the channels bound to a package, as projected. */
export async function boundChannelKeys(db: Db, resourceId: string): Promise<Set<string>> {
  const rows = await packageDb(db)
    .selectFrom('package_channels')
    .select(['device_id', 'channel_id'])
    .where('resource_id', '=', resourceId)
    .execute();
  return new Set(rows.map((row) => `${row.device_id}/${row.channel_id}`));
}

/** Other packages of the same type the channel is bound to. */
export async function sameTypeBindings(
  db: Db,
  userId: string,
  channel: { deviceId: string; channelId: string; resourceType: string; resourceId: string },
) {
  return packageDb(db)
    .selectFrom('package_channels as b')
    .innerJoin('service_packages as p', 'p.resource_id', 'b.resource_id')
    .select(['p.resource_id', 'p.name'])
    .where('b.user_id', '=', userId)
    .where('b.device_id', '=', channel.deviceId)
    .where('b.channel_id', '=', channel.channelId)
    .where('p.resource_type', '=', channel.resourceType)
    .where('p.resource_id', '!=', channel.resourceId)
    .execute();
}

/** True where a channel of the tenant is listed in the read models. */
export async function channelExists(
  db: Db,
  userId: string,
  channel: { deviceId: string; channelId: string },
): Promise<boolean> {
  const row = await db
    .selectFrom('channels')
    .select('channel_id')
    .where('user_id', '=', userId)
    .where('device_id', '=', channel.deviceId)
    .where('channel_id', '=', channel.channelId)
    .executeTakeFirst();
  return row !== undefined;
}

/** True where the tenant was ever granted a package (expired ones included). */
export async function holdsPackages(db: Db, userId: string): Promise<boolean> {
  const row = await packageDb(db)
    .selectFrom('service_packages')
    .select('resource_id')
    .where('user_id', '=', userId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Whether the tenant's channel (or, with no `channelId`, any channel of the device) may use
 * what packages of `type` give, at `at`: always where the tenant holds no package at all.
 */
export async function isEntitled(
  db: Db,
  userId: string,
  target: { deviceId: string; channelId?: string | undefined },
  type: PackageType,
  at: Date,
): Promise<boolean> {
  if (!(await holdsPackages(db, userId))) return true;
  let query = packageDb(db)
    .selectFrom('package_channels as b')
    .innerJoin('service_packages as p', 'p.resource_id', 'b.resource_id')
    .select('p.resource_id')
    .where('b.user_id', '=', userId)
    .where('b.device_id', '=', target.deviceId)
    .where('p.resource_type', '=', type)
    .where((eb) =>
      eb.or([eb('p.expires_at', 'is', null), eb('p.expires_at', '>', at.toISOString())]),
    );
  if (target.channelId !== undefined) query = query.where('b.channel_id', '=', target.channelId);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

/**
 * @throws ArgusError FORBIDDEN where the channel may not use what `type` gives (isEntitled),
 * naming the package type that is missing
 */
export async function requireEntitlement(
  db: Db,
  userId: string,
  channel: { deviceId: string; channelId: string },
  type: PackageType,
  at: Date,
  action: string,
): Promise<void> {
  if (await isEntitled(db, userId, channel, type, at)) return;
  throw new ArgusError(
    errorCodes.FORBIDDEN,
    `Cannot ${action}: no ${type} package in force is bound to channel ${channel.channelId}`,
    { resourceType: type },
  );
}
