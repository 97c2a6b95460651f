import { Hono } from 'hono';
import { z } from 'zod';

import { isoWithOffset, parseLocalTime } from '../../domain/local-time.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { maxUsageDays, type UsageDay } from '../../read-models/usage-days.ts';
import { dailyUsage } from '../../read-models/usage-queries.ts';
import type { Db } from '../../sql/database.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';

const tenant = z.object({ user_id: z.string() });
const time = z.string().describe('ISO 8601 with offset');
/**
 * A query string's `+` reads as a space (application/x-www-form-urlencoded): an offset sent
 * unencoded, `+08:00`, arrives as ` 08:00` and is taken as the `+` it was.
 */
const plusRestored = (text: unknown) =>
  typeof text === 'string' ? text.replace(/ (\d{2}:?\d{2})$/, '+$1') : text;

const zone = z
  .string()
  .regex(/^(Z|[+-](0\d|1[0-4]):[0-5]\d)$/, 'must be Z or an offset such as +08:00')
  .default('Z');

/** The query of a usage report, tenant's and operator's alike. */
export const usageQuery = z.object({
  granularity: z.enum(['DAY']).default('DAY'),
  start_time: z.preprocess(
    plusRestored,
    z.string().describe('ISO 8601; without an offset, in time_zone'),
  ),
  end_time: z.preprocess(
    plusRestored,
    z.string().describe('ISO 8601; without an offset, in time_zone'),
  ),
  time_zone: z
    .preprocess(plusRestored, zone)
    .describe('the offset days start at midnight in; UTC (Z) by default'),
  device_id: z
    .string()
    .regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 ID')
    .optional(),
  channel_id: z
    .string()
    .regex(/^\d{1,20}$/, 'must be 1 to 20 digits')
    .optional(),
});
type UsageQueryInput = z.output<typeof usageQuery>;

const dayAnswer = z.object({
  date: z.string().describe('YYYY-MM-DD in time_zone'),
  start_time: time,
  end_time: time,
  bytes_in: z.number().describe('RTP bytes received from devices'),
  bytes_out: z.number().describe('bytes sent to viewers'),
  peak_bandwidth_in: z.number().describe('bits per second'),
  peak_bandwidth_out: z.number().describe('bits per second'),
  average_bandwidth_in: z.number().describe('bits per second'),
  average_bandwidth_out: z.number().describe('bits per second'),
});

export const usageAnswer = z.object({
  user_id: z.string(),
  granularity: z.literal('DAY'),
  time_zone: z.string(),
  start_time: time,
  end_time: time,
  days: z.array(dayAnswer),
  channels: z.array(
    z.object({ device_id: z.string(), channel_id: z.string(), days: z.array(dayAnswer) }),
  ),
});

/** `GET /v1/{user_id}/usage`: the tenant's daily traffic and bandwidth. */
export function usageRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  defineRoute(
    app,
    registry,
    {
      tag: 'Service packages',
      security: 'access-token',
      method: 'get',
      path: '/v1/{user_id}/usage',
      summary: `Daily bytes and bandwidth, in total and per channel (at most ${maxUsageDays} days)`,
      permission: 'usage.read',
      request: { params: tenant, query: usageQuery },
      response: usageAnswer,
    },
    async (c, { query }) => c.json(await usageReport(deps.db, c.get('userId'), query)),
  );
  return app;
}

/**
 * The usage report of a tenant.
 * @throws ArgusError VALIDATION for a time that cannot be read, an end not after the start,
 * or a range of more than maxUsageDays days
 */
export async function usageReport(db: Db, userId: string, query: UsageQueryInput) {
  const offsetMinutes = zoneMinutes(query.time_zone);
  const from = readTime(query.start_time, 'start_time', offsetMinutes);
  const to = readTime(query.end_time, 'end_time', offsetMinutes);
  if (to.getTime() <= from.getTime()) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot report usage: end_time must be after start_time: ${query.end_time}`,
    );
  }
  if (to.getTime() - from.getTime() > maxUsageDays * 86_400_000) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot report usage: the range is longer than ${maxUsageDays} days`,
    );
  }

  const filter = {
    from,
    to,
    offsetMinutes,
    deviceId: query.device_id,
    channelId: query.channel_id,
  };
  const { days, channels } = await dailyUsage(db, userId, filter);
  const view = (day: UsageDay) => dayView(day, offsetMinutes);
  return {
    user_id: userId,
    granularity: 'DAY' as const,
    time_zone: query.time_zone,
    start_time: isoWithOffset(from, offsetMinutes),
    end_time: isoWithOffset(to, offsetMinutes),
    days: days.map(view),
    channels: channels.map((channel) => ({
      device_id: channel.deviceId,
      channel_id: channel.channelId,
      days: channel.days.map(view),
    })),
  };
}

function dayView(day: UsageDay, offsetMinutes: number) {
  return {
    date: day.date,
    start_time: isoWithOffset(day.from, offsetMinutes),
    end_time: isoWithOffset(day.to, offsetMinutes),
    bytes_in: day.bytesIn,
    bytes_out: day.bytesOut,
    peak_bandwidth_in: day.peakIn,
    peak_bandwidth_out: day.peakOut,
    average_bandwidth_in: day.averageIn,
    average_bandwidth_out: day.averageOut,
  };
}

function readTime(text: string, field: string, offsetMinutes: number): Date {
  const at = parseLocalTime(text, offsetMinutes);
  if (at === undefined) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot accept query: ${field} must be an ISO 8601 time: ${text.slice(0, 40)}`,
      { fields: [{ field, message: 'must be an ISO 8601 time' }] },
    );
  }
  return at;
}

function zoneMinutes(zoneText: string): number {
  if (zoneText === 'Z') return 0;
  const minutes = Number(zoneText.slice(1, 3)) * 60 + Number(zoneText.slice(4, 6));
  return zoneText.startsWith('-') ? -minutes : minutes;
}
