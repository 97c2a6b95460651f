import { Hono } from 'hono';
import { z } from 'zod';

import { ArgusError, errorCodes } from '../../errors.ts';
import { requireEntitlement } from '../../read-models/package-queries.ts';
import { findChannelRoute } from '../../read-models/queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { departmentOrgIds } from '../department-scope.ts';
import { batchResult, describe } from '../http-errors.ts';
import { parseInput, readJson } from '../validation.ts';
import { gbDeviceId } from './devices.ts';

/** How viewers receive the stream; the URL's scheme and path follow from it. */
const liveProtocols = ['HTTP_FLV', 'HTTPS_FLV', 'WS_FLV', 'HTTP_HLS'] as const;
type LiveProtocol = (typeof liveProtocols)[number];

export const liveBody = z.object({
  channels: z
    .array(
      z.object({
        device_id: gbDeviceId,
        channel_id: gbDeviceId,
        live_protocol: z.enum(liveProtocols).default('HTTP_FLV'),
        stream_type: z.enum(['PRIMARY_STREAM', 'SECONDARY_STREAM']).default('PRIMARY_STREAM'),
        trans_protocol: z.enum(['UDP', 'TCP']).default('TCP'),
      }),
    )
    .min(1)
    .max(100),
  expire_time: z.coerce.number().int().min(1).max(86400).default(30),
});

/** `POST /v2/{user_id}/devices/channels/media/live-connections`: signed live URLs. */
export function liveRoutes(deps: ApiDeps) {
  return new Hono<ApiEnv>().post(
    '/v2/:user_id/devices/channels/media/live-connections',
    async (c) => {
      const userId = c.get('userId');
      // A department manager watches only the devices of their department and below.
      const scope = await departmentOrgIds(c, deps);
      const body = parseInput(liveBody, await readJson(c.req.raw));
      const now = deps.now?.() ?? new Date();

      const channels = [];
      for (const item of body.channels) {
        const { device_id: deviceId, channel_id: channelId } = item;
        try {
          const url = await liveUrl(deps, userId, item, body.expire_time, now, scope);
          channels.push({
            device_id: deviceId,
            channel_id: channelId,
            result: batchResult(),
            cloud_trans_connections: { live_url: url },
          });
        } catch (error) {
          c.get('logger').info(
            { deviceId, channelId, reason: describe(error) },
            'live url refused',
          );
          channels.push({ device_id: deviceId, channel_id: channelId, result: batchResult(error) });
        }
      }
      return c.json({ channels });
    },
  );
}

/**
 * A signed URL for one channel of the enterprise, to be opened within `ttlSeconds`. The token
 * carries the transport the device is asked to stream with (RTP over UDP or TCP).
 * @throws ArgusError NOT_FOUND where the enterprise has no such channel; UNAVAILABLE where it
 * cannot be played now
 */
async function liveUrl(
  deps: ApiDeps,
  userId: string,
  item: {
    device_id: string;
    channel_id: string;
    stream_type: string;
    live_protocol: LiveProtocol;
    trans_protocol: 'UDP' | 'TCP';
  },
  ttlSeconds: number,
  now: Date,
  scope?: readonly string[],
): Promise<string> {
  const { device_id: deviceId, channel_id: channelId } = item;
  const route = await findChannelRoute(deps.db, userId, deviceId, channelId);
  if (route === undefined || (scope !== undefined && !scope.includes(route.device_org_id))) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot play channel ${channelId}: not found`);
  }
  const channel = { deviceId, channelId };
  await requireEntitlement(deps.db, userId, channel, 'MANAGE', now, `play channel ${channelId}`);
  const httpUrl = playableFrom(route, channelId);
  const token = await deps.tokens.issueLive(
    { userId, deviceId, channelId, streamType: item.stream_type, transport: item.trans_protocol },
    ttlSeconds,
    now,
  );
  const query = `token=${encodeURIComponent(token)}`;
  const path = `/live/${deviceId}/${channelId}`;
  switch (item.live_protocol) {
    case 'HTTP_FLV':
      return `${httpUrl}${path}.flv?${query}`;
    case 'WS_FLV':
      return `${httpUrl.replace(/^http/, 'ws')}${path}.flv?${query}`;
    case 'HTTP_HLS':
      return `${httpUrl}${path}/index.m3u8?${query}`;
    case 'HTTPS_FLV':
      if (route.https_url === null) {
        throw new ArgusError(
          errorCodes.UNAVAILABLE,
          `Cannot play channel ${channelId} over HTTPS: TLS is not configured on its media node`,
        );
      }
      return `${route.https_url}${path}.flv?${query}`;
  }
}

/**
 * The HTTP base URL of the media node that can serve the channel now.
 * @throws ArgusError UNAVAILABLE where the device is offline, its catalog lists the channel
 * OFF, or its media node never announced where viewers reach it
 */
function playableFrom(
  route: { device_state: string; channel_state: string; http_url: string | null },
  channelId: string,
): string {
  const refuse = (reason: string) =>
    new ArgusError(errorCodes.UNAVAILABLE, `Cannot play channel ${channelId}: ${reason}`);
  if (route.device_state !== 'ONLINE') throw refuse('device offline');
  if (route.channel_state !== 'ONLINE') throw refuse('channel offline');
  if (route.http_url === null) throw refuse('its media node is unknown');
  return route.http_url;
}
