/**
 * Queries over the control-plane read models (control-plane-tables.ts), each scoped to one
 * tenant (`user_id`) except where the name says otherwise.
 */
import type { Db } from '../sql/database.ts';
import { controlPlaneDb } from './control-plane-tables.ts';
import { deviceTablesDb } from './device-tables.ts';
import type { Page } from './queries.ts';

/** The enterprise's AK/SK pairs, oldest first, with their live token count at `now`. */
export async function listCredentials(db: Db, userId: string, now: Date) {
  const cp = controlPlaneDb(db);
  const rows = await cp
    .selectFrom('access_keys')
    .select(['ak', 'created_at'])
    .select((eb) =>
      eb
        .selectFrom('access_sessions')
        .select((inner) => inner.fn.countAll().as('n'))
        .whereRef('access_sessions.user_id', '=', 'access_keys.user_id')
        .whereRef('access_sessions.ak', '=', 'access_keys.ak')
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now.toISOString())
        .as('live_tokens'),
    )
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('ak')
    .execute();
  // pg returns count(*) as a string, SQLite as a number.
  return rows.map((row) => ({ ...row, live_tokens: Number(row.live_tokens ?? 0) }));
}

/** A token session (slot) by its ID, whatever its state. */
export async function findSession(db: Db, sessionId: string) {
  return controlPlaneDb(db)
    .selectFrom('access_sessions')
    .selectAll()
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
}

/** An account by its login name, on any tenant (login names are platform-wide). */
export async function findAccount(db: Db, loginName: string) {
  return controlPlaneDb(db)
    .selectFrom('accounts')
    .selectAll()
    .where('login_name', '=', loginName)
    .executeTakeFirst();
}

/** The tenant's accounts, optionally only those in the given organisations. */
export async function listAccounts(
  db: Db,
  userId: string,
  filter: { deviceOrgIds?: string[] | undefined },
  page: Page,
) {
  let query = controlPlaneDb(db).selectFrom('accounts').where('user_id', '=', userId);
  if (filter.deviceOrgIds !== undefined) {
    query = query.where('device_org_id', 'in', filter.deviceOrgIds);
  }
  const [rows, count] = await Promise.all([
    query
      .select(['login_name', 'kind', 'role', 'device_org_id', 'display_name', 'created_at'])
      .orderBy('created_at')
      .orderBy('login_name')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  return { total: Number(count?.total ?? 0), rows };
}

/** How many accounts of the tenant belong to the organisation. */
export async function countAccountsInOrg(db: Db, userId: string, deviceOrgId: string) {
  const row = await controlPlaneDb(db)
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll().as('total'))
    .where('user_id', '=', userId)
    .where('device_org_id', '=', deviceOrgId)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** The organisations directly under `parentOrgId`, in order of creation. */
export async function listSubOrgs(db: Db, userId: string, parentOrgId: string, page: Page) {
  const query = controlPlaneDb(db)
    .selectFrom('device_orgs')
    .where('user_id', '=', userId)
    .where('parent_org_id', '=', parentOrgId);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('created_at')
      .orderBy('device_org_id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirst(),
  ]);
  return { total: Number(count?.total ?? 0), rows };
}

/** Every organisation of the tenant (the root `0` is not a row). */
export async function listAllOrgs(db: Db, userId: string) {
  return controlPlaneDb(db)
    .selectFrom('device_orgs')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('level')
    .orderBy('created_at')
    .orderBy('device_org_id')
    .execute();
}

/** Enterprises of the platform (operator view), oldest first. */
export async function listEnterprises(db: Db, page: Page) {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('enterprises')
      .selectAll()
      .orderBy('created_at')
      .orderBy('user_id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom('enterprises')
      .select((eb) => eb.fn.countAll().as('total'))
      .executeTakeFirst(),
  ]);
  return { total: Number(count?.total ?? 0), rows };
}

/**
 * How many devices of the tenant belong to the organisation itself (not below it). Devices
 * without a profile row are in the root, which is never deleted.
 */
export async function countDevicesInOrg(db: Db, userId: string, deviceOrgId: string) {
  const row = await deviceTablesDb(db)
    .selectFrom('device_profiles')
    .select((eb) => eb.fn.countAll().as('total'))
    .where('user_id', '=', userId)
    .where('device_org_id', '=', deviceOrgId)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/**
 * The organisation and every one below it, from the read model (`0`, the root, is every
 * organisation of the tenant).
 */
export async function orgIdsWithin(db: Db, userId: string, deviceOrgId: string) {
  const rows = await listAllOrgs(db, userId);
  const children = new Map<string, string[]>();
  for (const row of rows) {
    children.set(row.parent_org_id, [
      ...(children.get(row.parent_org_id) ?? []),
      row.device_org_id,
    ]);
  }
  const within: string[] = [];
  for (const queue = [deviceOrgId]; queue.length > 0;) {
    const id = queue.shift() ?? '';
    within.push(id);
    queue.push(...(children.get(id) ?? []));
  }
  return within;
}
