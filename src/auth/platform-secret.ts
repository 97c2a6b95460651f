import { randomToken } from './secrets.ts';
import type { Db } from '../sql/database.ts';

/**
 * The secret that signs access and live tokens, shared by the API and the media nodes of one
 * installation: `ARGUS_SECRET` where set, else one generated on first start and kept in the
 * database (the first process to store it wins; the others read it).
 */
export async function loadPlatformSecret(db: Db, configured?: string): Promise<string> {
  if (configured !== undefined) return configured;

  await db
    .insertInto('platform_settings')
    .values({ name: 'token_secret', value: randomToken(32) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .selectFrom('platform_settings')
    .select('value')
    .where('name', '=', 'token_secret')
    .executeTakeFirstOrThrow();
  return row.value;
}
