/**
 * The GB/T 28181 device aggregate: stream `device-<deviceId>`. Deciders take the folded state
 * and a command and return the events to append; they touch no storage.
 */
import { ArgusError, errorCodes } from '../errors.ts';
import { rootOrgId } from './device-org-tree.ts';

export type DeviceState = 'UNREGISTERED' | 'ONLINE' | 'OFFLINE';

/** The digest algorithm a device answers challenges with (RFC 3261 §22.4, RFC 8760). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/**
 * Why a device is or is not connected, as the API reports it: nothing received yet (or, once
 * offline, nothing any more), a REGISTER without credentials, credentials refused, a catalog
 * that could not be fetched, or connected.
 */
export type GbAccessState =
  | 'NOT_CONNECTED'
  | 'NO_AUTHENTICATION_INFO'
  | 'AUTHENTICATION_FAILED'
  | 'CATALOG_ERROR'
  | 'CONNECTED';

/** Why a device went offline (GB/T 28181-2016 §9.6); `unregistered` is its own event. */
export type OfflineReason = 'keepalive_timeout' | 'registration_expired' | 'connection_closed';

/**
 * A repeated attempt ending in the same access state and reason is recorded again only after
 * this long: a device retrying a wrong password every second appends one event a minute.
 */
export const ACCESS_ATTEMPT_RECORD_INTERVAL_MS = 60_000;

export interface ChannelInfo {
  readonly channelId: string;
  readonly name: string;
  readonly status: 'ON' | 'OFF';
  readonly manufacturer?: string;
  readonly model?: string;
  readonly parentId?: string;
}

/** How a viewer received a live stream. */
export type ViewerProtocol = 'HTTP_FLV' | 'WS_FLV' | 'HTTP_HLS';

/** What one viewer was sent within a usage period, and for how long it watched in it. */
export interface ViewerUsage {
  readonly protocol: ViewerProtocol;
  readonly bytesOut: number;
  readonly seconds: number;
}

/**
 * One live stream's traffic over the period `from`–`to` (ISO 8601): RTP bytes received from
 * the device, and each viewer's bytes and seconds. Periods of one call follow each other.
 */
export interface StreamUsage {
  readonly deviceId: string;
  readonly channelId: string;
  readonly callId: string;
  readonly bytesIn: number;
  readonly viewers: readonly ViewerUsage[];
  readonly from: string;
  readonly to: string;
}

export type DeviceEvent =
  | {
      type: 'DeviceAdded';
      data: {
        deviceId: string;
        userId: string;
        name: string;
        password: string;
        /** MD5 where absent (devices added before the field existed). */
        algorithm?: DigestAlgorithm;
        /** The digest user name; the device ID where absent. */
        username?: string;
        /** The organisation it belongs to; the root `0` where absent. */
        deviceOrgId?: string;
        /** Empty where absent. */
        description?: string;
        at: string;
      };
    }
  | {
      /** The name or description changed; both fields carry their value after the change. */
      type: 'DeviceEdited';
      data: { deviceId: string; userId: string; name: string; description: string; at: string };
    }
  | {
      /** New GB/T 28181 digest credentials: the next REGISTER must answer with them. */
      type: 'DeviceCredentialsChanged';
      data: {
        deviceId: string;
        userId: string;
        password: string;
        algorithm: DigestAlgorithm;
        username: string;
        at: string;
      };
    }
  | {
      type: 'DeviceMoved';
      data: { deviceId: string; userId: string; fromOrgId: string; toOrgId: string; at: string };
    }
  | {
      /** The binding to the tenant is released: anyone may add the device again. */
      type: 'DeviceDeleted';
      data: { deviceId: string; userId: string; at: string };
    }
  | {
      type: 'DeviceRegistered';
      data: {
        deviceId: string;
        nodeId: string;
        transport: 'UDP' | 'TCP';
        remoteAddress: string;
        expires: number;
        at: string;
      };
    }
  | { type: 'DeviceUnregistered'; data: { deviceId: string; at: string } }
  | {
      type: 'DeviceWentOffline';
      data: { deviceId: string; reason: OfflineReason; at: string };
    }
  | {
      /** An attempt to connect that did not end registered, or the catalog failing after it. */
      type: 'DeviceAccessStateChanged';
      data: {
        deviceId: string;
        state: GbAccessState;
        reason: string;
        /** Registrations from the failing source are refused until then (ISO 8601). */
        lockedUntil?: string;
        at: string;
      };
    }
  | {
      /** A registered device's requests came from a new address (NAT rebinding, new TCP). */
      type: 'DeviceAddressChanged';
      data: {
        deviceId: string;
        transport: 'UDP' | 'TCP';
        remoteAddress: string;
        previous: string;
        at: string;
      };
    }
  | { type: 'DeviceCameOnline'; data: { deviceId: string; at: string } }
  | {
      type: 'DeviceCatalogUpdated';
      data: { deviceId: string; channels: ChannelInfo[]; at: string };
    }
  | {
      type: 'LiveStreamStarted';
      data: { deviceId: string; channelId: string; callId: string; ssrc: string; at: string };
    }
  | {
      type: 'LiveStreamStopped';
      data: { deviceId: string; channelId: string; callId: string; reason: string; at: string };
    }
  | { type: 'StreamUsageRecorded'; data: StreamUsage };

export type DeviceEventType = DeviceEvent['type'];

export interface Device {
  readonly exists: boolean;
  readonly deviceId: string;
  readonly userId: string;
  readonly name: string;
  readonly description: string;
  /** The organisation of its tenant it belongs to (`0`: the root). */
  readonly deviceOrgId: string;
  readonly password: string;
  readonly algorithm: DigestAlgorithm;
  /** The user name the device's digest credentials carry. */
  readonly username: string;
  readonly state: DeviceState;
  readonly accessState: GbAccessState;
  readonly accessReason: string;
  /** When the last access state was recorded (ISO 8601), undefined before any. */
  readonly lastAttemptAt: string | undefined;
  readonly lockedUntil: string | undefined;
  readonly nodeId: string | undefined;
  /** Where the device last registered from: `UDP 10.0.0.5:5060`. */
  readonly binding: string | undefined;
  readonly channels: readonly ChannelInfo[];
}

export const deviceEventTypes: readonly DeviceEventType[] = [
  'DeviceAdded',
  'DeviceEdited',
  'DeviceCredentialsChanged',
  'DeviceMoved',
  'DeviceDeleted',
  'DeviceRegistered',
  'DeviceUnregistered',
  'DeviceWentOffline',
  'DeviceCameOnline',
  'DeviceAccessStateChanged',
  'DeviceAddressChanged',
  'DeviceCatalogUpdated',
  'LiveStreamStarted',
  'LiveStreamStopped',
  'StreamUsageRecorded',
];

export function initialDevice(deviceId: string): Device {
  return {
    exists: false,
    deviceId,
    userId: '',
    name: '',
    description: '',
    deviceOrgId: rootOrgId,
    password: '',
    algorithm: 'MD5',
    username: deviceId,
    state: 'UNREGISTERED',
    accessState: 'NOT_CONNECTED',
    accessReason: 'nothing received',
    lastAttemptAt: undefined,
    lockedUntil: undefined,
    nodeId: undefined,
    binding: undefined,
    channels: [],
  };
}

/** Folds one event into the device's state. */
export function evolveDevice(device: Device, event: DeviceEvent): Device {
  switch (event.type) {
    case 'DeviceAdded':
      return {
        ...device,
        exists: true,
        userId: event.data.userId,
        name: event.data.name,
        description: event.data.description ?? '',
        deviceOrgId: event.data.deviceOrgId ?? rootOrgId,
        password: event.data.password,
        algorithm: event.data.algorithm ?? 'MD5',
        username: event.data.username ?? device.deviceId,
      };
    case 'DeviceEdited':
      return { ...device, name: event.data.name, description: event.data.description };
    case 'DeviceCredentialsChanged': {
      const { password, algorithm, username } = event.data;
      return { ...device, password, algorithm, username };
    }
    case 'DeviceMoved':
      return { ...device, deviceOrgId: event.data.toOrgId };
    case 'DeviceDeleted':
      // Nothing of the released binding survives: a later DeviceAdded starts afresh.
      return initialDevice(device.deviceId);
    case 'DeviceRegistered':
      return {
        ...access(device, 'CONNECTED', 'registered', event.data.at),
        state: 'ONLINE',
        nodeId: event.data.nodeId,
        binding: `${event.data.transport} ${event.data.remoteAddress}`,
      };
    case 'DeviceAddressChanged':
      return { ...device, binding: `${event.data.transport} ${event.data.remoteAddress}` };
    case 'DeviceCameOnline':
      return {
        ...access(device, 'CONNECTED', 'keepalive received', event.data.at),
        state: 'ONLINE',
      };
    case 'DeviceUnregistered':
      return {
        ...access(device, 'NOT_CONNECTED', 'unregistered', event.data.at),
        state: 'OFFLINE',
      };
    case 'DeviceWentOffline':
      return {
        ...access(device, 'NOT_CONNECTED', offlineReasons[event.data.reason], event.data.at),
        state: 'OFFLINE',
      };
    case 'DeviceAccessStateChanged': {
      const { state, reason, at, lockedUntil } = event.data;
      return { ...access(device, state, reason, at), lockedUntil };
    }
    case 'DeviceCatalogUpdated':
      return { ...device, channels: event.data.channels };
    case 'LiveStreamStarted':
    case 'LiveStreamStopped':
    case 'StreamUsageRecorded':
      return device;
  }
}

/** The reason text of each offline reason, as the API shows it. */
export const offlineReasons: Readonly<Record<OfflineReason, string>> = {
  keepalive_timeout: 'missed keepalives',
  registration_expired: 'registration expired',
  connection_closed: 'connection closed',
};

function access(device: Device, state: GbAccessState, reason: string, at: string): Device {
  return {
    ...device,
    accessState: state,
    accessReason: reason,
    lastAttemptAt: at,
    lockedUntil: undefined,
  };
}

export function foldDevice(deviceId: string, events: readonly DeviceEvent[]): Device {
  return events.reduce(evolveDevice, initialDevice(deviceId));
}

function requireDevice(device: Device): void {
  if (!device.exists) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${device.deviceId}`, {
      deviceId: device.deviceId,
    });
  }
}

/**
 * Binds a device to a tenant, in an organisation of it (the root `0` where none is given).
 * @throws ArgusError CONFLICT where the device is bound already: to this tenant, or to another
 * (whose name the message does not give away)
 */
export function decideAddDevice(
  device: Device,
  command: {
    userId: string;
    name: string;
    password: string;
    /** MD5 where absent. */
    algorithm?: DigestAlgorithm | undefined;
    /** The digest user name, where it is not the device ID. */
    username?: string | undefined;
    deviceOrgId?: string | undefined;
    description?: string | undefined;
    at: Date;
  },
): DeviceEvent[] {
  if (device.exists && device.userId !== command.userId) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot add device ${device.deviceId}: it is bound to another account, ` +
        'which must delete it first',
      { deviceId: device.deviceId },
    );
  }
  if (device.exists) {
    throw new ArgusError(errorCodes.CONFLICT, `Cannot add device: ${device.deviceId} exists`, {
      deviceId: device.deviceId,
    });
  }
  const { userId, name, password, algorithm, username, deviceOrgId, description, at } = command;
  return [
    {
      type: 'DeviceAdded',
      data: {
        deviceId: device.deviceId,
        userId,
        name,
        password,
        ...(algorithm === undefined || algorithm === 'MD5' ? {} : { algorithm }),
        ...(username === undefined || username === device.deviceId ? {} : { username }),
        ...(deviceOrgId === undefined || deviceOrgId === rootOrgId ? {} : { deviceOrgId }),
        ...(description === undefined || description === '' ? {} : { description }),
        at: at.toISOString(),
      },
    },
  ];
}

/**
 * The device, where it is bound to `userId`: another tenant's device reads as none at all.
 * @throws ArgusError NOT_FOUND otherwise
 */
export function requireOwned(device: Device, userId: string): Device {
  if (!device.exists || device.userId !== userId) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find device: ${device.deviceId}`, {
      deviceId: device.deviceId,
    });
  }
  return device;
}

/**
 * Changes the name or description (a field left out keeps its value); nothing where neither
 * changes. @throws ArgusError NOT_FOUND where the tenant has no such device
 */
export function decideEditDevice(
  device: Device,
  command: {
    userId: string;
    name?: string | undefined;
    description?: string | undefined;
    at: Date;
  },
): DeviceEvent[] {
  requireOwned(device, command.userId);
  const name = command.name ?? device.name;
  const description = command.description ?? device.description;
  if (name === device.name && description === device.description) return [];
  return [
    {
      type: 'DeviceEdited',
      data: {
        deviceId: device.deviceId,
        userId: command.userId,
        name,
        description,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * New digest credentials (a field left out keeps its value); nothing where none changes.
 * Registrations already granted stand until they are refreshed.
 * @throws ArgusError NOT_FOUND where the tenant has no such device
 */
export function decideChangeCredentials(
  device: Device,
  command: {
    userId: string;
    password?: string | undefined;
    algorithm?: DigestAlgorithm | undefined;
    username?: string | undefined;
    at: Date;
  },
): DeviceEvent[] {
  requireOwned(device, command.userId);
  const password = command.password ?? device.password;
  const algorithm = command.algorithm ?? device.algorithm;
  const username = command.username ?? device.username;
  const same =
    password === device.password && algorithm === device.algorithm && username === device.username;
  if (same) return [];
  return [
    {
      type: 'DeviceCredentialsChanged',
      data: {
        deviceId: device.deviceId,
        userId: command.userId,
        password,
        algorithm,
        username,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Moves the device to another organisation of its tenant, which the caller has checked
 * exists; nothing where it is there already.
 * @throws ArgusError NOT_FOUND where the tenant has no such device
 */
export function decideMoveDevice(
  device: Device,
  command: { userId: string; toOrgId: string; at: Date },
): DeviceEvent[] {
  requireOwned(device, command.userId);
  if (device.deviceOrgId === command.toOrgId) return [];
  return [
    {
      type: 'DeviceMoved',
      data: {
        deviceId: device.deviceId,
        userId: command.userId,
        fromOrgId: device.deviceOrgId,
        toOrgId: command.toOrgId,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Deletes the device: the tenant's binding is released, so it can be added again by anyone,
 * and media nodes stop serving it. @throws ArgusError NOT_FOUND where the tenant has no such
 * device
 */
export function decideDeleteDevice(
  device: Device,
  command: { userId: string; at: Date },
): DeviceEvent[] {
  requireOwned(device, command.userId);
  return [
    {
      type: 'DeviceDeleted',
      data: { deviceId: device.deviceId, userId: command.userId, at: command.at.toISOString() },
    },
  ];
}

/**
 * A successful REGISTER. A refresh from an online device on the same node and address
 * changes nothing and records nothing.
 */
export function decideRegister(
  device: Device,
  command: {
    nodeId: string;
    transport: 'UDP' | 'TCP';
    remoteAddress: string;
    expires: number;
    at: Date;
  },
): DeviceEvent[] {
  requireDevice(device);
  const binding = `${command.transport} ${command.remoteAddress}`;
  const unchanged =
    device.state === 'ONLINE' && device.nodeId === command.nodeId && device.binding === binding;
  // A refresh after refused attempts records the registration again: access is CONNECTED.
  const refusedMeanwhile =
    device.accessState === 'AUTHENTICATION_FAILED' ||
    device.accessState === 'NO_AUTHENTICATION_INFO';
  if (unchanged && !refusedMeanwhile) return [];
  return [
    {
      type: 'DeviceRegistered',
      data: {
        deviceId: device.deviceId,
        nodeId: command.nodeId,
        transport: command.transport,
        remoteAddress: command.remoteAddress,
        expires: command.expires,
        at: command.at.toISOString(),
      },
    },
  ];
}

/** REGISTER with Expires: 0. */
export function decideUnregister(device: Device, at: Date): DeviceEvent[] {
  requireDevice(device);
  if (device.state !== 'ONLINE') return [];
  return [
    { type: 'DeviceUnregistered', data: { deviceId: device.deviceId, at: at.toISOString() } },
  ];
}

/** A keepalive from a device marked offline brings it back. */
export function decideKeepalive(device: Device, at: Date): DeviceEvent[] {
  requireDevice(device);
  if (device.state !== 'OFFLINE') return [];
  return [{ type: 'DeviceCameOnline', data: { deviceId: device.deviceId, at: at.toISOString() } }];
}

export function decideOffline(
  device: Device,
  command: { reason: OfflineReason; at: Date },
): DeviceEvent[] {
  requireDevice(device);
  if (device.state !== 'ONLINE') return [];
  return [
    {
      type: 'DeviceWentOffline',
      data: { deviceId: device.deviceId, reason: command.reason, at: command.at.toISOString() },
    },
  ];
}

/**
 * A complete catalog: recorded, sorted by channel ID, only where it differs from the one known
 * in the channels or their fields (not in the order either is listed in).
 */
export function decideCatalog(
  device: Device,
  command: { channels: ChannelInfo[]; at: Date },
): DeviceEvent[] {
  requireDevice(device);
  const sorted = [...command.channels].sort(byChannelId);
  const events: DeviceEvent[] = [];
  if (catalogKey(sorted) !== catalogKey(device.channels)) {
    events.push({
      type: 'DeviceCatalogUpdated',
      data: { deviceId: device.deviceId, channels: sorted, at: command.at.toISOString() },
    });
  }
  if (device.accessState === 'CATALOG_ERROR') {
    events.push(
      accessEvent(device, { state: 'CONNECTED', reason: 'catalog received' }, command.at),
    );
  }
  return events;
}

/** An access attempt that did not end registered, or a catalog that could not be fetched. */
export interface AccessAttempt {
  readonly state: Exclude<GbAccessState, 'CONNECTED' | 'NOT_CONNECTED'>;
  /** Short, for people: `wrong password`, `catalog query answered 488`. */
  readonly reason: string;
  readonly lockedUntil?: Date;
  readonly at: Date;
}

/**
 * Records why an attempt to connect failed. A change of state, reason or lockout is recorded
 * at once; the same outcome again only once per ACCESS_ATTEMPT_RECORD_INTERVAL_MS, so a
 * device retrying forever appends a bounded number of events. A REGISTER without credentials
 * from an online device is the first half of a refresh and records nothing.
 */
export function decideAccessAttempt(device: Device, attempt: AccessAttempt): DeviceEvent[] {
  requireDevice(device);
  if (attempt.state === 'NO_AUTHENTICATION_INFO' && device.state === 'ONLINE') return [];
  if (
    attempt.state === 'NO_AUTHENTICATION_INFO' &&
    device.accessState === 'AUTHENTICATION_FAILED'
  ) {
    // The challenge before each retry of a wrong password says nothing new.
    return [];
  }
  const lockedUntil = attempt.lockedUntil?.toISOString();
  const same =
    device.accessState === attempt.state &&
    device.accessReason === attempt.reason &&
    device.lockedUntil === lockedUntil;
  const last = device.lastAttemptAt === undefined ? Number.NaN : Date.parse(device.lastAttemptAt);
  if (same && attempt.at.getTime() - last < ACCESS_ATTEMPT_RECORD_INTERVAL_MS) return [];
  return [accessEvent(device, attempt, attempt.at, lockedUntil)];
}

function accessEvent(
  device: Device,
  outcome: { state: GbAccessState; reason: string },
  at: Date,
  lockedUntil?: string,
): DeviceEvent {
  return {
    type: 'DeviceAccessStateChanged',
    data: {
      deviceId: device.deviceId,
      state: outcome.state,
      reason: outcome.reason,
      ...(lockedUntil === undefined ? {} : { lockedUntil }),
      at: at.toISOString(),
    },
  };
}

/**
 * A registered device's request came from another address than its binding (GB/T 28181
 * devices behind NAT): requests to it go there from now on. Nothing where the address is the
 * one known, or the device is not online.
 */
export function decideAddressChange(
  device: Device,
  command: { transport: 'UDP' | 'TCP'; remoteAddress: string; at: Date },
): DeviceEvent[] {
  requireDevice(device);
  const binding = `${command.transport} ${command.remoteAddress}`;
  if (device.state !== 'ONLINE' || device.binding === binding) return [];
  return [
    {
      type: 'DeviceAddressChanged',
      data: {
        deviceId: device.deviceId,
        transport: command.transport,
        remoteAddress: command.remoteAddress,
        previous: device.binding ?? '',
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Traffic the media node measured: a plain fact, recorded as measured on the live session's
 * own stream. A period in which nothing flowed is not recorded.
 */
export function decideStreamUsage(usage: StreamUsage): DeviceEvent[] {
  const flowed = usage.bytesIn > 0 || usage.viewers.some((v) => v.bytesOut > 0);
  return flowed ? [{ type: 'StreamUsageRecorded', data: usage }] : [];
}

/** Code-point order, the same on every runtime and locale. */
function byChannelId(a: ChannelInfo, b: ChannelInfo): number {
  return a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0;
}

/** A sorted catalog as text with each channel's fields in one order, for comparison. */
function catalogKey(channels: readonly ChannelInfo[]): string {
  return JSON.stringify(
    channels.map((c) => [c.channelId, c.name, c.status, c.manufacturer, c.model, c.parentId]),
  );
}
