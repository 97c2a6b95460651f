import type { Db } from '../../sql/database.ts';
import { generateVapidKeys, type VapidKeys } from './web-push.ts';

/**
 * The installation's VAPID key pair (RFC 8292), generated on first use and kept in
 * `platform_settings` (the first process to store it wins; the others read it). Browsers
 * subscribe with its public key, so it must not change while subscriptions exist.
 */
export async function loadVapidKeys(db: Db): Promise<VapidKeys> {
  const generated = await generateVapidKeys();
  await db
    .insertInto('platform_settings')
    .values({ name: 'vapid_keys', value: JSON.stringify(generated) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .selectFrom('platform_settings')
    .select('value')
    .where('name', '=', 'vapid_keys')
    .executeTakeFirstOrThrow();
  return JSON.parse(row.value) as VapidKeys;
}
