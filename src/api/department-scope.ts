/**
 * What a department manager sees of the tenant's devices: those of their department
 * (device organisation) and below. Every other role sees the whole tenant.
 */
import type { Context } from 'hono';

import { rootOrgId } from '../domain/device-org-tree.ts';
import { ArgusError, errorCodes } from '../errors.ts';
import { orgIdsWithin } from '../read-models/control-plane-queries.ts';
import type { ApiDeps, ApiEnv } from './context.ts';

/**
 * The organisations whose devices the caller sees, or undefined where that is all of them.
 */
export async function departmentOrgIds(
  c: Context<ApiEnv>,
  deps: ApiDeps,
): Promise<string[] | undefined> {
  const { role, deviceOrgId, userId } = c.get('principal');
  if (role !== 'DEPARTMENT_MANAGER' || deviceOrgId === rootOrgId) return undefined;
  return orgIdsWithin(deps.db, userId, deviceOrgId);
}

/**
 * A device outside the caller's department reads as no device at all.
 * @throws ArgusError NOT_FOUND where `deviceOrgId` is outside the caller's department
 */
export function assertDeviceInScope(
  scope: readonly string[] | undefined,
  device: { deviceId: string; deviceOrgId: string },
): void {
  if (scope === undefined || scope.includes(device.deviceOrgId)) return;
  throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${device.deviceId}`, {
    deviceId: device.deviceId,
  });
}

/**
 * Devices may be put only in an organisation of the caller's department.
 * @throws ArgusError FORBIDDEN where `deviceOrgId` is outside it
 */
export function assertOrgInScope(
  scope: readonly string[] | undefined,
  deviceOrgId: string,
  action: string,
): void {
  if (scope === undefined || scope.includes(deviceOrgId)) return;
  throw new ArgusError(
    errorCodes.FORBIDDEN,
    `Cannot ${action}: organisation ${deviceOrgId} is outside your department`,
  );
}
