import { Hono } from 'hono';
import { z } from 'zod';

import { handleCommand } from '../../domain/command-handler.ts';
import { decideAddDevice, foldDevice, type DeviceEvent } from '../../domain/device.ts';
import { streamNames } from '../../event-store/event-store.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import {
  findDevice,
  latestMediaNode,
  listChannels,
  listDevices,
} from '../../read-models/queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { batchResult, describe } from '../http-errors.ts';
import { parseInput, readJson } from '../validation.ts';

export const gbDeviceId = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 ID');

export const batchAddBody = z.object({
  devices: z
    .array(
      z.object({
        device_id: gbDeviceId,
        device_name: z.string().min(1).max(64),
        device_password: z.string().min(1).max(64),
        /** The digest algorithm the device answers with (GB/T 28181-2022 allows SHA-256). */
        algorithm: z.enum(['MD5', 'SHA-256']).optional(),
        /** The digest user name, where the device's is not its ID. */
        device_username: z.string().min(1).max(64).optional(),
      }),
    )
    .min(1)
    .max(100),
});

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

const devicePath = z.object({ device_id: gbDeviceId });

export const channelsQuery = pageQuery.extend({ device_id: gbDeviceId.optional() });

/** Devices and channels of the caller's enterprise. */
export function deviceRoutes(deps: ApiDeps) {
  return new Hono<ApiEnv>()
    .post('/v1/:user_id/devices/gb/batch-add', async (c) => {
      const userId = c.get('userId');
      const body = parseInput(batchAddBody, await readJson(c.req.raw));
      const now = deps.now?.() ?? new Date();
      const node = await latestMediaNode(deps.db);
      const sipServer = {
        sip_server_id: deps.sip.serverId,
        sip_server_domain: deps.sip.domain,
        sip_server_host: node?.sip_host ?? deps.sip.host,
        sip_server_port: Number(node?.sip_port ?? deps.sip.port),
      };

      const devices = [];
      let lastPosition = 0;
      for (const item of body.devices) {
        const outcome = await handleCommand(
          deps.store,
          streamNames.device(item.device_id),
          (events: DeviceEvent[]) => foldDevice(item.device_id, events),
          (device) =>
            decideAddDevice(device, {
              userId,
              name: item.device_name,
              password: item.device_password,
              algorithm: item.algorithm,
              username: item.device_username,
              at: now,
            }),
        ).then(
          (result) => ({ ok: true as const, position: result.append?.lastPosition ?? 0 }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (outcome.ok) lastPosition = Math.max(lastPosition, outcome.position);
        else
          c.get('logger').warn(
            { deviceId: item.device_id, reason: describe(outcome.error) },
            'device not added',
          );

        devices.push({
          device_id: item.device_id,
          ...sipServer,
          result: batchResult(outcome.ok ? undefined : outcome.error),
        });
      }

      // Read your writes: the list that follows this call shows the new devices.
      if (!(await deps.runner.waitFor(lastPosition))) {
        c.get('logger').warn({ position: lastPosition }, 'read models behind the devices added');
      }
      const failed = devices.filter((d) => d.result.code !== 'IVM.0').length;
      return c.json({ failed_num: failed, devices });
    })
    .get('/v1/:user_id/devices', async (c) => {
      const page = parseInput(pageQuery, c.req.query(), 'query');
      const { total, rows } = await listDevices(deps.db, c.get('userId'), page);
      return c.json({
        total,
        devices: rows.map((row) => ({
          device_id: row.device_id,
          device_name: row.device_name,
          device_state: row.device_state,
          access_protocol: row.access_protocol,
          channel_total: Number(row.channel_total),
          device_type: 'IPC',
          create_time: row.created_at,
          state_changed_time: row.state_changed_at,
        })),
      });
    })
    .get('/v1/:user_id/devices/:device_id', async (c) => {
      const { device_id: deviceId } = parseInput(devicePath, c.req.param(), 'path');
      const row = await findDevice(deps.db, c.get('userId'), deviceId);
      if (row === undefined) {
        throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${deviceId}`);
      }
      return c.json({
        device_id: row.device_id,
        device_name: row.device_name,
        device_state: row.device_state,
        access_protocol: row.access_protocol,
        channel_total: Number(row.channel_total),
        device_type: 'IPC',
        create_time: row.created_at,
        state_changed_time: row.state_changed_at,
        gb_access_state: row.gb_access_state ?? 'NOT_CONNECTED',
        gb_access_reason: row.gb_access_reason ?? 'nothing received',
        gb_last_attempt_time: row.gb_last_attempt_at ?? null,
        gb_locked_until_time: row.gb_locked_until ?? null,
      });
    })
    .get('/v1/:user_id/channels', async (c) => {
      const query = parseInput(channelsQuery, c.req.query(), 'query');
      const { total, rows } = await listChannels(
        deps.db,
        c.get('userId'),
        { deviceId: query.device_id },
        query,
      );
      return c.json({
        total,
        channels: rows.map((row) => ({
          device_id: row.device_id,
          channel_id: row.channel_id,
          channel_name: row.channel_name,
          channel_state: row.channel_state,
          parent_id: row.parent_id,
        })),
      });
    });
}
