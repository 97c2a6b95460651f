import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';

import {
  credentialStreamName,
  decideIssueAccessToken,
  decideRefreshAccessToken,
  foldCredentialTokens,
  type AccessTokenEvent,
} from '../../domain/access-token.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import type { Principal } from '../../auth/permissions.ts';
import { hashSecret, randomToken, verifySecret } from '../../auth/secrets.ts';
import type { AccessTokenClaims } from '../../auth/tokens.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { findAccount, findSession } from '../../read-models/control-plane-queries.ts';
import { findCredential } from '../../read-models/queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { sharedPrincipal } from '../share-access.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { readYourWrites } from './read-your-writes.ts';

const credentialsBody = z.object({
  ak: z.string().min(1).max(64),
  sk: z.string().min(1).max(64),
  force_update: z.boolean().optional(),
});

const passwordBody = z.object({
  login_name: z.string().min(1).max(64),
  password: z.string().min(1).max(128),
});

const userIdParams = z.object({ user_id: z.string().min(1).max(64) });

const tokenAnswer = z.object({
  access_token: z.string(),
  expire_time: z.string().describe('seconds the token is valid for'),
});

let decoy: Promise<string> | undefined;

/** A hash no secret matches, made once, to verify against where the AK or login is unknown. */
function decoyHash(): Promise<string> {
  decoy ??= hashSecret(randomToken(16));
  return decoy;
}

const badCredentials = () =>
  new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot issue access token: unknown AK or wrong SK');

const badPassword = () =>
  new ArgusError(
    errorCodes.UNAUTHENTICATED,
    'Cannot issue access token: unknown login name or wrong password',
  );

/**
 * Logins and refresh: `POST /v2/{user_id}/enterprises/access-token` (AK/SK, at most
 * `maxTokensPerCredential` live tokens per pair, `force_update` to replace the oldest),
 * `POST /v2/users/access-token` (login name and password), and
 * `POST /v2/{user_id}/enterprises/access-token/refresh` (a live token for its successor).
 */
export function authRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/v2/{user_id}/enterprises/access-token',
      summary: 'Exchange an AK/SK for an access token',
      tag: 'Authentication',
      security: 'none',
      request: { params: userIdParams, body: credentialsBody },
      response: tokenAnswer,
    },
    async (c, { params, body }) => {
      const userId = params.user_id;
      const credential = await findCredential(deps.db, userId, body.ak);
      // An unknown AK costs the same hash as a wrong SK, so timing does not tell them apart.
      const verified = await verifySecret(body.sk, credential?.sk_hash ?? (await decoyHash()));
      if (credential === undefined || !verified) {
        c.get('logger').warn({ userId }, 'access token refused');
        throw badCredentials();
      }

      const now = deps.now?.() ?? new Date();
      const sessionId = crypto.randomUUID();
      const outcome = await handleCommand(
        deps.store,
        credentialStreamName(userId, body.ak),
        (events: AccessTokenEvent[]) => foldCredentialTokens(userId, body.ak, events),
        (state) =>
          decideIssueAccessToken(state, {
            sessionId,
            ttlSeconds: deps.tokenTtlSeconds,
            forceUpdate: body.force_update ?? false,
            now,
          }),
      );
      await readYourWrites(c, deps, outcome.append);
      const session = { id: sessionId, generation: 0 };
      return tokenResponse(c, deps, { userId, ak: body.ak, session }, now);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/v2/users/access-token',
      summary: 'Exchange an account login name and password for an access token',
      tag: 'Authentication',
      security: 'none',
      request: { body: passwordBody },
      response: tokenAnswer.extend({ user_id: z.string(), role: z.string() }),
    },
    async (c, { body }) => {
      const account = await findAccount(deps.db, body.login_name);
      const verified = await verifySecret(
        body.password,
        account?.password_hash ?? (await decoyHash()),
      );
      if (account === undefined || !verified) {
        c.get('logger').warn({}, 'access token refused');
        throw badPassword();
      }
      const now = deps.now?.() ?? new Date();
      const claims = { userId: account.user_id, loginName: account.login_name, role: account.role };
      const token = await deps.tokens.issueAccessToken(
        claims as AccessTokenClaims,
        deps.tokenTtlSeconds,
        now,
      );
      return c.json({
        user_id: account.user_id,
        role: account.role,
        access_token: token,
        expire_time: String(deps.tokenTtlSeconds),
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/v2/{user_id}/enterprises/access-token/refresh',
      summary: 'Replace a live access token (the Access-Token header) by a fresh one',
      tag: 'Authentication',
      security: 'access-token',
      request: { params: userIdParams },
      response: tokenAnswer,
    },
    async (c, { params }) => {
      const now = deps.now?.() ?? new Date();
      const { claims } = await authenticate(c, deps, params.user_id, now);
      if (!('ak' in claims)) return tokenResponse(c, deps, claims, now);
      if (claims.session === undefined) {
        throw new ArgusError(
          errorCodes.UNAUTHENTICATED,
          'Cannot refresh access token: it was issued before refreshing existed; log in again',
        );
      }

      const { userId, ak, session } = claims;
      const outcome = await handleCommand(
        deps.store,
        credentialStreamName(userId, ak),
        (events: AccessTokenEvent[]) => foldCredentialTokens(userId, ak, events),
        (state) =>
          decideRefreshAccessToken(state, {
            sessionId: session.id,
            generation: session.generation,
            ttlSeconds: deps.tokenTtlSeconds,
            now,
          }),
      );
      await readYourWrites(c, deps, outcome.append);
      const next = { id: session.id, generation: session.generation + 1 };
      return tokenResponse(c, deps, { userId, ak, session: next }, now);
    },
  );
  return app;
}

async function tokenResponse(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  claims: AccessTokenClaims,
  now: Date,
): Promise<Response> {
  const token = await deps.tokens.issueAccessToken(claims, deps.tokenTtlSeconds, now);
  return c.json({ access_token: token, expire_time: String(deps.tokenTtlSeconds) });
}

/**
 * Requires `Access-Token` for `/v1|v2/{user_id}/…`: a valid token of that tenant whose AK is
 * still held and whose session is live (or whose account still exists). Sets `userId` and
 * `principal`.
 */
export function requireAccessToken(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const { principal } = await authenticate(
      c,
      deps,
      c.req.param('user_id') ?? '',
      deps.now?.() ?? new Date(),
    );
    c.set('userId', principal.userId);
    c.set('principal', principal);
    await next();
  };
}

/**
 * The caller of a request for tenant `userId`, from its `Access-Token`.
 * @throws ArgusError UNAUTHENTICATED for a missing, bad, expired, revoked or replaced token;
 * FORBIDDEN for a token of another tenant
 */
async function authenticate(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  userId: string,
  now: Date,
): Promise<{ claims: AccessTokenClaims; principal: Principal }> {
  const token = c.req.header('Access-Token');
  if (token === undefined || token === '') {
    throw new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot authenticate: no Access-Token header');
  }
  const claims = await deps.tokens.verifyAccessToken(token, now);
  if (userId !== claims.userId) {
    // A grantee may reach the owner's tenant for what was shared with them only (share-access.ts).
    const shared =
      'loginName' in claims ? await sharedPrincipal(c, deps, claims, userId, now) : undefined;
    if (shared !== undefined) return { claims, principal: shared };
    throw new ArgusError(
      errorCodes.FORBIDDEN,
      `Cannot access enterprise ${userId}: not the token's`,
    );
  }
  const principal =
    'ak' in claims ? await keyPrincipal(deps, claims) : await accountPrincipal(deps, claims);
  return { claims, principal };
}

async function keyPrincipal(
  deps: ApiDeps,
  claims: Extract<AccessTokenClaims, { ak: string }>,
): Promise<Principal> {
  if ((await findCredential(deps.db, claims.userId, claims.ak)) === undefined) {
    throw new ArgusError(
      errorCodes.UNAUTHENTICATED,
      "Cannot authenticate: the token's AK is no longer valid",
    );
  }
  // Tokens signed before sessions existed name no session: they live until they expire.
  if (claims.session !== undefined) {
    const session = await findSession(deps.db, claims.session.id);
    const current =
      session !== undefined &&
      session.revoked_at === null &&
      session.user_id === claims.userId &&
      session.ak === claims.ak &&
      Number(session.generation) === claims.session.generation;
    if (!current) {
      throw new ArgusError(
        errorCodes.UNAUTHENTICATED,
        'Cannot authenticate: the token was revoked or replaced',
      );
    }
  }
  return { userId: claims.userId, role: 'ENTERPRISE_ADMIN', ak: claims.ak, deviceOrgId: '0' };
}

async function accountPrincipal(
  deps: ApiDeps,
  claims: Extract<AccessTokenClaims, { loginName: string }>,
): Promise<Principal> {
  const account = await findAccount(deps.db, claims.loginName);
  if (account === undefined || account.user_id !== claims.userId) {
    throw new ArgusError(
      errorCodes.UNAUTHENTICATED,
      "Cannot authenticate: the token's account no longer exists",
    );
  }
  // The role is read now, not from the token: a changed role applies at once.
  return {
    userId: account.user_id,
    role: account.role as Principal['role'],
    loginName: account.login_name,
    deviceOrgId: account.device_org_id,
  };
}
