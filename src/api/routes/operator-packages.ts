import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';

import { verifyOperatorKey } from '../../auth/operator-key.ts';
import { randomToken } from '../../auth/secrets.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import { parseLocalTime } from '../../domain/local-time.ts';
import {
  decideGrantPackage,
  foldServicePackage,
  maxChannelQuota,
  packageTypes,
  servicePackageStreamName,
  type ServicePackageEvent,
} from '../../domain/service-package.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { controlPlaneDb } from '../../read-models/control-plane-tables.ts';
import { findPackage, listPackages } from '../../read-models/package-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { readYourWrites } from './read-your-writes.ts';
import { resourceAnswer, resourceId, resourceView } from './resources.ts';
import { usageAnswer, usageQuery, usageReport } from './usage.ts';

const tenantId = z.string().regex(/^\d{15,25}$/, 'must be 15 to 25 digits');

/**
 * The operator's calls on service packages and usage, under `/operator/`: grant a package to
 * an enterprise or personal account, list a tenant's packages, read any tenant's usage. Every
 * call sends the `Operator-Key`.
 */
export function operatorPackageRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  for (const path of ['/operator/packages', '/operator/usage']) {
    app.use(path, requireOperatorKey(deps));
  }
  const common = { tag: 'Operator', security: 'operator-key' } as const;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: '/operator/packages',
      summary: 'Grant a service package (type, channel quota, optional expiry) to a tenant',
      request: {
        body: z.object({
          user_id: tenantId,
          resource_type: z.enum(packageTypes),
          resource_name: z.string().min(1).max(64),
          channel_quota: z.number().int().min(1).max(maxChannelQuota),
          expire_time: z.string().optional().describe('ISO 8601 with offset'),
          resource_id: resourceId.optional(),
        }),
      },
      response: resourceAnswer.extend({ user_id: z.string() }),
    },
    async (c, { body }) => {
      const now = deps.now?.() ?? new Date();
      await requireTenant(deps, body.user_id);
      const id = body.resource_id ?? randomToken(16);
      const expiresAt = body.expire_time === undefined ? undefined : readExpiry(body.expire_time);
      const outcome = await handleCommand(
        deps.store,
        servicePackageStreamName(id),
        (events: ServicePackageEvent[]) => foldServicePackage(id, events),
        (state) =>
          decideGrantPackage(state, {
            userId: body.user_id,
            resourceType: body.resource_type,
            name: body.resource_name,
            channelQuota: body.channel_quota,
            expiresAt,
            at: now,
          }),
      );
      await readYourWrites(c, deps, outcome.append);
      c.get('logger').info(
        { userId: body.user_id, resourceId: id, type: body.resource_type },
        'service package granted',
      );
      const row = await findPackage(deps.db, body.user_id, id);
      if (row === undefined) {
        throw new ArgusError(
          errorCodes.UNAVAILABLE,
          `Cannot read resource ${id}: not projected yet`,
        );
      }
      return c.json({ user_id: body.user_id, ...resourceView({ ...row, used: 0 }, now) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/operator/packages',
      summary: "A tenant's service packages",
      request: { query: pageQuery.extend({ user_id: tenantId }) },
      response: z.object({ total: z.number(), resources: z.array(resourceAnswer) }),
    },
    async (c, { query }) => {
      const now = deps.now?.() ?? new Date();
      const { total, rows } = await listPackages(deps.db, query.user_id, query);
      return c.json({ total, resources: rows.map((row) => resourceView(row, now)) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/operator/usage',
      summary: "Any tenant's daily bytes and bandwidth, as GET /v1/{user_id}/usage answers it",
      request: { query: usageQuery.extend({ user_id: tenantId }) },
      response: usageAnswer,
    },
    async (c, { query }) => c.json(await usageReport(deps.db, query.user_id, query)),
  );
  return app;
}

/** @throws ArgusError NOT_FOUND where no enterprise or personal account has the ID */
async function requireTenant(deps: ApiDeps, userId: string): Promise<void> {
  const enterprise = await deps.db
    .selectFrom('enterprises')
    .select('user_id')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (enterprise !== undefined) return;
  const personal = await controlPlaneDb(deps.db)
    .selectFrom('accounts')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('kind', '=', 'PERSONAL')
    .executeTakeFirst();
  if (personal !== undefined) return;
  throw new ArgusError(
    errorCodes.NOT_FOUND,
    `Cannot grant package: no enterprise or personal account ${userId}`,
  );
}

function readExpiry(text: string): Date {
  // Zone-less times are IVM's Beijing time.
  const at = parseLocalTime(text, 480);
  if (at === undefined) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot accept request: expire_time must be an ISO 8601 time: ${text.slice(0, 40)}`,
    );
  }
  return at;
}

/**
 * Requires the operator's key on this file's paths only, so that the other operator routes
 * do not verify it twice.
 */
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
