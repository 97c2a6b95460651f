/**
 * `POST /internal/devices/{device_id}/queries/{cmd_type}`: asks the device a MANSCDP query
 * that takes no argument (DeviceInfo, DeviceStatus; GB/T 28181-2016 §A.2.4) and answers the
 * fields of its Response, as the device named them.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { DeviceCommands } from '../gb/device-commands.ts';
import type { GbServer } from '../gb/gb-server.ts';
import type { ControlRouter } from './control-router.ts';
import { ownedDeviceId } from './device-control.ts';

/** The queries this route asks; others (RecordInfo, PresetQuery) have routes of their own. */
export const plainQueries = ['DeviceInfo', 'DeviceStatus', 'ConfigDownload'] as const;

/** What the platform's own fields are: not part of what the device reports. */
const envelope = new Set(['CmdType', 'SN', 'DeviceID']);

export function deviceQueryRoutes(
  router: ControlRouter,
  deps: { server: GbServer; commands: DeviceCommands },
): void {
  router.on('POST', '/internal/devices/:device_id/queries/:cmd_type', async (request) => {
    const deviceId = await ownedDeviceId(deps.commands, request);
    const cmdType = request.params['cmd_type'] ?? '';
    if (!(plainQueries as readonly string[]).includes(cmdType)) {
      throw new ArgusError(
        errorCodes.VALIDATION,
        `Cannot query ${cmdType}: not one of ${plainQueries.join(', ')}`,
      );
    }
    const answer = await deps.server.query(deviceId, cmdType);
    const fields = Object.fromEntries(
      Object.entries(answer.fields).filter(([name]) => !envelope.has(name)),
    );
    return { device_id: deviceId, cmd_type: cmdType, fields };
  });
}
