import { Hono } from 'hono';
import { z } from 'zod';

import { hashSecret, randomToken } from '../../auth/secrets.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import {
  decideDeleteCredential,
  decideIssueCredential,
  foldEnterprise,
  maxCredentialsPerEnterprise,
  type EnterpriseStreamEvent,
} from '../../domain/enterprise.ts';
import { maxTokensPerCredential } from '../../domain/access-token.ts';
import { streamNames } from '../../event-store/event-store.ts';
import { listCredentials } from '../../read-models/control-plane-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { readYourWrites } from './read-your-writes.ts';

const tenant = z.object({ user_id: z.string() });
const akParams = tenant.extend({ ak: z.string().min(1).max(64) });
const time = z.string().describe('ISO 8601 with offset');

/**
 * The enterprise's AK/SK pairs: at most `maxCredentialsPerEnterprise`; the SK is shown once,
 * in the answer that creates it, and stored only as a hash; deleting a pair ends its tokens.
 */
export function credentialRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const base = '/v1/{user_id}/enterprises/credentials';
  const fold = (userId: string) => (events: EnterpriseStreamEvent[]) =>
    foldEnterprise(userId, events);

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: base,
      summary:
        `List the AK/SK pairs (at most ${maxCredentialsPerEnterprise}) ` + 'with their live tokens',
      tag: 'Credentials',
      security: 'access-token',
      permission: 'credentials.manage',
      request: { params: tenant },
      response: z.object({
        total: z.number(),
        credentials: z.array(
          z.object({
            ak: z.string(),
            create_time: time,
            live_tokens: z.number().max(maxTokensPerCredential),
          }),
        ),
      }),
    },
    async (c) => {
      const rows = await listCredentials(deps.db, c.get('userId'), deps.now?.() ?? new Date());
      return c.json({
        total: rows.length,
        credentials: rows.map((r) => ({
          ak: r.ak,
          create_time: r.created_at,
          live_tokens: r.live_tokens,
        })),
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: base,
      summary: 'Create an AK/SK pair; the SK is in this answer only',
      tag: 'Credentials',
      security: 'access-token',
      permission: 'credentials.manage',
      request: { params: tenant },
      response: z.object({ ak: z.string(), sk: z.string(), create_time: time }),
    },
    async (c) => {
      const userId = c.get('userId');
      const now = deps.now?.() ?? new Date();
      const ak = randomToken(10).toUpperCase();
      const sk = randomToken(20);
      const skHash = await hashSecret(sk);
      const outcome = await handleCommand(
        deps.store,
        streamNames.enterprise(userId),
        fold(userId),
        (enterprise) => decideIssueCredential(enterprise, { ak, skHash, at: now }),
      );
      await readYourWrites(c, deps, outcome.append);
      c.get('logger').info({ userId, ak }, 'credential issued');
      return c.json({ ak, sk, create_time: now.toISOString() });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'delete',
      path: `${base}/{ak}`,
      summary: 'Delete an AK/SK pair and end its tokens',
      tag: 'Credentials',
      security: 'access-token',
      permission: 'credentials.manage',
      request: { params: akParams },
      response: z.object({ ak: z.string() }),
    },
    async (c, { params }) => {
      const userId = c.get('userId');
      const now = deps.now?.() ?? new Date();
      const outcome = await handleCommand(
        deps.store,
        streamNames.enterprise(userId),
        fold(userId),
        (enterprise) => decideDeleteCredential(enterprise, { ak: params.ak, at: now }),
      );
      await readYourWrites(c, deps, outcome.append);
      c.get('logger').info({ userId, ak: params.ak }, 'credential deleted');
      return c.json({ ak: params.ak });
    },
  );
  return app;
}
