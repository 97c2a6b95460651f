/**
 * PTZ, presets and guard on the media node (GB/T 28181-2016 §A.2.3.1 DeviceControl, §A.3
 * PTZCmd, §A.2.4 PresetQuery):
 *
 * - `POST /internal/devices/{device_id}/channels/{channel_id}/ptz` `{direction, speed}`
 * - `GET  /internal/devices/{device_id}/channels/{channel_id}/presets`
 * - `POST /internal/devices/{device_id}/channels/{channel_id}/presets/{index}/{set|call|delete}`
 * - `POST /internal/devices/{device_id}/guard` `{guard: SET|RESET}`
 *
 * A channel's commands carry the channel's ID in DeviceID, as devices expect of the cameras
 * behind an NVR; the MESSAGE goes to the device that registered. The control lock is the
 * API's business: these routes only speak to the device.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import {
  buildManscdpBody,
  childText,
  type ManscdpMessage,
  type XmlElement,
} from '../formats/manscdp.ts';
import {
  buildPtzCmd,
  maxPresetIndex,
  presetActions,
  ptzDirections,
  type PtzCommand,
  type PtzDirection,
} from '../formats/ptz.ts';
import type { DeviceCommands } from '../gb/device-commands.ts';
import type { GbServer } from '../gb/gb-server.ts';
import type { ControlRequest, ControlRouter } from './control-router.ts';
import { ownedDeviceId } from './device-control.ts';

/** The priority DeviceControl asks for (§A.2.3.1 `Info/ControlPriority`, 1 highest … 5). */
const controlPriority = 5;
/** How long a device gets to answer a GuardCmd or PresetQuery. */
const answerTimeoutMs = 5000;

const channelBase = '/internal/devices/:device_id/channels/:channel_id';

/** Registers the PTZ, preset and guard routes on the node's control router. */
export function ptzRoutes(
  router: ControlRouter,
  deps: { server: GbServer; commands: DeviceCommands },
): void {
  const { server } = deps;

  router.on('POST', `${channelBase}/ptz`, async (request) => {
    const { deviceId, channelId } = await ownedChannel(deps.commands, request);
    const command = directionOf(request.body);
    const ptzCmd = buildPtzCmd(command);
    await sendPtzCmd(server, deviceId, channelId, ptzCmd, `move PTZ ${command.direction}`);
    return { device_id: deviceId, channel_id: channelId, ptz_cmd: ptzCmd };
  });

  router.on('POST', `${channelBase}/presets/:index/:action`, async (request) => {
    const { deviceId, channelId } = await ownedChannel(deps.commands, request);
    const command = presetOf(request.params);
    const ptzCmd = buildPtzCmd(command);
    const what = `${command.action.toLowerCase()} preset ${command.index}`;
    await sendPtzCmd(server, deviceId, channelId, ptzCmd, what);
    return { device_id: deviceId, channel_id: channelId, ptz_cmd: ptzCmd };
  });

  router.on('GET', `${channelBase}/presets`, async (request) => {
    const { deviceId, channelId } = await ownedChannel(deps.commands, request);
    const answer = await server.queries.ask(
      deviceId,
      'PresetQuery',
      async () => {
        const sn = server.nextSn();
        const body = buildManscdpBody('Query', 'PresetQuery', sn, channelId);
        await server.sendManscdp(deviceId, body, 'query presets');
        return sn;
      },
      answerTimeoutMs,
    );
    return { device_id: deviceId, channel_id: channelId, presets: presetList(answer) };
  });

  router.on('POST', '/internal/devices/:device_id/guard', async (request) => {
    const deviceId = await ownedDeviceId(deps.commands, request);
    const guard = guardOf(request.body);
    const children: XmlElement[] = [['GuardCmd', guard === 'SET' ? 'SetGuard' : 'ResetGuard']];
    const answer = await server.queries.ask(
      deviceId,
      'DeviceControl',
      async () => {
        const sn = server.nextSn();
        const body = buildManscdpBody('Control', 'DeviceControl', sn, deviceId, children);
        await server.sendManscdp(deviceId, body, `${guard === 'SET' ? 'arm' : 'disarm'} guard`);
        return sn;
      },
      answerTimeoutMs,
    );
    const result = childText(answer.fields, 'Result') ?? '';
    if (result.toUpperCase() !== 'OK') {
      throw new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot ${guard === 'SET' ? 'arm' : 'disarm'} guard: device ${deviceId} answered ` +
          `${JSON.stringify(result.slice(0, 40))}`,
      );
    }
    return { device_id: deviceId, guard, result };
  });
}

/** A DeviceControl with a PTZCmd, which devices answer with the MESSAGE's 200 alone. */
async function sendPtzCmd(
  server: GbServer,
  deviceId: string,
  channelId: string,
  ptzCmd: string,
  what: string,
): Promise<void> {
  const children: XmlElement[] = [
    ['PTZCmd', ptzCmd],
    ['Info', [['ControlPriority', controlPriority]]],
  ];
  await server.sendManscdp(
    deviceId,
    server.manscdpBody('Control', 'DeviceControl', channelId, children),
    what,
  );
}

/**
 * The request's device, once it is the caller's, and its channel, once the device's catalog
 * lists it. @throws ArgusError VALIDATION for a malformed ID, NOT_FOUND otherwise
 */
async function ownedChannel(
  commands: DeviceCommands,
  request: ControlRequest,
): Promise<{ deviceId: string; channelId: string }> {
  const deviceId = await ownedDeviceId(commands, request);
  const channelId = request.params['channel_id'] ?? '';
  if (!/^\d{20}$/.test(channelId)) {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot accept channel_id: not 20 digits');
  }
  const device = await commands.load(deviceId);
  if (!device.channels.some((channel) => channel.channelId === channelId)) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find channel ${channelId} of ${deviceId}`);
  }
  return { deviceId, channelId };
}

/** @throws ArgusError VALIDATION naming the wrong field */
function directionOf(body: unknown): PtzCommand & { direction: PtzDirection } {
  const { direction, speed } = (body ?? {}) as { direction?: unknown; speed?: unknown };
  if (!(ptzDirections as readonly unknown[]).includes(direction)) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot move PTZ: direction must be one of ${ptzDirections.join(', ')}`,
    );
  }
  if (typeof speed !== 'number') {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot move PTZ: speed must be a number');
  }
  return { kind: 'direction', direction: direction as PtzDirection, speed };
}

/** @throws ArgusError VALIDATION for an unknown action or an index outside 1–255 */
function presetOf(params: Readonly<Record<string, string>>): PtzCommand & { kind: 'preset' } {
  const action = (params['action'] ?? '').toUpperCase();
  const index = Number(params['index']);
  const known = presetActions.find((a) => a === action);
  if (known === undefined) {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot control preset: not set, call or delete');
  }
  if (!Number.isInteger(index) || index < 1 || index > maxPresetIndex) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot control preset: the index must be from 1 to ${maxPresetIndex}`,
    );
  }
  return { kind: 'preset', action: known, index };
}

function guardOf(body: unknown): 'SET' | 'RESET' {
  const { guard } = (body ?? {}) as { guard?: unknown };
  if (guard === 'SET' || guard === 'RESET') return guard;
  throw new ArgusError(errorCodes.VALIDATION, 'Cannot control guard: guard must be SET or RESET');
}

/**
 * `<PresetList Num><Item><PresetID/><PresetName/></Item>…` (§A.2.6.9) as a list; items
 * without a numeric PresetID are skipped, a missing name reads as empty.
 */
function presetList(answer: ManscdpMessage): { preset_id: number; preset_name: string }[] {
  const list = Object.entries(answer.fields).find(([k]) => k.toLowerCase() === 'presetlist')?.[1];
  if (typeof list !== 'object' || list === null) return [];
  const items = (list as Record<string, unknown>)['Item'];
  return (Array.isArray(items) ? items : []).flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const fields = item as Record<string, unknown>;
    const id = Number(childText(fields, 'PresetID') ?? Number.NaN);
    if (!Number.isInteger(id)) return [];
    return [{ preset_id: id, preset_name: (childText(fields, 'PresetName') ?? '').trim() }];
  });
}
