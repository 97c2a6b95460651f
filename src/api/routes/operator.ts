import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';

import { verifyOperatorKey } from '../../auth/operator-key.ts';
import { hashSecret, randomToken } from '../../auth/secrets.ts';
import { decideCreateAccount } from '../../domain/account.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import { rootOrgId } from '../../domain/device-org-tree.ts';
import {
  decideCreateEnterpriseWithCredential,
  foldEnterprise,
  type EnterpriseStreamEvent,
} from '../../domain/enterprise.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { streamNames } from '../../event-store/event-store.ts';
import { listEnterprises } from '../../read-models/control-plane-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { decideOnAccount, loginName, password } from './accounts.ts';
import { readYourWrites } from './read-your-writes.ts';

const tenantId = z.string().regex(/^\d{15,25}$/, 'must be 15 to 25 digits');
const time = z.string().describe('ISO 8601 with offset');

/** A new tenant's ID: 20 digits, not starting with 0. */
const newTenantId = () => randomToken(20, 'digits').replace(/^0/, '1');

/**
 * The platform operator's API under `/operator/`: create enterprises (with their first AK/SK,
 * shown once) and personal accounts. Every call sends the `Operator-Key`.
 */
export function operatorRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  app.use('/operator/*', requireOperatorKey(deps));
  const common = { tag: 'Operator', security: 'operator-key' } as const;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: '/operator/enterprises',
      summary: 'Create an enterprise with its first AK/SK pair (the SK is shown once)',
      request: {
        body: z.object({ name: z.string().min(1).max(64), user_id: tenantId.optional() }),
      },
      response: z.object({
        user_id: z.string(),
        ak: z.string(),
        sk: z.string(),
        create_time: time,
      }),
    },
    async (c, { body }) => {
      const userId = body.user_id ?? newTenantId();
      const now = deps.now?.() ?? new Date();
      const ak = randomToken(10).toUpperCase();
      const sk = randomToken(20);
      const skHash = await hashSecret(sk);
      const outcome = await handleCommand(
        deps.store,
        streamNames.enterprise(userId),
        (events: EnterpriseStreamEvent[]) => foldEnterprise(userId, events),
        (enterprise) =>
          decideCreateEnterpriseWithCredential(enterprise, {
            name: body.name,
            ak,
            skHash,
            at: now,
          }),
      );
      await readYourWrites(c, deps, outcome.append);
      c.get('logger').info({ userId }, 'enterprise created');
      return c.json({ user_id: userId, ak, sk, create_time: now.toISOString() });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/operator/enterprises',
      summary: 'List the enterprises',
      request: { query: pageQuery },
      response: z.object({
        total: z.number(),
        enterprises: z.array(
          z.object({ user_id: z.string(), name: z.string(), create_time: time }),
        ),
      }),
    },
    async (c, { query }) => {
      const { total, rows } = await listEnterprises(deps.db, query);
      return c.json({
        total,
        enterprises: rows.map((r) => ({
          user_id: r.user_id,
          name: r.name,
          create_time: r.created_at,
        })),
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: '/operator/personal-accounts',
      summary: 'Create a personal account: a tenant of its own that logs in with a password',
      request: {
        body: z.object({ login_name: loginName, password, name: z.string().min(1).max(64) }),
      },
      response: z.object({ user_id: z.string(), login_name: z.string() }),
    },
    async (c, { body }) => {
      const userId = newTenantId();
      const now = deps.now?.() ?? new Date();
      const passwordHash = await hashSecret(body.password);
      await decideOnAccount(c, deps, body.login_name, (account) =>
        decideCreateAccount(account, {
          userId,
          kind: 'PERSONAL',
          role: 'PERSONAL',
          deviceOrgId: rootOrgId,
          displayName: body.name,
          passwordHash,
          at: now,
        }),
      );
      c.get('logger').info({ userId }, 'personal account created');
      return c.json({ user_id: userId, login_name: body.login_name });
    },
  );
  return app;
}

/** Requires the `Operator-Key` header to be the platform operator's key. */
function requireOperatorKey(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = c.req.header('Operator-Key') ?? '';
    if (key === '' || !(await verifyOperatorKey(deps.db, key))) {
      throw new ArgusError(
        errorCodes.UNAUTHENTICATED,
        'Cannot authenticate operator: missing or wrong Operator-Key',
      );
    }
    await next();
  };
}
