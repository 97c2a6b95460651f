/**
 * Asking a device what it is and how it is (GB/T 28181-2016 §A.2.4 DeviceInfo, DeviceStatus):
 * the API calls the media node serving the device, which queries it over SIP and answers what
 * the device said. A device that is offline, or does not answer within 10 s, gives 503.
 */
import { Hono } from 'hono';
import { z } from 'zod';

import { MediaNodeClient } from '../../media-control/media-node-client.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { gbDeviceId } from './devices.ts';

const params = z.object({ user_id: z.string(), device_id: gbDeviceId });

/** What the node answers: the Response's fields as the device named them. */
interface QueryAnswer {
  readonly device_id: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const deviceInfo = z.object({
  device_id: z.string(),
  device_name: z.string().nullable(),
  manufacturer: z.string().nullable(),
  model: z.string().nullable(),
  firmware: z.string().nullable(),
  channel_num: z.number().nullable(),
  result: z.string().nullable(),
});

const deviceStatus = z.object({
  device_id: z.string(),
  result: z.string().nullable(),
  online: z.string().nullable().describe('ONLINE or OFFLINE as the device reports itself'),
  status: z.string().nullable().describe('OK or ERROR: whether the device works normally'),
  encode: z.string().nullable(),
  record: z.string().nullable(),
  device_time: z.string().nullable(),
  alarm_status: z.array(z.object({ device_id: z.string(), duty_status: z.string() })),
});

export function deviceQueryRoutes(deps: ApiDeps, registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  const nodes = new MediaNodeClient({ db: deps.db, tokens: deps.tokens });
  const common = { tag: 'Devices', security: 'access-token', permission: 'devices.read' } as const;
  const ask = async (userId: string, deviceId: string, cmdType: string) =>
    (await nodes.call({
      userId,
      deviceId,
      method: 'POST',
      path: `/internal/devices/${deviceId}/queries/${cmdType}`,
    })) as QueryAnswer;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/devices/{device_id}/device-info',
      summary: 'What the device says it is (DeviceInfo): maker, model, firmware, channels',
      request: { params },
      response: deviceInfo,
    },
    async (c, { params }) => {
      const { fields } = await ask(c.get('userId'), params.device_id, 'DeviceInfo');
      return c.json({
        device_id: params.device_id,
        device_name: text(fields['DeviceName']),
        manufacturer: text(fields['Manufacturer']),
        model: text(fields['Model']),
        firmware: text(fields['Firmware']),
        channel_num: count(fields['Channel']),
        result: text(fields['Result']),
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/devices/{device_id}/device-status',
      summary: 'How the device says it is (DeviceStatus): working, encoding, recording, alarms',
      request: { params },
      response: deviceStatus,
    },
    async (c, { params }) => {
      const { fields } = await ask(c.get('userId'), params.device_id, 'DeviceStatus');
      return c.json({
        device_id: params.device_id,
        result: text(fields['Result']),
        online: text(fields['Online']),
        status: text(fields['Status']),
        encode: text(fields['Encode']),
        record: text(fields['Record']),
        device_time: text(fields['DeviceTime']),
        alarm_status: alarmStatus(fields['Alarmstatus'] ?? fields['AlarmStatus']),
      });
    },
  );
  return app;
}

/** A device's text field; devices write `null` literally for nothing. */
function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.toLowerCase() === 'null' ? null : trimmed;
}

function count(value: unknown): number | null {
  const number = Number(text(value) ?? Number.NaN);
  return Number.isInteger(number) && number >= 0 ? number : null;
}

/** `<Alarmstatus Num><Item><DeviceID/><DutyStatus/></Item>…` as a list. */
function alarmStatus(value: unknown): { device_id: string; duty_status: string }[] {
  if (typeof value !== 'object' || value === null) return [];
  const items = (value as Record<string, unknown>)['Item'];
  const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
  return list.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const fields = item as Record<string, unknown>;
    const deviceId = text(fields['DeviceID']);
    return deviceId === null
      ? []
      : [{ device_id: deviceId, duty_status: text(fields['DutyStatus']) ?? '' }];
  });
}
