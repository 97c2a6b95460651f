/**
 * Sharing a personal account's device, or one of its channels, with another account (issue 5,
 * item 7). Stream `device-shares-<deviceId>`: every share of a device is decided on one
 * stream, so the limit of grantees per device holds under concurrent shares by the append's
 * expected revision alone. A grantee holds at most one share of a device, keyed by login name:
 * sharing again replaces its channel, permissions and expiry.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** Most accounts one device is shared with at a time. */
export const maxGranteesPerDevice = 100;

/** Most devices a personal account owns (shares it received do not count). */
export const maxDevicesPerPersonalAccount = 64;

/** What a grantee may do with a shared device or channel. */
export const sharePermissions = ['live', 'playback', 'ptz', 'talk'] as const;
export type SharePermission = (typeof sharePermissions)[number];

export interface ShareGrant {
  readonly deviceId: string;
  /** The tenant that owned the device when it shared it. */
  readonly ownerUserId: string;
  readonly granteeLoginName: string;
  /** The grantee's tenant when shared: a login name taken again later is someone else. */
  readonly granteeUserId: string;
  /** One channel; null for the whole device. */
  readonly channelId: string | null;
  readonly permissions: readonly SharePermission[];
  /** ISO 8601; null where the share does not expire. */
  readonly expiresAt: string | null;
}

/** A share as the stream holds it: the grant and when it was last given. */
export interface HeldShare extends ShareGrant {
  readonly sharedAt: string;
}

export type DeviceShareEvent =
  | { type: 'DeviceShared'; data: ShareGrant & { at: string } }
  | {
      type: 'DeviceShareRevoked';
      data: { deviceId: string; ownerUserId: string; granteeLoginName: string; at: string };
    };

export interface DeviceShares {
  readonly deviceId: string;
  /** Live and expired shares by grantee login name. */
  readonly grants: ReadonlyMap<string, HeldShare>;
}

/** The stream of the shares of device `deviceId`. */
export function deviceSharesStreamName(deviceId: string): string {
  return `device-shares-${deviceId}`;
}

export function evolveDeviceShares(state: DeviceShares, event: DeviceShareEvent): DeviceShares {
  const grants = new Map(state.grants);
  switch (event.type) {
    case 'DeviceShared': {
      const { at, ...grant } = event.data;
      grants.set(grant.granteeLoginName, { ...grant, sharedAt: at });
      break;
    }
    case 'DeviceShareRevoked':
      grants.delete(event.data.granteeLoginName);
      break;
  }
  return { ...state, grants };
}

export function foldDeviceShares(
  deviceId: string,
  events: readonly DeviceShareEvent[],
): DeviceShares {
  return events.reduce(evolveDeviceShares, { deviceId, grants: new Map() });
}

/** True where `grant` is of owner `ownerUserId` and not expired at `now`. */
export function isLiveGrant(grant: ShareGrant, ownerUserId: string, now: Date): boolean {
  return (
    grant.ownerUserId === ownerUserId &&
    (grant.expiresAt === null || Date.parse(grant.expiresAt) > now.getTime())
  );
}

/**
 * Shares the device (or one channel) with an account, or replaces that account's share.
 * Shares of an earlier owner of the device and expired ones do not count towards the limit.
 * @throws ArgusError VALIDATION where the grantee is of the owner's own tenant, no permission
 * is given or the expiry is not in the future; CONFLICT where the device is shared with
 * `maxGranteesPerDevice` other accounts already
 */
export function decideShareDevice(
  state: DeviceShares,
  command: Omit<ShareGrant, 'deviceId'> & { at: Date },
): DeviceShareEvent[] {
  const { at, ...grant } = command;
  const refuse = (reason: string) =>
    new ArgusError(errorCodes.VALIDATION, `Cannot share device ${state.deviceId}: ${reason}`);
  if (grant.granteeUserId === grant.ownerUserId) throw refuse('the account is your own');
  if (grant.permissions.length === 0) throw refuse('no permission given');
  if (grant.expiresAt !== null && Date.parse(grant.expiresAt) <= at.getTime()) {
    throw refuse(`expire_time ${grant.expiresAt} is not in the future`);
  }

  const others = [...state.grants.values()].filter(
    (g) => g.granteeLoginName !== grant.granteeLoginName && isLiveGrant(g, grant.ownerUserId, at),
  );
  if (others.length >= maxGranteesPerDevice) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot share device ${state.deviceId}: it is shared with ${others.length} accounts, ` +
        `the limit is ${maxGranteesPerDevice}; revoke one first`,
      { deviceId: state.deviceId, limit: maxGranteesPerDevice },
    );
  }
  const permissions = sharePermissions.filter((p) => grant.permissions.includes(p));
  return [
    {
      type: 'DeviceShared',
      data: { ...grant, deviceId: state.deviceId, permissions, at: at.toISOString() },
    },
  ];
}

/**
 * Ends the share of `granteeLoginName`.
 * @throws ArgusError NOT_FOUND where the owner has shared the device with no such account
 */
export function decideRevokeShare(
  state: DeviceShares,
  command: { ownerUserId: string; granteeLoginName: string; at: Date },
): DeviceShareEvent[] {
  const grant = state.grants.get(command.granteeLoginName);
  if (grant === undefined || grant.ownerUserId !== command.ownerUserId) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot revoke share: device ${state.deviceId} ` +
        `is not shared with ${command.granteeLoginName}`,
    );
  }
  return [
    {
      type: 'DeviceShareRevoked',
      data: {
        deviceId: state.deviceId,
        ownerUserId: command.ownerUserId,
        granteeLoginName: command.granteeLoginName,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * A personal account may add one more device only while it owns fewer than
 * `maxDevicesPerPersonalAccount`.
 * @throws ArgusError CONFLICT naming the limit otherwise
 */
export function assertDeviceRoom(deviceId: string, ownedDevices: number): void {
  if (ownedDevices < maxDevicesPerPersonalAccount) return;
  throw new ArgusError(
    errorCodes.CONFLICT,
    `Cannot add device ${deviceId}: a personal account holds at most ` +
      `${maxDevicesPerPersonalAccount} devices; delete one first`,
    { deviceId, limit: maxDevicesPerPersonalAccount },
  );
}
