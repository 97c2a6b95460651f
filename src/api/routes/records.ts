/**
 * `GET /v2/{user_id}/devices/{device_id}/channels/{channel_id}/media/records`: the recordings
 * a device holds of a channel in a time range (GB/T 28181-2016 §A.2.4.5 RecordInfo), asked
 * through the media node serving it, which assembles the device's paged answer. Only
 * `record_position=DEVICE` exists: Argus keeps no recordings of its own yet. Times in are
 * ISO 8601 (without an offset, Beijing time as IVM clients send it); times out are ISO 8601
 * with the offset of the zone device times are read in (the media node's).
 */
import { Hono } from 'hono';
import { z } from 'zod';

import { BEIJING_OFFSET_MINUTES, isoWithOffset, parseLocalTime } from '../../domain/local-time.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { MediaNodeClient } from '../../media-control/media-node-client.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { gbDeviceId } from './devices.ts';

/** Longest range one listing may ask a device for. */
export const maxRecordRangeDays = 31;

/** A time the caller sends: ISO 8601, zone-less meaning Beijing time. */
export const apiTime = z
  .string()
  .describe('ISO 8601; without an offset, Beijing time (UTC+8), e.g. 2026-03-01 08:00:00')
  .transform((text, ctx) => {
    const at = parseLocalTime(text, BEIJING_OFFSET_MINUTES);
    if (at === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be YYYY-MM-DDTHH:MM:SS[.mmm][offset]' });
      return z.NEVER;
    }
    return at;
  });

/**
 * Checks a range: end after start, at most `maxDays` long.
 * @throws ArgusError VALIDATION naming end_time
 */
export function checkRange(start: Date, end: Date, maxDays: number): void {
  if (end <= start) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      'Cannot accept request: end_time is not after start_time',
      {
        fields: [{ field: 'end_time', message: 'must be after start_time' }],
      },
    );
  }
  if (end.getTime() - start.getTime() > maxDays * 86_400_000) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot accept request: the range is longer than ${maxDays} days`,
      { fields: [{ field: 'end_time', message: `must be within ${maxDays} days of start_time` }] },
    );
  }
}

const params = z.object({ user_id: z.string(), device_id: gbDeviceId, channel_id: gbDeviceId });

const recordsQuery = pageQuery.extend({
  record_position: z
    .enum(['DEVICE'])
    .default('DEVICE')
    .describe('where the recordings are: DEVICE (the camera or NVR); no platform recording yet'),
  start_time: apiTime,
  end_time: apiTime,
});

const record = z.object({
  device_id: z.string(),
  channel_id: z.string(),
  record_position: z.literal('DEVICE'),
  start_time: z.string().describe('ISO 8601 with offset'),
  end_time: z.string().describe('ISO 8601 with offset'),
  record_type: z.string().describe('as the device says: time, alarm, manual, all'),
  file_name: z.string(),
  file_path: z.string(),
  file_size: z.number().nullable().describe('bytes, where the device says'),
});

/** What the node answers (media-node/control/record-routes.ts). */
interface NodeRecords {
  readonly complete: boolean;
  readonly sum_num: number;
  readonly utc_offset_minutes: number;
  readonly records: readonly {
    readonly channel_id: string;
    readonly name: string;
    readonly file_path: string;
    readonly start_time: string;
    readonly end_time: string;
    readonly record_type: string;
    readonly file_size?: number;
  }[];
}

export function recordRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const nodes = new MediaNodeClient({ db: deps.db, tokens: deps.tokens });

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/v2/{user_id}/devices/{device_id}/channels/{channel_id}/media/records',
      summary: 'The recordings a device holds of a channel in a time range (RecordInfo)',
      tag: 'Recordings',
      security: 'access-token',
      permission: 'devices.read',
      request: { params, query: recordsQuery },
      response: z.object({
        total: z.number(),
        complete: z.boolean().describe('false where the device stopped answering part-way'),
        records: z.array(record),
      }),
    },
    async (c, { params, query }) => {
      checkRange(query.start_time, query.end_time, maxRecordRangeDays);
      const { device_id: deviceId, channel_id: channelId } = params;
      const search = new URLSearchParams({
        start_time: query.start_time.toISOString(),
        end_time: query.end_time.toISOString(),
      });
      const answer = (await nodes.call({
        userId: c.get('userId'),
        deviceId,
        method: 'GET',
        path: `/internal/devices/${deviceId}/channels/${channelId}/records?${search}`,
      })) as NodeRecords;
      const offset = answer.utc_offset_minutes;
      const time = (iso: string) => isoWithOffset(new Date(iso), offset);
      const page = answer.records.slice(query.offset, query.offset + query.limit);
      return c.json({
        total: answer.records.length,
        complete: answer.complete,
        records: page.map((r) => ({
          device_id: deviceId,
          channel_id: r.channel_id,
          record_position: 'DEVICE' as const,
          start_time: time(r.start_time),
          end_time: time(r.end_time),
          record_type: r.record_type,
          file_name: r.name,
          file_path: r.file_path,
          file_size: r.file_size ?? null,
        })),
      });
    },
  );
  return app;
}
