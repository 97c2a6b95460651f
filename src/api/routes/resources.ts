import { Hono, type Context } from 'hono';
import { z } from 'zod';

import {
  channelKey,
  decideBatch,
  decideBindChannel,
  decideUnbindChannel,
  isExpired,
  packageTypes,
  type ChannelRef,
  type ServicePackage,
  type ServicePackageEvent,
} from '../../domain/service-package.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import {
  channelExists,
  listPackageChannels,
  listPackages,
  findPackage,
  sameTypeBindings,
} from '../../read-models/package-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { batchResult } from '../http-errors.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { operatorPackageRoutes } from './operator-packages.ts';
import { onPackage } from './package-command.ts';
import { readYourWrites } from './read-your-writes.ts';
import { usageRoutes } from './usage.ts';

const tenant = z.object({ user_id: z.string() });
const time = z.string().describe('ISO 8601 with offset');
export const resourceId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, - or _');
const result = z.object({ code: z.string(), msg: z.string() });

const bindingItem = z.object({
  device_id: z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 ID'),
  channel_id: z.string().regex(/^\d{1,20}$/, 'must be 1 to 20 digits'),
  resource_id: resourceId,
});
type BindingItem = z.output<typeof bindingItem>;
const bindingBody = z.object({ channels: z.array(bindingItem).min(1).max(100) });
const bindingAnswer = z.object({
  failed_num: z.number(),
  channels: z.array(bindingItem.extend({ result })),
});

export const resourceAnswer = z.object({
  resource_id: z.string(),
  resource_type: z.enum(packageTypes),
  resource_name: z.string(),
  channel_quota: z.number(),
  used_channel_num: z.number(),
  expire_time: time.optional(),
  resource_state: z.enum(['VALID', 'EXPIRED']),
  create_time: time,
});

/** A package row as the API answers it. */
export function resourceView(
  row: {
    resource_id: string;
    resource_type: string;
    name: string;
    channel_quota: number;
    used: number;
    expires_at: string | null;
    granted_at: string;
  },
  now: Date,
): z.output<typeof resourceAnswer> {
  const expiresAt = row.expires_at ?? undefined;
  return {
    resource_id: row.resource_id,
    resource_type: row.resource_type as z.output<typeof resourceAnswer>['resource_type'],
    resource_name: row.name,
    channel_quota: Number(row.channel_quota),
    used_channel_num: row.used,
    ...(expiresAt === undefined ? {} : { expire_time: expiresAt }),
    resource_state: isExpired({ expiresAt }, now) ? 'EXPIRED' : 'VALID',
    create_time: row.granted_at,
  };
}

/**
 * Service packages of the tenant (Huawei IVM "resources") and the binding of channels to
 * them, with usage and the operator's package calls: the routes of issue 5 items 5 and 6.
 */
export function servicePackageRoutes(deps: ApiDeps, registry: RouteRegistry) {
  return new Hono<ApiEnv>()
    .route('/', resourceRoutes(deps, registry))
    .route('/', usageRoutes(deps, registry))
    .route('/', operatorPackageRoutes(deps, registry));
}

function resourceRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const common = { tag: 'Service packages', security: 'access-token' } as const;
  const bindings = '/v1/{user_id}/devices/channels/resources';

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: bindings,
      summary: 'Bind channels to service packages (per-item results; refused past the quota)',
      permission: 'packages.manage',
      request: { params: tenant, body: bindingBody },
      response: bindingAnswer,
    },
    async (c, { body }) => bindBatch(c, deps, body.channels, 'bind'),
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'delete',
      path: bindings,
      summary: 'Unbind channels from service packages (per-item results)',
      permission: 'packages.manage',
      request: { params: tenant, body: bindingBody },
      response: bindingAnswer,
    },
    async (c, { body }) => bindBatch(c, deps, body.channels, 'unbind'),
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/resources',
      summary: "The tenant's service packages with their quota and the channels bound",
      permission: 'packages.read',
      request: { params: tenant, query: pageQuery },
      response: z.object({ total: z.number(), resources: z.array(resourceAnswer) }),
    },
    async (c, { query }) => {
      const now = deps.now?.() ?? new Date();
      const { total, rows } = await listPackages(deps.db, c.get('userId'), query);
      return c.json({ total, resources: rows.map((row) => resourceView(row, now)) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/resources/{resource_id}/channels',
      summary: 'The channels bound to one service package',
      permission: 'packages.read',
      request: { params: tenant.extend({ resource_id: resourceId }), query: pageQuery },
      response: z.object({
        total: z.number(),
        channels: z.array(
          z.object({ device_id: z.string(), channel_id: z.string(), bind_time: time }),
        ),
      }),
    },
    async (c, { params, query }) => {
      const userId = c.get('userId');
      if ((await findPackage(deps.db, userId, params.resource_id)) === undefined) {
        throw new ArgusError(
          errorCodes.NOT_FOUND,
          `Cannot list channels of resource ${params.resource_id}: not found`,
        );
      }
      const { total, rows } = await listPackageChannels(deps.db, userId, params.resource_id, query);
      const channels = rows.map((row) => ({
        device_id: row.device_id,
        channel_id: row.channel_id,
        bind_time: row.bound_at,
      }));
      return c.json({ total, channels });
    },
  );
  return app;
}

/**
 * Binds or unbinds a batch: the items of each package are decided together on its stream in
 * one append; each item gets its own result.
 */
async function bindBatch(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  items: readonly BindingItem[],
  action: 'bind' | 'unbind',
): Promise<Response> {
  const userId = c.get('userId');
  const now = deps.now?.() ?? new Date();
  const errors = new Map<BindingItem, unknown>();

  for (const [id, group] of groupByResource(items)) {
    const ready = action === 'bind' ? await checkBindable(deps, userId, id, group, errors) : group;
    if (ready.length === 0) continue;
    try {
      const outcome = await onPackage(deps, id, now, (state) =>
        decideItems(state, ready, action, userId, now),
      );
      outcome.result.forEach((error, item) => errors.set(item, error));
      await readYourWrites(c, deps, outcome.append);
    } catch (error) {
      for (const item of ready) errors.set(item, error);
    }
  }

  const channels = items.map((item) => ({ ...item, result: batchResult(errors.get(item)) }));
  c.get('logger').info(
    { action, items: items.length, failed: errors.size },
    `channels ${action === 'bind' ? 'bound to' : 'unbound from'} packages`,
  );
  return c.json({ failed_num: errors.size, channels });
}

function decideItems(
  state: ServicePackage,
  items: readonly BindingItem[],
  action: 'bind' | 'unbind',
  userId: string,
  at: Date,
): { events: ServicePackageEvent[]; result: Map<BindingItem, unknown> } {
  const decide = action === 'bind' ? decideBindChannel : decideUnbindChannel;
  const { events, errors } = decideBatch(state, items, (current, item) =>
    decide(current, { userId, channel: refOf(item), at }),
  );
  return { events, result: errors };
}

/**
 * The items whose channel exists in the tenant and is bound to no other package of the same
 * type; the others get their error in `errors`.
 */
async function checkBindable(
  deps: ApiDeps,
  userId: string,
  id: string,
  group: readonly BindingItem[],
  errors: Map<BindingItem, unknown>,
): Promise<BindingItem[]> {
  const target = await findPackage(deps.db, userId, id);
  const ready: BindingItem[] = [];
  for (const item of group) {
    const channel = refOf(item);
    if (!(await channelExists(deps.db, userId, channel))) {
      const message =
        `Cannot bind channel ${item.channel_id}: ` + `no such channel of device ${item.device_id}`;
      errors.set(item, new ArgusError(errorCodes.NOT_FOUND, message));
      continue;
    }
    const others =
      target === undefined
        ? []
        : await sameTypeBindings(deps.db, userId, {
            ...channel,
            resourceType: target.resource_type,
            resourceId: id,
          });
    const other = others[0];
    if (other !== undefined) {
      const message =
        `Cannot bind channel ${item.channel_id}: it is bound to ${target?.resource_type ?? ''} ` +
        `package "${other.name}" (resource ${other.resource_id}) already`;
      errors.set(item, new ArgusError(errorCodes.CONFLICT, message));
      continue;
    }
    ready.push(item);
  }
  return ready;
}

function groupByResource(items: readonly BindingItem[]): Map<string, BindingItem[]> {
  const groups = new Map<string, BindingItem[]>();
  for (const item of items) {
    const group = groups.get(item.resource_id) ?? [];
    // The same channel twice in one package's group is decided once.
    if (!group.some((other) => channelKey(refOf(other)) === channelKey(refOf(item)))) {
      group.push(item);
    }
    groups.set(item.resource_id, group);
  }
  return groups;
}

function refOf(item: BindingItem): ChannelRef {
  return { deviceId: item.device_id, channelId: item.channel_id };
}
