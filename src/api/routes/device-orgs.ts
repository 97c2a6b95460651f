import { Hono, type Context } from 'hono';
import { z } from 'zod';

import { handleCommand } from '../../domain/command-handler.ts';
import {
  decideCreateDeviceOrg,
  decideDeleteDeviceOrg,
  decideRenameDeviceOrg,
  deviceOrgTreeStreamName,
  foldDeviceOrgTree,
  isWithin,
  maxOrgLevels,
  rootOrgId,
  type DeviceOrgEvent,
  type DeviceOrgTree,
} from '../../domain/device-org-tree.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { decideMoveDevice } from '../../domain/device.ts';
import {
  countAccountsInOrg,
  countDevicesInOrg,
  listAllOrgs,
  listSubOrgs,
  orgIdsWithin,
} from '../../read-models/control-plane-queries.ts';
import { listDevices } from '../../read-models/queries.ts';
import { orgTreeView, type OrgNode } from '../../read-models/device-org-tree-view.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { assertOrgInScope, departmentOrgIds } from '../department-scope.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { csvOf, failedNum, gbDeviceId, orgDeviceItem, perDevice } from './devices.ts';
import { readYourWrites } from './read-your-writes.ts';

const orgId = z.string().regex(/^\d{1,25}$/, 'must be 1 to 25 digits');
// Huawei IVM: digits, letters (CJK too), spaces, - and _, 1 to 50 characters.
const orgName = z
  .string()
  .regex(/^[\p{L}\p{N} _-]{1,50}$/u, 'must be 1 to 50 letters, digits, spaces, - or _');
const tenant = z.object({ user_id: z.string() });
const orgParams = tenant.extend({ device_org_id: orgId });
const time = z.string().describe('ISO 8601 with offset');

const orgAnswer = z.object({
  device_org_id: z.string(),
  device_org_name: z.string(),
  parent_org_id: z.string(),
  level: z.number().describe(`the root 0 is level 1; at most ${maxOrgLevels}`),
  create_time: time,
});

const nodeSchema: z.ZodType<OrgNode> = z.lazy(() =>
  z.object({
    device_org_id: z.string(),
    device_org_name: z.string(),
    parent_org_id: z.string(),
    level: z.number(),
    children: z.array(nodeSchema),
  }),
);

/**
 * Device organisations (Huawei IVM "device-orgs"): root `0`, up to `maxOrgLevels` levels.
 * A department manager changes only what lies below their own department.
 */
export function deviceOrgRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const base = '/v1/{user_id}/device-orgs';
  const common = { tag: 'Device organisations', security: 'access-token' } as const;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: `${base}/tree`,
      summary: 'The organisation tree, optionally only names containing device_org_name',
      permission: 'orgs.read',
      request: {
        params: tenant,
        query: z.object({ device_org_name: z.string().min(1).max(50).optional() }),
      },
      response: z.object({ device_orgs: z.array(nodeSchema) }),
    },
    async (c, { query }) => {
      const rows = await listAllOrgs(deps.db, c.get('userId'));
      return c.json({ device_orgs: orgTreeView(rows, query.device_org_name) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: `${base}/{device_org_id}/sub-orgs`,
      summary: 'The organisations directly under one (0: the root)',
      permission: 'orgs.read',
      request: { params: orgParams, query: pageQuery },
      response: z.object({ total: z.number(), device_orgs: z.array(orgAnswer) }),
    },
    async (c, { params, query }) => {
      const { total, rows } = await listSubOrgs(
        deps.db,
        c.get('userId'),
        params.device_org_id,
        query,
      );
      return c.json({
        total,
        device_orgs: rows.map((row) => ({
          device_org_id: row.device_org_id,
          device_org_name: row.device_org_name,
          parent_org_id: row.parent_org_id,
          level: Number(row.level),
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
      summary: `Create an organisation under parent_org_id (at most ${maxOrgLevels} levels)`,
      permission: 'orgs.manage',
      request: {
        params: tenant,
        body: z.object({ device_org_name: orgName, parent_org_id: orgId }),
      },
      response: z.object({ device_org_id: z.string() }),
    },
    async (c, { body }) => {
      const now = deps.now?.() ?? new Date();
      const outcome = await decideOnTree(c, deps, (tree) => {
        assertManages(c, tree, body.parent_org_id, 'create device organisation', true);
        return decideCreateDeviceOrg(tree, {
          parentOrgId: body.parent_org_id,
          name: body.device_org_name,
          at: now,
        });
      });
      const created = outcome.events.find((e) => e.type === 'DeviceOrgCreated');
      return c.json({ device_org_id: created?.data.deviceOrgId ?? '' });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'put',
      path: `${base}/{device_org_id}`,
      summary: 'Rename an organisation',
      permission: 'orgs.manage',
      request: { params: orgParams, body: z.object({ device_org_name: orgName }) },
      response: z.object({ device_org_id: z.string() }),
    },
    async (c, { params, body }) => {
      const now = deps.now?.() ?? new Date();
      const id = params.device_org_id;
      await decideOnTree(c, deps, (tree) => {
        assertManages(c, tree, id, 'rename device organisation', false);
        return decideRenameDeviceOrg(tree, {
          deviceOrgId: id,
          name: body.device_org_name,
          at: now,
        });
      });
      return c.json({ device_org_id: id });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'delete',
      path: `${base}/{device_org_id}`,
      summary: 'Delete an organisation that holds no sub-organisations, devices or users',
      permission: 'orgs.manage',
      request: { params: orgParams },
      response: z.object({ device_org_id: z.string() }),
    },
    async (c, { params }) => {
      const now = deps.now?.() ?? new Date();
      const id = params.device_org_id;
      const userId = c.get('userId');
      const members = {
        devices: await countDevicesInOrg(deps.db, userId, id),
        users: await countAccountsInOrg(deps.db, userId, id),
      };
      await decideOnTree(c, deps, (tree) => {
        assertManages(c, tree, id, 'delete device organisation', false);
        return decideDeleteDeviceOrg(tree, { deviceOrgId: id, members, at: now });
      });
      return c.json({ device_org_id: id });
    },
  );
  orgDeviceRoutes(app, deps, registry);
  return app;
}

const orgDevicesQuery = pageQuery.extend({
  device_state: csvOf(['ONLINE', 'OFFLINE', 'UNREGISTERED']).optional(),
  device_name: z.string().min(1).max(128).optional().describe('names containing it'),
  access_protocol: csvOf(['GB28181']).optional(),
  include_sub_orgs: z
    .enum(['true', 'false'])
    .default('false')
    .describe('true: also the devices of every organisation below'),
});

const batchAnswer = z.object({
  failed_num: z.number(),
  devices: z.array(
    z.object({ device_id: z.string(), result: z.object({ code: z.string(), msg: z.string() }) }),
  ),
});

/** An organisation's devices, and moving devices into one. */
function orgDeviceRoutes(app: Hono<ApiEnv>, deps: ApiDeps, registry: RouteRegistry) {
  const base = '/v1/{user_id}/device-orgs/{device_org_id}';
  const common = { tag: 'Device organisations', security: 'access-token' } as const;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: `${base}/devices`,
      summary: 'The devices of an organisation (and below it), with total and online_total',
      permission: 'devices.read',
      request: { params: orgParams, query: orgDevicesQuery },
      response: z.object({
        total: z.number(),
        online_total: z.number(),
        devices: z.array(z.object({ device_id: z.string(), device_org_id: z.string() }).loose()),
      }),
    },
    async (c, { params, query }) => {
      const userId = c.get('userId');
      await assertOrgExists(c, deps, params.device_org_id, 'list devices');
      const orgs =
        query.include_sub_orgs === 'true'
          ? await orgIdsWithin(deps.db, userId, params.device_org_id)
          : [params.device_org_id];
      const scope = await departmentOrgIds(c, deps);
      const { total, onlineTotal, rows } = await listDevices(
        deps.db,
        userId,
        {
          deviceOrgIds: scope === undefined ? orgs : orgs.filter((id) => scope.includes(id)),
          states: query.device_state?.split(','),
          protocols: query.access_protocol?.split(','),
          nameContains: query.device_name,
        },
        query,
      );
      return c.json({ total, online_total: onlineTotal, devices: rows.map(orgDeviceItem) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: `${base}/move-devices`,
      summary: 'Move devices into this organisation (per-item results)',
      permission: 'devices.manage',
      request: {
        params: orgParams,
        body: z.object({ device_ids: z.array(gbDeviceId).min(1).max(100) }),
      },
      response: batchAnswer,
    },
    async (c, { params, body }) => {
      const at = deps.now?.() ?? new Date();
      const toOrgId = params.device_org_id;
      await assertOrgExists(c, deps, toOrgId, 'move devices');
      assertOrgInScope(await departmentOrgIds(c, deps), toOrgId, 'move devices');
      const devices = await perDevice(c, deps, body.device_ids, 'device not moved', (d, userId) =>
        decideMoveDevice(d, { userId, toOrgId, at }),
      );
      return c.json({ failed_num: failedNum(devices), devices });
    },
  );
}

/** @throws ArgusError NOT_FOUND where the tenant has no such organisation (0 always exists) */
async function assertOrgExists(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  deviceOrgId: string,
  action: string,
): Promise<void> {
  if (deviceOrgId === rootOrgId) return;
  const rows = await listAllOrgs(deps.db, c.get('userId'));
  if (!rows.some((row) => row.device_org_id === deviceOrgId)) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot ${action}: no organisation ${deviceOrgId}`);
  }
}

/** Read → decide → append on the caller's tree, then wait for the read models. */
async function decideOnTree(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  decide: (tree: DeviceOrgTree) => DeviceOrgEvent[],
) {
  const userId = c.get('userId');
  const outcome = await handleCommand(
    deps.store,
    deviceOrgTreeStreamName(userId),
    (events: DeviceOrgEvent[]) => foldDeviceOrgTree(userId, events),
    decide,
  );
  await readYourWrites(c, deps, outcome.append);
  return outcome;
}

/**
 * A department manager may create under their department or below it (`orSelf`), and
 * rename or delete only what lies strictly below it.
 * @throws ArgusError FORBIDDEN otherwise
 */
function assertManages(
  c: Context<ApiEnv>,
  tree: DeviceOrgTree,
  deviceOrgId: string,
  action: string,
  orSelf: boolean,
): void {
  const { role, deviceOrgId: department } = c.get('principal');
  if (role !== 'DEPARTMENT_MANAGER' || department === rootOrgId) return;
  const inside = isWithin(tree, deviceOrgId, department);
  if (inside && (orSelf || deviceOrgId !== department)) return;
  throw new ArgusError(
    errorCodes.FORBIDDEN,
    `Cannot ${action}: ${deviceOrgId} is outside department ${department}`,
  );
}
