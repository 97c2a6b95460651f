import { Hono, type Context } from 'hono';
import { z } from 'zod';

import { channelIdProblem } from '../../domain/channel-id.ts';
import { asDomainEvent, handleCommand } from '../../domain/command-handler.ts';
import {
  deviceOrgTreeStreamName,
  foldDeviceOrgTree,
  levelOf,
  rootOrgId,
  type DeviceOrgEvent,
  type DeviceOrgTree,
} from '../../domain/device-org-tree.ts';
import {
  decideAddDevice,
  decideChangeCredentials,
  decideDeleteDevice,
  decideEditDevice,
  foldDevice,
  requireOwned,
  type Device,
  type DeviceEvent,
} from '../../domain/device.ts';
import { assertDeviceRoom } from '../../domain/device-share.ts';
import { streamNames } from '../../event-store/event-store.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import {
  channelSortColumns,
  findChannel,
  findDevice,
  latestMediaNode,
  listChannels,
  listDevices,
} from '../../read-models/queries.ts';
import { countOwnedDevices } from '../../read-models/share-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { assertDeviceInScope, assertOrgInScope, departmentOrgIds } from '../department-scope.ts';
import { batchResult, describe } from '../http-errors.ts';
import { idempotent } from '../idempotency.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { parseInput, readJson } from '../validation.ts';
import { readYourWrites } from './read-your-writes.ts';

export const gbDeviceId = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 ID');

/** A channel of a GB/T 28181 device: 20 digits of a video channel type (channel-id.ts). */
export const gbChannelId = z.string().superRefine((value, ctx) => {
  const problem = channelIdProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const deviceOrgId = z.string().regex(/^\d{1,25}$/, 'must be 1 to 25 digits');
const deviceName = z.string().min(1).max(64);
const description = z.string().max(255);
const password = z.string().min(1).max(64);
const algorithm = z.enum(['MD5', 'SHA-256']);
const username = z.string().min(1).max(64);

export const batchAddBody = z.object({
  devices: z
    .array(
      z.object({
        device_id: gbDeviceId,
        device_name: deviceName,
        device_password: password,
        /** The digest algorithm the device answers with (GB/T 28181-2022 allows SHA-256). */
        algorithm: algorithm.optional(),
        /** The digest user name, where the device's is not its ID. */
        device_username: username.optional(),
        device_org_id: deviceOrgId
          .optional()
          .describe('its organisation; the root 0 (a department manager: their department)'),
        description: description.optional(),
      }),
    )
    .min(1)
    .max(100),
});

/** A comma-separated list of `values`: `ONLINE,OFFLINE`. */
export function csvOf(values: readonly [string, ...string[]]) {
  const one = values.join('|');
  return z
    .string()
    .regex(new RegExp(`^(${one})(,(${one}))*$`), `must be ${values.join(', ')}, comma-separated`);
}

const devicePath = z.object({ device_id: gbDeviceId });

export const channelsQuery = pageQuery.extend({
  device_id: gbDeviceId.optional(),
  channel_state: csvOf(['ONLINE', 'OFFLINE']).optional(),
  channel_name: z.string().min(1).max(128).optional().describe('names containing it'),
  sort_by: z
    .enum(Object.keys(channelSortColumns) as [keyof typeof channelSortColumns])
    .default('channel_id'),
  direction: z.enum(['ASC', 'DESC']).default('ASC'),
});

const result = z.object({ code: z.string(), msg: z.string() });
const tenant = z.object({ user_id: z.string() });
const time = z.string().describe('ISO 8601 with offset');

/** A device as `GET /devices` lists it. */
export function deviceItem(row: {
  device_id: string;
  device_name: string;
  device_state: string;
  access_protocol: string;
  channel_total: number;
  created_at: string;
  state_changed_at: string;
}) {
  return {
    device_id: row.device_id,
    device_name: row.device_name,
    device_state: row.device_state,
    access_protocol: row.access_protocol,
    channel_total: Number(row.channel_total),
    device_type: 'IPC',
    create_time: row.created_at,
    state_changed_time: row.state_changed_at,
  };
}

/** A device with its organisation and description: as an organisation lists it, and alone. */
export function orgDeviceItem(
  row: Parameters<typeof deviceItem>[0] & { device_org_id: string; description: string },
) {
  return { ...deviceItem(row), device_org_id: row.device_org_id, description: row.description };
}

/** Devices and channels of the caller's tenant (a department manager: of their department). */
export function deviceRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>()
    .post('/v1/:user_id/devices/gb/batch-add', async (c) => {
      const body = parseInput(batchAddBody, await readJson(c.req.raw));
      const answer = await idempotent(c, deps, 'gb/batch-add', body, () =>
        addDevices(c, deps, body),
      );
      return c.json(answer);
    })
    .get('/v1/:user_id/devices', async (c) => {
      const page = parseInput(pageQuery, c.req.query(), 'query');
      const scope = await departmentOrgIds(c, deps);
      const { total, rows } = await listDevices(
        deps.db,
        c.get('userId'),
        { deviceOrgIds: scope },
        page,
      );
      return c.json({ total, devices: rows.map(deviceItem) });
    })
    .get('/v1/:user_id/devices/:device_id', async (c) => {
      const { device_id: deviceId } = parseInput(devicePath, c.req.param(), 'path');
      const row = await findDevice(deps.db, c.get('userId'), deviceId);
      if (row === undefined) {
        throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${deviceId}`);
      }
      assertDeviceInScope(await departmentOrgIds(c, deps), {
        deviceId,
        deviceOrgId: row.device_org_id,
      });
      return c.json({
        ...orgDeviceItem(row),
        gb_access_state: row.gb_access_state ?? 'NOT_CONNECTED',
        gb_access_reason: row.gb_access_reason ?? 'nothing received',
        gb_last_attempt_time: row.gb_last_attempt_at ?? null,
        gb_locked_until_time: row.gb_locked_until ?? null,
      });
    })
    .get('/v1/:user_id/channels', async (c) => {
      const query = parseInput(channelsQuery, c.req.query(), 'query');
      const scope = await departmentOrgIds(c, deps);
      const { total, rows } = await listChannels(
        deps.db,
        c.get('userId'),
        {
          deviceId: query.device_id,
          deviceOrgIds: scope,
          states: query.channel_state?.split(','),
          nameContains: query.channel_name,
        },
        query,
        { sortBy: query.sort_by, direction: query.direction },
      );
      return c.json({
        total,
        channels: rows.map((row) => ({
          device_id: row.device_id,
          channel_id: row.channel_id,
          channel_name: row.channel_name,
          channel_state: row.channel_state,
          parent_id: row.parent_id,
          create_time: row.created_at,
        })),
      });
    });
  deviceManagementRoutes(app, deps, registry);
  return app;
}

/** Edit, credentials, batch delete and channel detail: routes that document themselves. */
function deviceManagementRoutes(app: Hono<ApiEnv>, deps: ApiDeps, registry: RouteRegistry) {
  const common = { tag: 'Devices', security: 'access-token' } as const;
  const params = tenant.extend({ device_id: gbDeviceId });

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'put',
      path: '/v1/{user_id}/devices/{device_id}',
      summary: 'Change the name or description of a device',
      permission: 'devices.manage',
      request: {
        params,
        body: z
          .object({ device_name: deviceName.optional(), description: description.optional() })
          .refine((b) => b.device_name !== undefined || b.description !== undefined, {
            message: 'must give device_name or description',
          }),
      },
      response: z.object({
        device_id: z.string(),
        device_name: z.string(),
        description: z.string(),
      }),
    },
    async (c, { params, body }) => {
      const at = deps.now?.() ?? new Date();
      const device = await onOwnedDevice(c, deps, params.device_id, (d, userId) =>
        decideEditDevice(d, { userId, name: body.device_name, description: body.description, at }),
      );
      return c.json({
        device_id: params.device_id,
        device_name: body.device_name ?? device.name,
        description: body.description ?? device.description,
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'put',
      path: '/v1/{user_id}/devices/{device_id}/gb-credentials',
      summary: 'Change the GB/T 28181 digest credentials the device registers with',
      permission: 'devices.manage',
      request: {
        params,
        body: z
          .object({
            device_password: password.optional(),
            algorithm: algorithm.optional(),
            device_username: username.optional(),
          })
          .refine((b) => Object.values(b).some((v) => v !== undefined), {
            message: 'must give device_password, algorithm or device_username',
          }),
      },
      response: z.object({ device_id: z.string() }),
    },
    async (c, { params, body }) => {
      const at = deps.now?.() ?? new Date();
      await onOwnedDevice(c, deps, params.device_id, (device, userId) =>
        decideChangeCredentials(device, {
          userId,
          password: body.device_password,
          algorithm: body.algorithm,
          username: body.device_username,
          at,
        }),
      );
      c.get('logger').info({ deviceId: params.device_id }, 'device credentials changed');
      return c.json({ device_id: params.device_id });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: '/v1/{user_id}/devices/batch-delete',
      summary: 'Delete devices, releasing them (per-item results)',
      permission: 'devices.manage',
      request: { params: tenant, body: z.object({ devices: z.array(gbDeviceId).min(1).max(100) }) },
      response: z.object({
        failed_num: z.number(),
        devices: z.array(z.object({ device_id: z.string(), result })),
      }),
    },
    async (c, { body }) => {
      const at = deps.now?.() ?? new Date();
      const devices = await perDevice(c, deps, body.devices, 'device not deleted', (d, userId) =>
        decideDeleteDevice(d, { userId, at }),
      );
      return c.json({ failed_num: failedNum(devices), devices });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/devices/{device_id}/channels/{channel_id}',
      summary: 'One channel of a device',
      permission: 'devices.read',
      request: { params: params.extend({ channel_id: gbChannelId }) },
      response: z.object({
        device_id: z.string(),
        device_name: z.string(),
        device_org_id: z.string(),
        channel_id: z.string(),
        channel_name: z.string(),
        channel_state: z.enum(['ONLINE', 'OFFLINE']),
        manufacturer: z.string().nullable(),
        model: z.string().nullable(),
        parent_id: z.string().nullable(),
        create_time: time,
        update_time: time,
      }),
    },
    async (c, { params }) => {
      const { device_id: deviceId, channel_id: channelId } = params;
      const row = await findChannel(deps.db, c.get('userId'), deviceId, channelId);
      const scope = await departmentOrgIds(c, deps);
      if (row === undefined || (scope !== undefined && !scope.includes(row.device_org_id))) {
        throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find channel ${channelId}`, {
          deviceId,
          channelId,
        });
      }
      return c.json({
        device_id: row.device_id,
        device_name: row.device_name,
        device_org_id: row.device_org_id,
        channel_id: row.channel_id,
        channel_name: row.channel_name,
        channel_state: row.channel_state,
        manufacturer: row.manufacturer,
        model: row.model,
        parent_id: row.parent_id,
        create_time: row.created_at,
        update_time: row.updated_at,
      });
    },
  );
}

type DeviceDecision = (device: Device, userId: string) => DeviceEvent[];

/**
 * Read → decide → append on a device of the caller's tenant and department, then waits for
 * the read models. Resolves with the device as it was before.
 * @throws ArgusError NOT_FOUND where the caller has no such device; the decider's errors
 */
export async function onOwnedDevice(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  deviceId: string,
  decide: DeviceDecision,
  scope?: readonly string[] | undefined,
): Promise<Device> {
  const userId = c.get('userId');
  const inScope = scope ?? (await departmentOrgIds(c, deps));
  let before = foldDevice(deviceId, []);
  const outcome = await handleCommand(
    deps.store,
    streamNames.device(deviceId),
    (events: DeviceEvent[]) => foldDevice(deviceId, events),
    (device) => {
      assertDeviceInScope(inScope, requireOwned(device, userId));
      before = device;
      return decide(device, userId);
    },
  );
  await readYourWrites(c, deps, outcome.append);
  return before;
}

/** A per-item result of a batch on devices. */
export interface DeviceItemResult {
  readonly device_id: string;
  readonly result: { code: string; msg: string };
}

/**
 * Runs `decide` on each device of the caller's, one after the other; an item that fails is
 * logged as `refused` and reported in its result, the others go on.
 */
export async function perDevice(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  deviceIds: readonly string[],
  refused: string,
  decide: DeviceDecision,
): Promise<DeviceItemResult[]> {
  const scope = await departmentOrgIds(c, deps);
  const results: DeviceItemResult[] = [];
  for (const deviceId of deviceIds) {
    try {
      await onOwnedDevice(c, deps, deviceId, decide, scope);
      results.push({ device_id: deviceId, result: batchResult() });
    } catch (error) {
      c.get('logger').info({ deviceId, reason: describe(error) }, refused);
      results.push({ device_id: deviceId, result: batchResult(error) });
    }
  }
  return results;
}

export function failedNum(items: readonly { result: { code: string } }[]): number {
  return items.filter((item) => item.result.code !== batchResult().code).length;
}

/** Whether the tenant has an organisation, from its stream, read once and only if needed. */
function orgChecker(deps: ApiDeps, userId: string): (orgId: string) => Promise<boolean> {
  let tree: DeviceOrgTree | undefined;
  return async (orgId) => {
    if (orgId === rootOrgId) return true;
    tree ??= foldDeviceOrgTree(
      userId,
      (await deps.store.readStream(deviceOrgTreeStreamName(userId))).map(
        asDomainEvent<DeviceOrgEvent>,
      ),
    );
    return levelOf(tree, orgId) > 0;
  };
}

/** Adds each device, in its organisation; the answer of batch-add. */
async function addDevices(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  body: z.output<typeof batchAddBody>,
): Promise<object> {
  const userId = c.get('userId');
  const now = deps.now?.() ?? new Date();
  const node = await latestMediaNode(deps.db);
  const sipServer = {
    sip_server_id: deps.sip.serverId,
    sip_server_domain: deps.sip.domain,
    sip_server_host: node?.sip_host ?? deps.sip.host,
    sip_server_port: Number(node?.sip_port ?? deps.sip.port),
  };
  const scope = await departmentOrgIds(c, deps);
  // A department manager's devices go to their department unless they say where.
  const defaultOrg = scope === undefined ? rootOrgId : c.get('principal').deviceOrgId;
  const orgExists = orgChecker(deps, userId);
  // A personal account owns at most 64 devices (device-share.ts); the 65th item is refused.
  const personal = c.get('principal').role === 'PERSONAL';
  let owned = personal ? await countOwnedDevices(deps.db, userId) : 0;

  const devices = [];
  let lastPosition = 0;
  for (const item of body.devices) {
    const orgId = item.device_org_id ?? defaultOrg;
    const outcome = await (async () => {
      if (!(await orgExists(orgId))) {
        throw new ArgusError(errorCodes.NOT_FOUND, `Cannot add device: no organisation ${orgId}`);
      }
      assertOrgInScope(scope, orgId, 'add device');
      if (personal) assertDeviceRoom(item.device_id, owned);
      return handleCommand(
        deps.store,
        streamNames.device(item.device_id),
        (events: DeviceEvent[]) => foldDevice(item.device_id, events),
        (device) =>
          decideAddDevice(device, {
            userId,
            name: item.device_name,
            password: item.device_password,
            algorithm: item.algorithm,
            username: item.device_username,
            deviceOrgId: orgId,
            description: item.description,
            at: now,
          }),
      );
    })().then(
      (result) => ({ ok: true as const, position: result.append?.lastPosition ?? 0 }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if (outcome.ok) {
      lastPosition = Math.max(lastPosition, outcome.position);
      owned += 1;
    } else
      c.get('logger').warn(
        { deviceId: item.device_id, reason: describe(outcome.error) },
        'device not added',
      );
    devices.push({
      device_id: item.device_id,
      ...sipServer,
      result: batchResult(outcome.ok ? undefined : outcome.error),
    });
  }

  // Read your writes: the list that follows this call shows the new devices.
  if (!(await deps.runner.waitFor(lastPosition))) {
    c.get('logger').warn({ position: lastPosition }, 'read models behind the devices added');
  }
  return { failed_num: failedNum(devices), devices };
}
