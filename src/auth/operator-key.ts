/**
 * The platform operator's key (`Operator-Key` header of `/operator/…`). Generated on the
 * first start that finds none and shown once; only its PBKDF2 hash is kept, in
 * `platform_settings` beside the token secret: like that secret it belongs to the
 * installation, not to any tenant's event stream.
 */
import type { Db } from '../sql/database.ts';
import { hashSecret, randomToken, verifySecret } from './secrets.ts';

const settingName = 'operator_key_hash';

/**
 * Makes sure an operator key exists. Returns the new key where this call created it (show
 * it once), undefined where one existed or another process created it first.
 */
export async function ensureOperatorKey(db: Db): Promise<string | undefined> {
  if ((await storedHash(db)) !== undefined) return undefined;
  const key = `op-${randomToken(24)}`;
  const hash = await hashSecret(key);
  await db
    .insertInto('platform_settings')
    .values({ name: settingName, value: hash })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await storedHash(db)) === hash ? key : undefined;
}

/** True where `key` is the operator key. */
export async function verifyOperatorKey(db: Db, key: string): Promise<boolean> {
  const hash = await storedHash(db);
  return hash !== undefined && (await verifySecret(key, hash));
}

async function storedHash(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('platform_settings')
    .select('value')
    .where('name', '=', settingName)
    .executeTakeFirst();
  return row?.value;
}
