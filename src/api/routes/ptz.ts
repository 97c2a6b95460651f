/**
 * PTZ of a channel (Huawei IVM northbound shapes; GB/T 28181-2016 §A.2.3.1 DeviceControl with
 * a PTZCmd): the control lock that keeps one user at the controls, `angle-spin`, presets, and
 * guard arm/disarm of a device. Writes that move the camera need the caller's live control
 * lock, and renew it; the media node serving the device builds and sends the commands.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';

import type { Principal } from '../../auth/permissions.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import {
  controlLockStreamName,
  decideReleaseControlLock,
  decideTakeControlLock,
  decideUseControlLock,
  foldControlLock,
  type ControlLockEvent,
  type ControlLockState,
  type LockHolder,
} from '../../domain/control-lock.ts';
import { ptzDirections } from '../../domain/ptz-direction.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { MediaNodeClient } from '../../media-control/media-node-client.ts';
import { findChannelRoute } from '../../read-models/queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { gbDeviceId } from './devices.ts';

/** How long a control lock lasts unused, where ARGUS_CONTROL_LOCK_S does not say. */
export const defaultControlLockSeconds = 120;

const channelParams = z.object({
  user_id: z.string(),
  device_id: gbDeviceId,
  channel_id: gbDeviceId,
});
const presetParams = channelParams.extend({
  preset_id: z.coerce.number().int().min(1).max(255).describe('1 to 255 (GB/T 28181 §A.3.4)'),
});
const controlLock = z.string().min(1).max(64).describe('the token GET control-lock answered');
const presetAnswer = z.object({
  device_id: z.string(),
  channel_id: z.string(),
  preset_id: z.number(),
});

/**
 * The control-lock, angle-spin, preset and guard routes. Errors: CONFLICT for a lock held by
 * another or not live, NOT_FOUND for another tenant's channel, UNAVAILABLE for an offline device.
 */
export function ptzRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const nodes = new MediaNodeClient({ db: deps.db, tokens: deps.tokens });
  const locks = new ChannelLocks(deps);
  const common = { tag: 'PTZ', security: 'access-token', permission: 'ptz.control' } as const;
  const base = '/v1/{user_id}/devices/{device_id}/channels/{channel_id}';
  const callNode = (c: Context<ApiEnv>, deviceId: string, path: string, body?: unknown) =>
    nodes.call({
      userId: c.get('userId'),
      deviceId,
      method: body === undefined ? 'GET' : 'POST',
      path: `/internal/devices/${deviceId}${path}`,
      ...(body === undefined ? {} : { body }),
    });

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: `${base}/control-lock`,
      summary: 'Take (or renew) the PTZ control lock of a channel; another holder is refused',
      request: { params: channelParams },
      response: z.object({
        control_lock: z.string(),
        expire_time: z.string().describe('ISO 8601: when it ends unless used again'),
        expires_in: z.number().describe('seconds it lasts; each use renews it'),
      }),
    },
    async (c, { params }) => {
      await assertChannel(deps, c, params);
      const { lockId, expiresAt } = await locks.take(c, params);
      return c.json({
        control_lock: lockId,
        expire_time: expiresAt,
        expires_in: locks.ttlSeconds,
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'delete',
      path: `${base}/control-lock`,
      summary: 'Release the caller’s PTZ control lock of a channel at once',
      request: { params: channelParams },
      response: z.object({ released: z.boolean() }),
    },
    async (c, { params }) => {
      await assertChannel(deps, c, params);
      return c.json({ released: await locks.release(c, params) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: `${base}/ptz/angle-spin`,
      summary: 'Move, zoom, focus or iris (or stop them) with the control lock',
      request: {
        params: channelParams,
        body: z.object({
          direction: z.enum(ptzDirections),
          speed: z.number().int().min(1).max(10).default(5),
          control_lock: controlLock,
        }),
      },
      response: z.object({
        device_id: z.string(),
        channel_id: z.string(),
        direction: z.string(),
        speed: z.number(),
      }),
    },
    async (c, { params, body }) => {
      await assertChannel(deps, c, params);
      await locks.use(c, params, body.control_lock);
      const { direction, speed } = body;
      await callNode(c, params.device_id, `/channels/${params.channel_id}/ptz`, {
        direction,
        speed,
      });
      return c.json({
        device_id: params.device_id,
        channel_id: params.channel_id,
        direction,
        speed,
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      permission: 'devices.read',
      method: 'get',
      path: `${base}/presets`,
      summary: 'The presets the camera holds (PresetQuery)',
      request: { params: channelParams },
      response: z.object({
        total: z.number(),
        presets: z.array(z.object({ preset_id: z.number(), preset_name: z.string() })),
      }),
    },
    async (c, { params }) => {
      await assertChannel(deps, c, params);
      const answer = (await callNode(
        c,
        params.device_id,
        `/channels/${params.channel_id}/presets`,
      )) as { presets: { preset_id: number; preset_name: string }[] };
      return c.json({ total: answer.presets.length, presets: answer.presets });
    },
  );

  const presetWrite = async (
    c: Context<ApiEnv>,
    params: z.output<typeof presetParams>,
    lockId: string,
    action: 'set' | 'call' | 'delete',
  ) => {
    await assertChannel(deps, c, params);
    await locks.use(c, params, lockId);
    const path = `/channels/${params.channel_id}/presets/${params.preset_id}/${action}`;
    await callNode(c, params.device_id, path, {});
    return c.json({
      device_id: params.device_id,
      channel_id: params.channel_id,
      preset_id: params.preset_id,
    });
  };

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: `${base}/presets`,
      summary: 'Store the camera’s current position as a preset, with the control lock',
      request: {
        params: channelParams,
        body: z.object({
          preset_id: presetParams.shape.preset_id,
          control_lock: controlLock,
        }),
      },
      response: presetAnswer,
    },
    async (c, { params, body }) =>
      presetWrite(c, { ...params, preset_id: body.preset_id }, body.control_lock, 'set'),
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: `${base}/presets/{preset_id}/call`,
      summary: 'Turn the camera to a preset, with the control lock',
      request: { params: presetParams, body: z.object({ control_lock: controlLock }) },
      response: presetAnswer,
    },
    async (c, { params, body }) => presetWrite(c, params, body.control_lock, 'call'),
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'delete',
      path: `${base}/presets/{preset_id}`,
      summary: 'Delete a preset, with the control lock (in the query)',
      request: { params: presetParams, query: z.object({ control_lock: controlLock }) },
      response: presetAnswer,
    },
    async (c, { params, query }) => presetWrite(c, params, query.control_lock, 'delete'),
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      permission: 'devices.manage',
      method: 'post',
      path: '/v1/{user_id}/devices/{device_id}/guard',
      summary: 'Arm (SET) or disarm (RESET) the device’s alarm guard (GuardCmd)',
      request: {
        params: z.object({ user_id: z.string(), device_id: gbDeviceId }),
        body: z.object({ guard: z.enum(['SET', 'RESET']) }),
      },
      response: z.object({ device_id: z.string(), guard: z.string(), result: z.string() }),
    },
    async (c, { params, body }) => {
      const answer = (await callNode(c, params.device_id, '/guard', { guard: body.guard })) as {
        result: string;
      };
      return c.json({ device_id: params.device_id, guard: body.guard, result: answer.result });
    },
  );
  return app;
}

/** @throws ArgusError NOT_FOUND where the tenant has no such channel of the device */
async function assertChannel(
  deps: ApiDeps,
  c: Context<ApiEnv>,
  params: { device_id: string; channel_id: string },
): Promise<void> {
  const route = await findChannelRoute(
    deps.db,
    c.get('userId'),
    params.device_id,
    params.channel_id,
  );
  if (route === undefined) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot find channel ${params.channel_id} of device ${params.device_id}`,
    );
  }
}

/** Who holds a lock taken with this token: the account that logged in, or the AK. */
export function lockHolder(principal: Principal): LockHolder {
  if (principal.loginName !== undefined) {
    return { key: `login:${principal.loginName}`, name: principal.loginName };
  }
  const ak = principal.ak ?? principal.userId;
  return { key: `ak:${ak}`, name: ak };
}

/** The control-lock commands of the API, on each channel's lock stream. */
class ChannelLocks {
  readonly #deps: ApiDeps;
  readonly ttlSeconds: number;

  constructor(deps: ApiDeps) {
    this.#deps = deps;
    this.ttlSeconds = deps.controlLockSeconds ?? defaultControlLockSeconds;
  }

  async take(c: Context<ApiEnv>, params: ChannelParams) {
    const lockId = crypto.randomUUID().replaceAll('-', '');
    const [event] = await this.#decide(params, (state) =>
      decideTakeControlLock(state, { ...this.#command(c, params), lockId }),
    );
    if (event === undefined || event.type === 'ControlLockReleased') {
      throw new Error('unreachable: taking a lock always takes or renews it');
    }
    return { lockId: event.data.lockId, expiresAt: event.data.expiresAt };
  }

  /** @throws ArgusError CONFLICT where `lockId` is not the caller's live lock */
  async use(c: Context<ApiEnv>, params: ChannelParams, lockId: string): Promise<void> {
    await this.#decide(params, (state) =>
      decideUseControlLock(state, { ...this.#command(c, params), lockId }),
    );
  }

  async release(c: Context<ApiEnv>, params: ChannelParams): Promise<boolean> {
    const events = await this.#decide(params, (state) =>
      decideReleaseControlLock(state, this.#command(c, params)),
    );
    return events.length > 0;
  }

  #command(c: Context<ApiEnv>, params: ChannelParams) {
    return {
      userId: c.get('userId'),
      deviceId: params.device_id,
      channelId: params.channel_id,
      holder: lockHolder(c.get('principal')),
      ttlSeconds: this.ttlSeconds,
      now: this.#deps.now?.() ?? new Date(),
    };
  }

  async #decide(
    params: ChannelParams,
    decide: (state: ControlLockState) => ControlLockEvent[],
  ): Promise<ControlLockEvent[]> {
    const stream = controlLockStreamName(params.device_id, params.channel_id);
    const outcome = await handleCommand(this.#deps.store, stream, foldControlLock, decide);
    return outcome.events;
  }
}

interface ChannelParams {
  readonly device_id: string;
  readonly channel_id: string;
}
