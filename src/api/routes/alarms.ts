/**
 * `GET /v1/{user_id}/alarms`: the alarms the enterprise's devices reported (GB/T 28181-2016
 * §9.4), newest first, by device, channel and time range. Times are answered ISO 8601 with
 * the device's offset; on input an offset is optional, a time without one being Beijing
 * time as IVM clients send it.
 */
import { Hono } from 'hono';
import { z } from 'zod';

import { BEIJING_OFFSET_MINUTES, parseLocalTime } from '../../domain/local-time.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import { listAlarms, type AlarmsTable } from '../../read-models/alarm-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { pageQuery } from '../paging.ts';
import { gbDeviceId } from './devices.ts';

const time = z
  .string()
  .describe('ISO 8601; without an offset, Beijing time (UTC+8)')
  .transform((text, ctx) => {
    const at = parseLocalTime(text, BEIJING_OFFSET_MINUTES);
    if (at === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be YYYY-MM-DDTHH:MM:SS[.mmm][offset]' });
      return z.NEVER;
    }
    return at;
  });

const alarmsQuery = pageQuery.extend({
  device_id: gbDeviceId.optional(),
  channel_id: gbDeviceId.optional(),
  start_time: time.optional(),
  end_time: time.optional(),
});

const alarm = z.object({
  alarm_id: z.string(),
  device_id: z.string(),
  channel_id: z.string().describe('the alarm source: a channel, or the device itself'),
  alarm_priority: z.number().nullable().describe('1 (most urgent) to 4'),
  alarm_method: z
    .number()
    .nullable()
    .describe('1 telephone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other'),
  alarm_type: z.number().nullable().describe('its meaning depends on alarm_method'),
  event_type: z.number().nullable(),
  alarm_time: z.string().describe('ISO 8601 with offset: the device time, else when received'),
  device_time: z.string().nullable().describe('the device time as written, where unreadable'),
  longitude: z.number().nullable(),
  latitude: z.number().nullable(),
  alarm_description: z.string().nullable(),
  receive_time: z.string(),
});

export function alarmRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/v1/{user_id}/alarms',
      summary: 'Alarms the devices reported, newest first',
      tag: 'Alarms',
      security: 'access-token',
      permission: 'devices.read',
      request: { params: z.object({ user_id: z.string() }), query: alarmsQuery },
      response: z.object({ total: z.number(), alarms: z.array(alarm) }),
    },
    async (c, { query }) => {
      const { start_time: from, end_time: to } = query;
      if (from !== undefined && to !== undefined && from > to) {
        throw new ArgusError(
          errorCodes.VALIDATION,
          'Cannot list alarms: start_time is after end_time',
        );
      }
      const filter = { deviceId: query.device_id, channelId: query.channel_id, from, to };
      const { total, rows } = await listAlarms(deps.db, c.get('userId'), filter, query);
      return c.json({ total, alarms: rows.map(alarmAnswer) });
    },
  );
  return app;
}

function alarmAnswer(row: AlarmsTable): z.infer<typeof alarm> {
  return {
    alarm_id: row.alarm_id,
    device_id: row.device_id,
    channel_id: row.channel_id,
    alarm_priority: row.priority,
    alarm_method: row.method,
    alarm_type: row.alarm_type,
    event_type: row.event_type,
    alarm_time: row.alarm_time,
    device_time: row.device_time,
    longitude: row.longitude,
    latitude: row.latitude,
    alarm_description: row.description,
    receive_time: row.received_at,
  };
}
