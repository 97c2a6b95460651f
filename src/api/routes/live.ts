import { Hono } from 'hono';
import { z } from 'zod';

import { ArgusError, errorCodes } from '../../errors.ts';
import { findChannelRoute } from '../../read-models/queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { batchResult } from '../http-errors.ts';
import { parseInput, readJson } from '../validation.ts';
import { gbDeviceId } from './devices.ts';

const liveBody = z.object({
  channels: z
    .array(
      z.object({
        device_id: gbDeviceId,
        channel_id: gbDeviceId,
        live_protocol: z.enum(['HTTP_FLV']).default('HTTP_FLV'),
        stream_type: z.enum(['PRIMARY_STREAM', 'SECONDARY_STREAM']).default('PRIMARY_STREAM'),
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
      const body = parseInput(liveBody, await readJson(c.req.raw));
      const now = deps.now?.() ?? new Date();

      const channels = [];
      for (const item of body.channels) {
        const { device_id: deviceId, channel_id: channelId } = item;
        try {
          const url = await liveUrl(deps, userId, item, body.expire_time, now);
          channels.push({
            device_id: deviceId,
            channel_id: channelId,
            result: batchResult(),
            cloud_trans_connections: { live_url: url },
          });
        } catch (error) {
          c.get('logger').info({ deviceId, channelId, err: error }, 'live url refused');
          channels.push({ device_id: deviceId, channel_id: channelId, result: batchResult(error) });
        }
      }
      return c.json({ channels });
    },
  );
}

async function liveUrl(
  deps: ApiDeps,
  userId: string,
  item: { device_id: string; channel_id: string; stream_type: string },
  ttlSeconds: number,
  now: Date,
): Promise<string> {
  const { device_id: deviceId, channel_id: channelId } = item;
  const route = await findChannelRoute(deps.db, userId, deviceId, channelId);
  if (route === undefined) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot play channel ${channelId}: not found`);
  }
  if (route.device_state !== 'ONLINE' || route.http_url === null) {
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot play channel ${channelId}: device offline`,
    );
  }
  const token = await deps.tokens.issueLive(
    { userId, deviceId, channelId, streamType: item.stream_type },
    ttlSeconds,
    now,
  );
  return `${route.http_url}/live/${deviceId}/${channelId}.flv?token=${encodeURIComponent(token)}`;
}
