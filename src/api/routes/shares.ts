/**
 * Sharing a personal account's devices (issue 5, item 7):
 *
 * - `POST /v1/{user_id}/devices/{device_id}/shares` shares the device, or one channel, with
 *   another account by its login name, with permissions and an optional expiry (sharing with
 *   the same account again replaces its share); `GET …/shares` lists them and
 *   `DELETE …/shares/{login_name}` revokes one;
 * - `GET /v1/{user_id}/shared-devices` lists what was shared with the caller, with the
 *   `owner_user_id` whose paths they call (with their own token) to use it: share-access.ts.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';

import { handleCommand } from '../../domain/command-handler.ts';
import {
  decideRevokeShare,
  decideShareDevice,
  deviceSharesStreamName,
  foldDeviceShares,
  sharePermissions,
  type DeviceShareEvent,
  type DeviceShares,
} from '../../domain/device-share.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { findAccount } from '../../read-models/control-plane-queries.ts';
import { findChannelRoute, findDevice } from '../../read-models/queries.ts';
import { listDeviceShares, liveSharesWith } from '../../read-models/share-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { gbDeviceId } from './devices.ts';
import { readYourWrites } from './read-your-writes.ts';
import { apiTime } from './records.ts';

const deviceParams = z.object({ user_id: z.string(), device_id: gbDeviceId });
const loginName = z.string().min(1).max(64);

const shareBody = z.object({
  login_name: loginName.describe('the account to share with'),
  permissions: z.array(z.enum(sharePermissions)).min(1).max(sharePermissions.length),
  channel_id: gbDeviceId.optional().describe('one channel; the whole device where absent'),
  expire_time: apiTime.optional().describe('when the share ends; never where absent'),
});

const shareItem = z.object({
  device_id: z.string(),
  login_name: z.string(),
  channel_id: z.string().nullable().describe('null: the whole device'),
  permissions: z.array(z.enum(sharePermissions)),
  expire_time: z.string().nullable().describe('ISO 8601; null: never'),
  share_time: z.string(),
  share_state: z.enum(['VALID', 'EXPIRED']),
});

type ShareRow = Awaited<ReturnType<typeof listDeviceShares>>[number];

function item(row: ShareRow, now: Date): z.infer<typeof shareItem> {
  const expired = row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime();
  return {
    device_id: row.device_id,
    login_name: row.grantee_login_name,
    channel_id: row.channel_id,
    permissions: row.permissions.split(',') as z.infer<typeof shareItem>['permissions'],
    expire_time: row.expires_at,
    share_time: row.shared_at,
    share_state: expired ? 'EXPIRED' : 'VALID',
  };
}

export function shareRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const common = { tag: 'Sharing', security: 'access-token' } as const;
  const now = () => deps.now?.() ?? new Date();

  /**
   * The caller's tenant, where it is a personal account owning `deviceId`.
   * @throws ArgusError FORBIDDEN for other accounts; NOT_FOUND for a device it does not own
   */
  const ownDevice = async (c: Context<ApiEnv>, deviceId: string, action: string) => {
    const principal = c.get('principal');
    if (principal.role !== 'PERSONAL') {
      throw new ArgusError(
        errorCodes.FORBIDDEN,
        `Cannot ${action}: only personal accounts share devices`,
      );
    }
    if ((await findDevice(deps.db, principal.userId, deviceId)) === undefined) {
      throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${deviceId}`);
    }
    return principal.userId;
  };

  defineRoute(
    app,
    registry,
    {
      ...common,
      permission: 'devices.manage',
      method: 'post',
      path: '/v1/{user_id}/devices/{device_id}/shares',
      summary: 'Share a device, or one channel, with another account (at most 100 per device)',
      request: { params: deviceParams, body: shareBody },
      response: shareItem,
    },
    async (c, { params, body }) => {
      const deviceId = params.device_id;
      const ownerUserId = await ownDevice(c, deviceId, 'share device');
      const channelId = body.channel_id ?? null;
      if (
        channelId !== null &&
        (await findChannelRoute(deps.db, ownerUserId, deviceId, channelId)) === undefined
      ) {
        throw new ArgusError(
          errorCodes.NOT_FOUND,
          `Cannot share device ${deviceId}: it has no channel ${channelId}`,
        );
      }
      const grantee = await findAccount(deps.db, body.login_name);
      if (grantee === undefined) {
        throw new ArgusError(
          errorCodes.NOT_FOUND,
          `Cannot share device ${deviceId}: no account ${body.login_name}`,
        );
      }

      const at = now();
      const outcome = await handleCommand(
        deps.store,
        deviceSharesStreamName(deviceId),
        (events: DeviceShareEvent[]) => foldDeviceShares(deviceId, events),
        (state: DeviceShares) =>
          decideShareDevice(state, {
            ownerUserId,
            granteeLoginName: grantee.login_name,
            granteeUserId: grantee.user_id,
            channelId,
            permissions: body.permissions,
            expiresAt: body.expire_time?.toISOString() ?? null,
            at,
          }),
      );
      await readYourWrites(c, deps, outcome.append);
      const [event] = outcome.events;
      if (event?.type !== 'DeviceShared') throw new Error('unreachable: a share always shares');
      const { data } = event;
      return c.json({
        device_id: deviceId,
        login_name: data.granteeLoginName,
        channel_id: data.channelId,
        permissions: [...data.permissions],
        expire_time: data.expiresAt,
        share_time: data.at,
        share_state: 'VALID' as const,
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      permission: 'devices.manage',
      method: 'get',
      path: '/v1/{user_id}/devices/{device_id}/shares',
      summary: 'The accounts a device is shared with',
      request: { params: deviceParams },
      response: z.object({ total: z.number(), shares: z.array(shareItem) }),
    },
    async (c, { params }) => {
      const ownerUserId = await ownDevice(c, params.device_id, 'list shares');
      const rows = await listDeviceShares(deps.db, ownerUserId, params.device_id);
      const at = now();
      return c.json({ total: rows.length, shares: rows.map((row) => item(row, at)) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      permission: 'devices.manage',
      method: 'delete',
      path: '/v1/{user_id}/devices/{device_id}/shares/{login_name}',
      summary: 'Revoke the share of a device with an account, at once',
      request: { params: deviceParams.extend({ login_name: loginName }) },
      response: z.object({ device_id: z.string(), login_name: z.string() }),
    },
    async (c, { params }) => {
      const deviceId = params.device_id;
      const ownerUserId = await ownDevice(c, deviceId, 'revoke share');
      const outcome = await handleCommand(
        deps.store,
        deviceSharesStreamName(deviceId),
        (events: DeviceShareEvent[]) => foldDeviceShares(deviceId, events),
        (state: DeviceShares) =>
          decideRevokeShare(state, {
            ownerUserId,
            granteeLoginName: params.login_name,
            at: now(),
          }),
      );
      await readYourWrites(c, deps, outcome.append);
      return c.json({ device_id: deviceId, login_name: params.login_name });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/shared-devices',
      summary: 'The devices and channels shared with the caller, and what each allows',
      request: { params: z.object({ user_id: z.string() }), query: pageQuery },
      response: z.object({
        total: z.number(),
        devices: z.array(
          z.object({
            owner_user_id: z.string().describe('call /v1|v2/{owner_user_id}/… to use it'),
            device_id: z.string(),
            device_name: z.string(),
            channel_id: z.string().nullable().describe('null: the whole device'),
            permissions: z.array(z.enum(sharePermissions)),
            expire_time: z.string().nullable(),
            share_time: z.string(),
          }),
        ),
      }),
    },
    async (c, { query }) => {
      const { loginName: login, userId } = c.get('principal');
      // An AK/SK is no account: nothing is shared with it.
      if (login === undefined) return c.json({ total: 0, devices: [] });
      const grantee = { loginName: login, userId };
      const all = await liveSharesWith(deps.db, grantee, now());
      const page = all.slice(query.offset, query.offset + query.limit);
      return c.json({
        total: all.length,
        devices: page.map((row) => ({
          owner_user_id: row.owner_user_id,
          device_id: row.device_id,
          device_name: row.device_name,
          channel_id: row.channel_id,
          permissions: row.permissions.split(','),
          expire_time: row.expires_at,
          share_time: row.shared_at,
        })),
      });
    },
  );
  return app;
}
