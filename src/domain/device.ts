/**
 * The GB/T 28181 device aggregate: stream `device-<deviceId>`. Deciders take the folded state
 * and a command and return the events to append; they touch no storage.
 */
import { ArgusError, errorCodes } from '../errors.ts';

export type DeviceState = 'UNREGISTERED' | 'ONLINE' | 'OFFLINE';

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
      data: { deviceId: string; userId: string; name: string; password: string; at: string };
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
      data: { deviceId: string; reason: 'keepalive_timeout' | 'registration_expired'; at: string };
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
  readonly password: string;
  readonly state: DeviceState;
  readonly nodeId: string | undefined;
  /** Where the device last registered from: `UDP 10.0.0.5:5060`. */
  readonly binding: string | undefined;
  readonly channels: readonly ChannelInfo[];
}

export const deviceEventTypes: readonly DeviceEventType[] = [
  'DeviceAdded',
  'DeviceRegistered',
  'DeviceUnregistered',
  'DeviceWentOffline',
  'DeviceCameOnline',
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
    password: '',
    state: 'UNREGISTERED',
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
        password: event.data.password,
      };
    case 'DeviceRegistered':
      return {
        ...device,
        state: 'ONLINE',
        nodeId: event.data.nodeId,
        binding: `${event.data.transport} ${event.data.remoteAddress}`,
      };
    case 'DeviceCameOnline':
      return { ...device, state: 'ONLINE' };
    case 'DeviceUnregistered':
    case 'DeviceWentOffline':
      return { ...device, state: 'OFFLINE' };
    case 'DeviceCatalogUpdated':
      return { ...device, channels: event.data.channels };
    case 'LiveStreamStarted':
    case 'LiveStreamStopped':
    case 'StreamUsageRecorded':
      return device;
  }
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

/** Adding a device that exists already is a conflict. */
export function decideAddDevice(
  device: Device,
  command: { userId: string; name: string; password: string; at: Date },
): DeviceEvent[] {
  if (device.exists) {
    throw new ArgusError(errorCodes.CONFLICT, `Cannot add device: ${device.deviceId} exists`, {
      deviceId: device.deviceId,
    });
  }
  const { userId, name, password, at } = command;
  return [
    {
      type: 'DeviceAdded',
      data: { deviceId: device.deviceId, userId, name, password, at: at.toISOString() },
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
  if (device.state === 'ONLINE' && device.nodeId === command.nodeId && device.binding === binding) {
    return [];
  }
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
  command: { reason: 'keepalive_timeout' | 'registration_expired'; at: Date },
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
  if (catalogKey(sorted) === catalogKey(device.channels)) return [];
  return [
    {
      type: 'DeviceCatalogUpdated',
      data: { deviceId: device.deviceId, channels: sorted, at: command.at.toISOString() },
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
