/**
 * How a grantee reaches a device shared with them: they call the owner's own routes,
 * `/v1|v2/{owner_user_id}/…`, with their own access token, and `requireAccessToken` admits
 * them there through `sharedPrincipal` only. Why this shape rather than a route family of
 * its own: every shareable call keeps one implementation (the owner's), so a grantee gets
 * exactly the owner's behaviour, errors and package entitlement; and the whole admission is
 * decided here, in one place, before any handler runs:
 *
 * 1. the token's account still exists and holds a live (not revoked, not expired) share from
 *    that owner, of a device the owner still owns; otherwise the tenant check refuses as
 *    before;
 * 2. the request is one of `shareableRoutes` (method and path, matched literally); any other
 *    route of the owner's tenant, including every route added later, is refused: safe by
 *    default;
 * 3. every device and channel the request names (in the path, or the `channels` of the body)
 *    is covered by a share granting the route's permission.
 *
 * Shares are read per request, so a revoked or expired share is refused at once. The handler
 * then runs as the owner's tenant (`userId`) for the grantee's login (`loginName`, the holder
 * of any PTZ control lock).
 */
import type { Context } from 'hono';

import type { Principal } from '../auth/permissions.ts';
import type { SharePermission } from '../domain/device-share.ts';
import { ArgusError, errorCodes } from '../errors.ts';
import { findAccount } from '../read-models/control-plane-queries.ts';
import { liveSharesWith } from '../read-models/share-queries.ts';
import type { ApiDeps, ApiEnv } from './context.ts';

/** Where a route names the devices and channels it acts on. */
type Target = 'path' | 'body';

interface ShareableRoute {
  readonly method: string;
  readonly path: RegExp;
  readonly permission: SharePermission;
  readonly target: Target;
}

const id = '([0-9]{20})';
const channel = `/v1/[^/]+/devices/${id}/channels/${id}`;
const route = (method: string, path: string, permission: SharePermission, target: Target) => ({
  method,
  path: new RegExp(`^${path}$`),
  permission,
  target,
});

/** The owner's routes a grantee may call, with the permission each needs. */
export const shareableRoutes: readonly ShareableRoute[] = [
  route('POST', '/v2/[^/]+/devices/channels/media/live-connections', 'live', 'body'),
  route('POST', '/v2/[^/]+/devices/channels/media/playback-connections', 'playback', 'body'),
  route('GET', `/v2/[^/]+/devices/${id}/channels/${id}/media/records`, 'playback', 'path'),
  route('GET', `${channel}/control-lock`, 'ptz', 'path'),
  route('DELETE', `${channel}/control-lock`, 'ptz', 'path'),
  route('POST', `${channel}/ptz/angle-spin`, 'ptz', 'path'),
  route('GET', `${channel}/presets`, 'ptz', 'path'),
  route('POST', `${channel}/presets`, 'ptz', 'path'),
  route('POST', `${channel}/presets/[0-9]{1,3}/call`, 'ptz', 'path'),
  route('DELETE', `${channel}/presets/[0-9]{1,3}`, 'ptz', 'path'),
];

interface ChannelRef {
  readonly deviceId: string;
  readonly channelId: string;
}

/**
 * The principal of a grantee calling owner `ownerUserId`'s route, or undefined where the
 * account holds no live share from that owner (the caller then refuses as for any other
 * tenant).
 * @throws ArgusError FORBIDDEN where the route is not shareable, or a device or channel it
 * names is not shared with the account with the route's permission
 */
export async function sharedPrincipal(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  grantee: { readonly userId: string; readonly loginName: string },
  ownerUserId: string,
  now: Date,
): Promise<Principal | undefined> {
  const account = await findAccount(deps.db, grantee.loginName);
  if (account === undefined || account.user_id !== grantee.userId) return undefined;
  const shares = await liveSharesWith(deps.db, grantee, now, { ownerUserId });
  if (shares.length === 0) return undefined;

  const path = c.req.path;
  const match = shareableRoutes.find((r) => r.method === c.req.method && r.path.test(path));
  if (match === undefined) {
    throw new ArgusError(
      errorCodes.FORBIDDEN,
      `Cannot access enterprise ${ownerUserId}: only shared devices, through their live, ` +
        'playback and PTZ calls',
    );
  }
  const targets = match.target === 'path' ? pathTarget(match, path) : await bodyTargets(c);
  if (targets.length === 0) {
    throw new ArgusError(errorCodes.FORBIDDEN, 'Cannot access shared device: none is named');
  }
  for (const target of targets) {
    const covered = shares.some(
      (share) =>
        share.device_id === target.deviceId &&
        (share.channel_id === null || share.channel_id === target.channelId) &&
        share.permissions.split(',').includes(match.permission),
    );
    if (!covered) {
      throw new ArgusError(
        errorCodes.FORBIDDEN,
        `Cannot use channel ${target.channelId} of device ${target.deviceId}: ` +
          `not shared with you for ${match.permission}`,
      );
    }
  }
  return { userId: ownerUserId, role: 'PERSONAL', loginName: account.login_name, deviceOrgId: '0' };
}

function pathTarget(match: ShareableRoute, path: string): ChannelRef[] {
  const [, deviceId, channelId] = match.path.exec(path) ?? [];
  return deviceId === undefined || channelId === undefined ? [] : [{ deviceId, channelId }];
}

/** The `channels[].device_id/channel_id` of a JSON body, read from a copy for the handler. */
async function bodyTargets(c: Context<ApiEnv>): Promise<ChannelRef[]> {
  let body: unknown;
  try {
    body = await c.req.raw.clone().json();
  } catch {
    return [];
  }
  const channels = (body as { channels?: unknown } | null)?.channels;
  if (!Array.isArray(channels) || channels.length === 0) return [];
  const refs: ChannelRef[] = [];
  for (const item of channels as unknown[]) {
    const { device_id: deviceId, channel_id: channelId } = (item ?? {}) as Record<string, unknown>;
    // One item the check cannot read refuses the request: it names nothing shared.
    if (typeof deviceId !== 'string' || typeof channelId !== 'string') return [];
    refs.push({ deviceId, channelId });
  }
  return refs;
}
