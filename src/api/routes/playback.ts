/**
 * Playing back and downloading a device's recordings (GB/T 28181-2016 §9.8):
 *
 * - `POST /v2/{user_id}/devices/channels/media/playback-connections` answers, per channel, a
 *   URL on the media node serving the device (HTTP-FLV, WS-FLV or HLS) and the URL of the
 *   session's control API; opening the URL INVITEs the device with `s=Playback`;
 * - `POST /v2/{user_id}/devices/{device_id}/channels/{channel_id}/media/downloads` starts a
 *   download (`s=Download`) to an MP4 file on the node;
 * - `GET /v2/{user_id}/devices/{device_id}/media/downloads/{download_id}` answers its
 *   progress and, once it is complete, a signed URL of the file.
 */
import { Hono } from 'hono';
import { z } from 'zod';

import { ArgusError, errorCodes } from '../../errors.ts';
import { MediaNodeClient } from '../../media-control/media-node-client.ts';
import { findChannelRoute } from '../../read-models/queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { batchResult, describe } from '../http-errors.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { gbDeviceId } from './devices.ts';
import { apiTime, checkRange } from './records.ts';

/** How viewers receive a playback; the URL's scheme and path follow from it. */
const playbackProtocols = ['HTTP_FLV', 'WS_FLV', 'HTTP_HLS'] as const;
/** Longest range one playback or download may ask for. */
const maxPlaybackRangeDays = 1;
/** How long a finished download's URL may be used. */
const downloadUrlTtlSeconds = 3600;

const playbackBody = z.object({
  channels: z
    .array(
      z.object({
        device_id: gbDeviceId,
        channel_id: gbDeviceId,
        start_time: apiTime,
        end_time: apiTime,
        playback_protocol: z.enum(playbackProtocols).default('HTTP_FLV'),
        trans_protocol: z.enum(['UDP', 'TCP']).default('TCP'),
      }),
    )
    .min(1)
    .max(100),
  expire_time: z.coerce.number().int().min(1).max(86400).default(30),
});

const playbackAnswer = z.object({
  channels: z.array(
    z.object({
      device_id: z.string(),
      channel_id: z.string(),
      result: z.object({ code: z.string(), msg: z.string() }),
      session_id: z.string().optional(),
      playback_url: z.string().optional().describe('open within expire_time seconds'),
      control_url: z
        .string()
        .optional()
        .describe('POST {"action":"pause"|"resume"|"scale"|"seek","scale","position"}'),
    }),
  ),
});

const downloadParams = z.object({
  user_id: z.string(),
  device_id: gbDeviceId,
  channel_id: gbDeviceId,
});

const downloadBody = z.object({
  start_time: apiTime,
  end_time: apiTime,
  download_speed: z.coerce.number().int().min(1).max(8).default(4),
});

const progress = z.object({
  download_id: z.string(),
  device_id: z.string(),
  channel_id: z.string(),
  start_time: z.string(),
  end_time: z.string(),
  download_speed: z.number(),
  state: z.enum(['DOWNLOADING', 'COMPLETED', 'FAILED']),
  reason: z.string().optional().describe('why it ended: media_status_121, range_end, …'),
  bytes: z.number().describe('bytes of MP4 written'),
  media_seconds: z.number().describe('seconds of the range received'),
  percent: z.number(),
  download_url: z.string().optional().describe('the MP4 file, once COMPLETED'),
});

type Progress = Omit<z.infer<typeof progress>, 'download_url'>;

export function playbackRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const nodes = new MediaNodeClient({ db: deps.db, tokens: deps.tokens });
  const common = { tag: 'Recordings', security: 'access-token', permission: 'live.watch' } as const;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: '/v2/{user_id}/devices/channels/media/playback-connections',
      summary: 'Signed URLs that play back a range of recordings, with a control URL each',
      request: { params: z.object({ user_id: z.string() }), body: playbackBody },
      response: playbackAnswer,
    },
    async (c, { body }) => {
      const userId = c.get('userId');
      const now = deps.now?.() ?? new Date();
      const channels = [];
      for (const item of body.channels) {
        const { device_id: deviceId, channel_id: channelId } = item;
        try {
          checkRange(item.start_time, item.end_time, maxPlaybackRangeDays);
          const urls = await playbackUrls(deps, userId, item, body.expire_time, now);
          channels.push({
            device_id: deviceId,
            channel_id: channelId,
            result: batchResult(),
            ...urls,
          });
        } catch (error) {
          c.get('logger').info(
            { deviceId, channelId, reason: describe(error) },
            'playback url refused',
          );
          channels.push({ device_id: deviceId, channel_id: channelId, result: batchResult(error) });
        }
      }
      return c.json({ channels });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: '/v2/{user_id}/devices/{device_id}/channels/{channel_id}/media/downloads',
      summary: 'Starts downloading a range of recordings to an MP4 file (s=Download)',
      request: { params: downloadParams, body: downloadBody },
      response: progress,
    },
    async (c, { params, body }) => {
      checkRange(body.start_time, body.end_time, maxPlaybackRangeDays);
      const { device_id: deviceId, channel_id: channelId } = params;
      const answer = (await nodes.call({
        userId: c.get('userId'),
        deviceId,
        method: 'POST',
        path: `/internal/devices/${deviceId}/channels/${channelId}/downloads`,
        body: {
          start_time: body.start_time.toISOString(),
          end_time: body.end_time.toISOString(),
          download_speed: body.download_speed,
        },
      })) as Progress;
      return c.json(answer);
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v2/{user_id}/devices/{device_id}/media/downloads/{download_id}',
      summary: "A download's progress, and the URL of its file once complete",
      request: {
        params: z.object({
          user_id: z.string(),
          device_id: gbDeviceId,
          download_id: z.string().regex(/^[0-9A-Za-z-]{8,64}$/),
        }),
      },
      response: progress,
    },
    async (c, { params }) => {
      const userId = c.get('userId');
      const { device_id: deviceId, download_id: downloadId } = params;
      const answer = (await nodes.call({
        userId,
        deviceId,
        method: 'GET',
        path: `/internal/devices/${deviceId}/downloads/${downloadId}`,
      })) as Progress;
      if (answer.state !== 'COMPLETED') return c.json(answer);
      const url = await downloadUrl(deps, userId, answer);
      return c.json({ ...answer, download_url: url });
    },
  );
  return app;
}

/**
 * The URLs of one playback: a new session ID, signed into a token with the range.
 * @throws ArgusError NOT_FOUND where the enterprise has no such channel; UNAVAILABLE where
 *   its device is offline or its media node unknown
 */
async function playbackUrls(
  deps: ApiDeps,
  userId: string,
  item: z.infer<typeof playbackBody>['channels'][number],
  ttlSeconds: number,
  now: Date,
): Promise<{ session_id: string; playback_url: string; control_url: string }> {
  const { device_id: deviceId, channel_id: channelId } = item;
  const httpUrl = await nodeUrl(deps, userId, deviceId, channelId);
  const sessionId = crypto.randomUUID();
  const token = await deps.tokens.issuePlayback(
    {
      userId,
      deviceId,
      channelId,
      sessionId,
      transport: item.trans_protocol,
      startTime: Math.floor(item.start_time.getTime() / 1000),
      endTime: Math.ceil(item.end_time.getTime() / 1000),
    },
    ttlSeconds,
    now,
  );
  const query = `token=${encodeURIComponent(token)}`;
  const path = `/playback/${sessionId}`;
  const playbackUrl = {
    HTTP_FLV: `${httpUrl}${path}.flv?${query}`,
    WS_FLV: `${httpUrl.replace(/^http/, 'ws')}${path}.flv?${query}`,
    HTTP_HLS: `${httpUrl}${path}/index.m3u8?${query}`,
  }[item.playback_protocol];
  return {
    session_id: sessionId,
    playback_url: playbackUrl,
    control_url: `${httpUrl}${path}/control?${query}`,
  };
}

async function downloadUrl(deps: ApiDeps, userId: string, progress: Progress): Promise<string> {
  const { device_id: deviceId, channel_id: channelId, download_id: downloadId } = progress;
  const httpUrl = await nodeUrl(deps, userId, deviceId, channelId);
  const token = await deps.tokens.issueDownload(
    { userId, deviceId, downloadId },
    downloadUrlTtlSeconds,
    deps.now?.() ?? new Date(),
  );
  return `${httpUrl}/downloads/${downloadId}.mp4?token=${encodeURIComponent(token)}`;
}

/** The HTTP base URL of the media node serving the channel's device. @throws ArgusError */
async function nodeUrl(deps: ApiDeps, userId: string, deviceId: string, channelId: string) {
  const route = await findChannelRoute(deps.db, userId, deviceId, channelId);
  if (route === undefined) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find channel ${channelId}: not found`);
  }
  if (route.device_state !== 'ONLINE' || route.http_url === null) {
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot play back channel ${channelId}: device ${route.device_state.toLowerCase()}`,
    );
  }
  return route.http_url;
}
