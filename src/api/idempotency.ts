/**
 * `Idempotency-Key` on batch adds: the same key with the same body within 24 h answers what
 * the first request answered, without doing it again; the same key with another body is
 * refused. The answers are kept in a small table (`idempotent_requests`), not in the event
 * log: they are a cache of answers, not facts of the domain.
 */
import type { Context } from 'hono';

import { ArgusError, errorCodes } from '../errors.ts';
import { deviceTablesDb } from '../read-models/device-tables.ts';
import type { ApiDeps, ApiEnv } from './context.ts';

/** How long an answer is kept for its key. */
export const idempotencyWindowMs = 24 * 3600_000;

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs `effect` once per key and body: the answer of a request repeated with the key of an
 * earlier one is that earlier answer (marked with `Idempotent-Replayed: true`).
 * @throws ArgusError VALIDATION for a malformed key; CONFLICT for a key used with another
 * body or route
 */
export async function idempotent(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  route: string,
  body: unknown,
  effect: () => Promise<object>,
): Promise<object> {
  const key = c.req.header('Idempotency-Key');
  if (key === undefined) return effect();
  if (!keyPattern.test(key)) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      'Cannot accept Idempotency-Key: must be 1 to 255 visible ASCII characters',
    );
  }
  const userId = c.get('userId');
  const now = deps.now?.() ?? new Date();
  const bodyHash = await sha256(JSON.stringify(body));
  const db = deviceTablesDb(deps.db);
  const cutoff = new Date(now.getTime() - idempotencyWindowMs).toISOString();
  await db
    .deleteFrom('idempotent_requests')
    .where('user_id', '=', userId)
    .where('created_at', '<=', cutoff)
    .execute();

  const earlier = await db
    .selectFrom('idempotent_requests')
    .selectAll()
    .where('user_id', '=', userId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  if (earlier !== undefined) {
    if (earlier.route !== route || earlier.body_hash !== bodyHash) {
      throw new ArgusError(
        errorCodes.CONFLICT,
        'Cannot accept Idempotency-Key: it was used within 24 h for another request',
      );
    }
    c.header('Idempotent-Replayed', 'true');
    return JSON.parse(earlier.answer) as object;
  }

  const answer = await effect();
  await db
    .insertInto('idempotent_requests')
    .values({
      user_id: userId,
      idempotency_key: key,
      route,
      body_hash: bodyHash,
      answer: JSON.stringify(answer),
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return answer;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
