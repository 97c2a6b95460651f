/**
 * Queries over the `device_shares` read model. A share counts only while the device is still
 * owned by the tenant that shared it (joined with `devices`), and, for a grantee, only while
 * it has not expired.
 */
import type { Db } from '../sql/database.ts';
import { deviceTablesDb } from './device-tables.ts';
import { shareDb } from './share-tables.ts';

function sharesOfOwnedDevices(db: Db) {
  return shareDb(deviceTablesDb(db))
    .selectFrom('device_shares')
    .innerJoin('devices', (join) =>
      join
        .onRef('devices.device_id', '=', 'device_shares.device_id')
        .onRef('devices.user_id', '=', 'device_shares.owner_user_id'),
    )
    .selectAll('device_shares')
    .select('devices.device_name');
}

/** The shares the owner gave of one device, by login name; expired ones included. */
export async function listDeviceShares(db: Db, ownerUserId: string, deviceId: string) {
  return sharesOfOwnedDevices(db)
    .where('device_shares.owner_user_id', '=', ownerUserId)
    .where('device_shares.device_id', '=', deviceId)
    .orderBy('device_shares.grantee_login_name')
    .execute();
}

/**
 * The live shares an account received: of all owners, or of `ownerUserId` only. `granteeUserId`
 * is the account's tenant: a login name deleted and taken again does not inherit shares.
 */
export async function liveSharesWith(
  db: Db,
  grantee: { loginName: string; userId: string },
  now: Date,
  filter: { ownerUserId?: string } = {},
) {
  let query = sharesOfOwnedDevices(db)
    .where('device_shares.grantee_login_name', '=', grantee.loginName)
    .where('device_shares.grantee_user_id', '=', grantee.userId)
    .where((eb) =>
      eb.or([
        eb('device_shares.expires_at', 'is', null),
        eb('device_shares.expires_at', '>', now.toISOString()),
      ]),
    )
    .orderBy('device_shares.shared_at')
    .orderBy('device_shares.device_id');
  if (filter.ownerUserId !== undefined) {
    query = query.where('device_shares.owner_user_id', '=', filter.ownerUserId);
  }
  return query.execute();
}

/** How many devices the tenant owns. */
export async function countOwnedDevices(db: Db, userId: string): Promise<number> {
  const row = await deviceTablesDb(db)
    .selectFrom('devices')
    .select((eb) => eb.fn.countAll().as('total'))
    .where('user_id', '=', userId)
    .executeTakeFirst();
  // pg returns count(*) as a string, SQLite as a number.
  return Number(row?.total ?? 0);
}
