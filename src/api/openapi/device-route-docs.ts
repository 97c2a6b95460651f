/**
 * The documentation of the device, channel and live routes (routes/devices.ts, live.ts),
 * which are plain Hono handlers: their input schemas are the ones those handlers validate
 * with; the answers are described here.
 */
import { z } from 'zod';

import { pageQuery } from '../paging.ts';
import { batchAddBody, channelsQuery, gbDeviceId } from '../routes/devices.ts';
import { liveBody } from '../routes/live.ts';
import type { RouteSpec } from './registry.ts';

const tenant = z.object({ user_id: z.string() });
const time = z.string().describe('ISO 8601 with offset');
const result = z.object({ code: z.string(), msg: z.string() });

const device = z.object({
  device_id: z.string(),
  device_name: z.string(),
  device_state: z.enum(['ONLINE', 'OFFLINE', 'UNREGISTERED']),
  access_protocol: z.string(),
  channel_total: z.number(),
  device_type: z.string(),
  create_time: time,
  state_changed_time: time,
});

const common = { tag: 'Devices', security: 'access-token' } as const;

export const deviceRouteDocs: readonly RouteSpec[] = [
  {
    ...common,
    method: 'post',
    path: '/v1/{user_id}/devices/gb/batch-add',
    summary: 'Add GB/T 28181 devices (per-item results)',
    permission: 'devices.manage',
    request: { params: tenant, body: batchAddBody },
    response: z.object({
      failed_num: z.number(),
      devices: z.array(
        z.object({
          device_id: z.string(),
          sip_server_id: z.string(),
          sip_server_domain: z.string(),
          sip_server_host: z.string(),
          sip_server_port: z.number(),
          result,
        }),
      ),
    }),
  },
  {
    ...common,
    method: 'get',
    path: '/v1/{user_id}/devices',
    summary: 'List devices a page at a time',
    permission: 'devices.read',
    request: { params: tenant, query: pageQuery },
    response: z.object({ total: z.number(), devices: z.array(device) }),
  },
  {
    ...common,
    method: 'get',
    path: '/v1/{user_id}/devices/{device_id}',
    summary: 'One device, with why it is or is not connected',
    permission: 'devices.read',
    request: { params: tenant.extend({ device_id: gbDeviceId }) },
    response: device.extend({ gb_access_state: z.string() }).loose(),
  },
  {
    ...common,
    method: 'get',
    path: '/v1/{user_id}/channels',
    summary: 'List channels, optionally of one device',
    permission: 'devices.read',
    request: { params: tenant, query: channelsQuery },
    response: z.object({
      total: z.number(),
      channels: z.array(
        z.object({
          device_id: z.string(),
          channel_id: z.string(),
          channel_name: z.string(),
          channel_state: z.enum(['ONLINE', 'OFFLINE']),
          parent_id: z.string().nullable(),
        }),
      ),
    }),
  },
  {
    ...common,
    tag: 'Live',
    method: 'post',
    path: '/v2/{user_id}/devices/channels/media/live-connections',
    summary: 'Signed live URLs of channels (per-item results)',
    permission: 'live.watch',
    request: { params: tenant, body: liveBody },
    response: z.object({
      channels: z.array(
        z.object({
          device_id: z.string(),
          channel_id: z.string(),
          result,
          cloud_trans_connections: z.object({ live_url: z.string() }).optional(),
        }),
      ),
    }),
  },
];
