import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';

import { hashSecret, randomToken, verifySecret } from '../../auth/secrets.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { findCredential } from '../../read-models/queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { parseInput, readJson } from '../validation.ts';

const credentialsBody = z.object({
  ak: z.string().min(1).max(64),
  sk: z.string().min(1).max(64),
  force_update: z.boolean().optional(),
});

let decoy: Promise<string> | undefined;

/** A hash no SK matches, made once, to verify against where the AK is unknown. */
function decoyHash(): Promise<string> {
  decoy ??= hashSecret(randomToken(16));
  return decoy;
}

const badCredentials = () =>
  new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot issue access token: unknown AK or wrong SK');

/** `POST /v2/{user_id}/enterprises/access-token`: AK/SK for a JWT access token. */
export function authRoutes(deps: ApiDeps) {
  return new Hono<ApiEnv>().post('/v2/:user_id/enterprises/access-token', async (c) => {
    const userId = c.req.param('user_id');
    const body = parseInput(credentialsBody, await readJson(c.req.raw));

    const credential = await findCredential(deps.db, userId, body.ak);
    // An unknown AK costs the same hash as a wrong SK, so timing does not tell them apart.
    const verified = await verifySecret(body.sk, credential?.sk_hash ?? (await decoyHash()));
    if (credential === undefined || !verified) {
      c.get('logger').warn({ userId }, 'access token refused');
      throw badCredentials();
    }

    const now = deps.now?.() ?? new Date();
    const token = await deps.tokens.issueAccess({ userId, ak: body.ak }, deps.tokenTtlSeconds, now);
    return c.json({ access_token: token, expire_time: String(deps.tokenTtlSeconds) });
  });
}

/**
 * Requires `Access-Token` for `/v1|v2/{user_id}/…`: a valid token of that enterprise whose
 * AK is still held. Sets `userId`.
 */
export function requireAccessToken(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const token = c.req.header('Access-Token');
    if (token === undefined || token === '') {
      throw new ArgusError(
        errorCodes.UNAUTHENTICATED,
        'Cannot authenticate: no Access-Token header',
      );
    }
    const claims = await deps.tokens.verifyAccess(token, deps.now?.() ?? new Date());
    const userId = c.req.param('user_id');
    if (userId !== claims.userId) {
      throw new ArgusError(
        errorCodes.FORBIDDEN,
        `Cannot access enterprise ${userId ?? ''}: not the token's`,
      );
    }
    if ((await findCredential(deps.db, claims.userId, claims.ak)) === undefined) {
      throw new ArgusError(
        errorCodes.UNAUTHENTICATED,
        "Cannot authenticate: the token's AK is no longer valid",
      );
    }
    c.set('userId', claims.userId);
    await next();
  };
}
