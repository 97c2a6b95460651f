/**
 * What every control route needs before acting on a device: the device is the caller's
 * tenant's (the API checked, the node checks again from the device's own stream) and is
 * registered here.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { DeviceCommands } from '../gb/device-commands.ts';
import type { ControlRequest } from './control-router.ts';

const gbId = /^\d{20}$/;

/**
 * The request's `:device_id`, once it is known to be a device of the caller's tenant.
 * @throws ArgusError VALIDATION for a malformed ID, NOT_FOUND for another tenant's or none
 */
export async function ownedDeviceId(
  commands: DeviceCommands,
  request: ControlRequest,
): Promise<string> {
  const deviceId = request.params['device_id'] ?? '';
  if (!gbId.test(deviceId)) {
    throw new ArgusError(errorCodes.VALIDATION, `Cannot accept device_id: not 20 digits`);
  }
  const device = await commands.load(deviceId);
  if (!device.exists || device.userId !== request.caller.userId) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${deviceId}`);
  }
  return deviceId;
}
