import { Hono, type Context } from 'hono';
import { z } from 'zod';

import { hashSecret } from '../../auth/secrets.ts';
import {
  accountStreamName,
  decideChangePassword,
  decideChangeRole,
  decideCreateAccount,
  decideDeleteAccount,
  enterpriseRoles,
  foldAccount,
  type Account,
  type AccountEvent,
} from '../../domain/account.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import { rootOrgId } from '../../domain/device-org-tree.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { findAccount, listAccounts, listAllOrgs } from '../../read-models/control-plane-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { readYourWrites } from './read-your-writes.ts';

export const loginName = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{3,64}$/, 'must be 3 to 64 letters, digits, _ . @ or -');
export const password = z.string().min(8, 'must be at least 8 characters').max(128);
const tenant = z.object({ user_id: z.string() });
const accountParams = tenant.extend({ login_name: loginName });
const orgId = z.string().regex(/^\d{1,25}$/, 'must be 1 to 25 digits');
const role = z.enum(enterpriseRoles);

const accountAnswer = z.object({
  login_name: z.string(),
  name: z.string(),
  role: z.string(),
  device_org_id: z.string(),
  create_time: z.string().describe('ISO 8601 with offset'),
});

/**
 * The users of an enterprise: administrators manage all of them; a department manager
 * manages common users of their department and below. Login names are unique platform-wide.
 */
export function accountRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const base = '/v1/{user_id}/users';
  const common = { tag: 'Users', security: 'access-token', permission: 'accounts.manage' } as const;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: base,
      summary: 'List the users (a department manager sees their department and below)',
      request: { params: tenant, query: pageQuery },
      response: z.object({ total: z.number(), users: z.array(accountAnswer) }),
    },
    async (c, { query }) => {
      const scope = await departmentScope(c, deps);
      const { total, rows } = await listAccounts(
        deps.db,
        c.get('userId'),
        { deviceOrgIds: scope },
        query,
      );
      return c.json({
        total,
        users: rows.map((row) => ({
          login_name: row.login_name,
          name: row.display_name,
          role: row.role,
          device_org_id: row.device_org_id,
          create_time: row.created_at,
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
      path: base,
      summary: 'Create a user of the enterprise',
      request: {
        params: tenant,
        body: z.object({
          login_name: loginName,
          password,
          name: z.string().min(1).max(64),
          role: role.default('COMMON_USER'),
          device_org_id: orgId.default(rootOrgId),
        }),
      },
      response: z.object({ login_name: z.string() }),
    },
    async (c, { body }) => {
      const now = deps.now?.() ?? new Date();
      await assertAssignable(c, deps, body.role, body.device_org_id, 'create user');
      const passwordHash = await hashSecret(body.password);
      await decideOnAccount(c, deps, body.login_name, (account) =>
        decideCreateAccount(account, {
          userId: c.get('userId'),
          kind: 'ENTERPRISE',
          role: body.role,
          deviceOrgId: body.device_org_id,
          displayName: body.name,
          passwordHash,
          at: now,
        }),
      );
      return c.json({ login_name: body.login_name });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'put',
      path: `${base}/{login_name}`,
      summary: "Change a user's role or department",
      request: {
        params: accountParams,
        body: z.object({ role, device_org_id: orgId }),
      },
      response: z.object({ login_name: z.string() }),
    },
    async (c, { params, body }) => {
      const now = deps.now?.() ?? new Date();
      await assertAssignable(c, deps, body.role, body.device_org_id, 'change role');
      await assertManagesAccount(c, deps, params.login_name, 'change role');
      await decideOnAccount(c, deps, params.login_name, (account) =>
        decideChangeRole(account, {
          userId: c.get('userId'),
          role: body.role,
          deviceOrgId: body.device_org_id,
          at: now,
        }),
      );
      return c.json({ login_name: params.login_name });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'put',
      path: `${base}/{login_name}/password`,
      summary: "Set a user's password",
      request: { params: accountParams, body: z.object({ password }) },
      response: z.object({ login_name: z.string() }),
    },
    async (c, { params, body }) => {
      const now = deps.now?.() ?? new Date();
      await assertManagesAccount(c, deps, params.login_name, 'change password');
      const passwordHash = await hashSecret(body.password);
      await decideOnAccount(c, deps, params.login_name, (account) =>
        decideChangePassword(account, { userId: c.get('userId'), passwordHash, at: now }),
      );
      return c.json({ login_name: params.login_name });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'delete',
      path: `${base}/{login_name}`,
      summary: 'Delete a user; its tokens stop working',
      request: { params: accountParams },
      response: z.object({ login_name: z.string() }),
    },
    async (c, { params }) => {
      const now = deps.now?.() ?? new Date();
      await assertManagesAccount(c, deps, params.login_name, 'delete account');
      await decideOnAccount(c, deps, params.login_name, (account) =>
        decideDeleteAccount(account, { userId: c.get('userId'), at: now }),
      );
      return c.json({ login_name: params.login_name });
    },
  );
  return app;
}

/** Read → decide → append on one account's stream, then wait for the read models. */
export async function decideOnAccount(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  name: string,
  decide: (account: Account) => AccountEvent[],
) {
  const outcome = await handleCommand(
    deps.store,
    accountStreamName(name),
    (events: AccountEvent[]) => foldAccount(name, events),
    decide,
  );
  await readYourWrites(c, deps, outcome.append);
  return outcome;
}

/**
 * The organisations a department manager may manage users in (their department and below),
 * or undefined for a role that manages all of the tenant.
 */
async function departmentScope(c: Context<ApiEnv>, deps: ApiDeps): Promise<string[] | undefined> {
  const { role, deviceOrgId, userId } = c.get('principal');
  if (role !== 'DEPARTMENT_MANAGER' || deviceOrgId === rootOrgId) return undefined;
  const rows = await listAllOrgs(deps.db, userId);
  const scope = [deviceOrgId];
  // Rows come level by level, so a parent is in scope before its children are looked at.
  for (const row of rows) {
    if (scope.includes(row.parent_org_id)) scope.push(row.device_org_id);
  }
  return scope;
}

/**
 * The organisation must exist, and a department manager may give only the common user role,
 * within their department.
 * @throws ArgusError NOT_FOUND for an unknown organisation; FORBIDDEN beyond a manager's reach
 */
async function assertAssignable(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  role: string,
  deviceOrgId: string,
  action: string,
): Promise<void> {
  const rows = await listAllOrgs(deps.db, c.get('userId'));
  if (deviceOrgId !== rootOrgId && !rows.some((r) => r.device_org_id === deviceOrgId)) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot ${action}: no organisation ${deviceOrgId}`);
  }
  const scope = await departmentScope(c, deps);
  if (c.get('principal').role !== 'DEPARTMENT_MANAGER') return;
  if (role !== 'COMMON_USER' || (scope !== undefined && !scope.includes(deviceOrgId))) {
    throw new ArgusError(
      errorCodes.FORBIDDEN,
      `Cannot ${action}: a department manager assigns common users of their department only`,
    );
  }
}

/**
 * A department manager manages only common users of their department and below.
 * @throws ArgusError FORBIDDEN otherwise (NOT_FOUND comes from the decider)
 */
async function assertManagesAccount(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  name: string,
  action: string,
): Promise<void> {
  if (c.get('principal').role !== 'DEPARTMENT_MANAGER') return;
  const scope = await departmentScope(c, deps);
  const target = await findAccount(deps.db, name);
  if (target === undefined || target.user_id !== c.get('userId')) return;
  const inScope = scope === undefined || scope.includes(target.device_org_id);
  if (target.role !== 'COMMON_USER' || !inScope) {
    throw new ArgusError(
      errorCodes.FORBIDDEN,
      `Cannot ${action}: ${name} is not a common user of your department`,
    );
  }
}
