/**
 * Service packages (Huawei IVM "resources"): what an operator sells a tenant, each of one type
 * with a channel quota and an optional expiry. Stream `service-package-<resource_id>`. The
 * channels bound to a package live in its own stream, so the quota is a rule over one stream:
 * two binds racing on the same package meet at the expected revision and only the quota's
 * worth of them is appended.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/**
 * `MANAGE`: access and live view; `NORMAL`: continuous cloud recording; `MOTION`: event
 * recording; `DATAFLOW`: alarms and intelligence data pushed out.
 */
export const packageTypes = ['MANAGE', 'NORMAL', 'MOTION', 'DATAFLOW'] as const;
export type PackageType = (typeof packageTypes)[number];

/** Largest channel quota of one package. */
export const maxChannelQuota = 100_000;

/** Why a binding ended: the tenant unbound it, or its channel or device was deleted. */
export type UnbindReason = 'unbound' | 'released';

export type ServicePackageEvent =
  | {
      type: 'ServicePackageGranted';
      data: {
        resourceId: string;
        userId: string;
        resourceType: PackageType;
        name: string;
        channelQuota: number;
        /** ISO 8601; absent where the package does not expire. */
        expiresAt?: string;
        at: string;
      };
    }
  | {
      type: 'PackageChannelBound';
      data: { resourceId: string; userId: string; deviceId: string; channelId: string; at: string };
    }
  | {
      type: 'PackageChannelUnbound';
      data: {
        resourceId: string;
        userId: string;
        deviceId: string;
        channelId: string;
        reason: UnbindReason;
        at: string;
      };
    };

export const servicePackageEventTypes: readonly ServicePackageEvent['type'][] = [
  'ServicePackageGranted',
  'PackageChannelBound',
  'PackageChannelUnbound',
];

/** One channel of a device. */
export interface ChannelRef {
  readonly deviceId: string;
  readonly channelId: string;
}

export interface ServicePackage {
  readonly exists: boolean;
  readonly resourceId: string;
  readonly userId: string;
  readonly resourceType: PackageType;
  readonly name: string;
  readonly channelQuota: number;
  readonly expiresAt: string | undefined;
  /** The bound channels by `channelKey`. */
  readonly bindings: ReadonlyMap<string, ChannelRef>;
}

/** The stream of package `resourceId`. */
export function servicePackageStreamName(resourceId: string): string {
  return `service-package-${resourceId}`;
}

/** A channel's key in `bindings`. */
export function channelKey(channel: ChannelRef): string {
  return `${channel.deviceId}/${channel.channelId}`;
}

export function evolveServicePackage(
  state: ServicePackage,
  event: ServicePackageEvent,
): ServicePackage {
  switch (event.type) {
    case 'ServicePackageGranted': {
      const { userId, resourceType, name, channelQuota, expiresAt } = event.data;
      return { ...state, exists: true, userId, resourceType, name, channelQuota, expiresAt };
    }
    case 'PackageChannelBound': {
      const bindings = new Map(state.bindings);
      const { deviceId, channelId } = event.data;
      bindings.set(channelKey(event.data), { deviceId, channelId });
      return { ...state, bindings };
    }
    case 'PackageChannelUnbound': {
      const bindings = new Map(state.bindings);
      bindings.delete(channelKey(event.data));
      return { ...state, bindings };
    }
  }
}

export function foldServicePackage(
  resourceId: string,
  events: readonly ServicePackageEvent[],
): ServicePackage {
  return events.reduce(evolveServicePackage, {
    exists: false,
    resourceId,
    userId: '',
    resourceType: 'MANAGE',
    name: '',
    channelQuota: 0,
    expiresAt: undefined,
    bindings: new Map(),
  });
}

/** How a package reads in messages: `MANAGE package "Gate" (resource 42)`. */
export function describePackage(state: ServicePackage): string {
  return `${state.resourceType} package "${state.name}" (resource ${state.resourceId})`;
}

/** True where the package has expired at `at`. */
export function isExpired(state: { expiresAt: string | undefined }, at: Date): boolean {
  return state.expiresAt !== undefined && Date.parse(state.expiresAt) <= at.getTime();
}

/**
 * An operator grants a package to a tenant.
 * @throws ArgusError CONFLICT where the resource ID is taken; VALIDATION for a quota below 1
 * or an expiry that is not after the grant
 */
export function decideGrantPackage(
  state: ServicePackage,
  command: {
    userId: string;
    resourceType: PackageType;
    name: string;
    channelQuota: number;
    expiresAt?: Date | undefined;
    at: Date;
  },
): ServicePackageEvent[] {
  if (state.exists) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot grant package: resource ${state.resourceId} exists`,
    );
  }
  const { channelQuota, expiresAt, at } = command;
  if (!Number.isInteger(channelQuota) || channelQuota < 1 || channelQuota > maxChannelQuota) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot grant package: channel quota must be 1 to ${maxChannelQuota}: ${channelQuota}`,
    );
  }
  if (expiresAt !== undefined && expiresAt.getTime() <= at.getTime()) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot grant package: it would expire before it is granted: ${expiresAt.toISOString()}`,
    );
  }
  return [
    {
      type: 'ServicePackageGranted',
      data: {
        resourceId: state.resourceId,
        userId: command.userId,
        resourceType: command.resourceType,
        name: command.name,
        channelQuota,
        ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
        at: at.toISOString(),
      },
    },
  ];
}

/**
 * Ends the bindings of channels that were deleted, or whose device was, since they were
 * bound (`released`, as the read models saw them), so that they count no more.
 */
export function decideRelease(
  state: ServicePackage,
  command: { released: Iterable<string>; at: Date },
): ServicePackageEvent[] {
  const events: ServicePackageEvent[] = [];
  for (const key of command.released) {
    const channel = state.bindings.get(key);
    if (channel !== undefined) events.push(unbound(state, channel, 'released', command.at));
  }
  return events;
}

/**
 * Binds a channel of the package's tenant to the package. Binding a bound channel again
 * changes nothing.
 * @throws ArgusError NOT_FOUND where the tenant holds no such package; CONFLICT where it has
 * expired, or where its quota is used up (the message names the package and its limit)
 */
export function decideBindChannel(
  state: ServicePackage,
  command: { userId: string; channel: ChannelRef; at: Date },
): ServicePackageEvent[] {
  const { channel, at } = command;
  const action = `bind channel ${channel.channelId}`;
  requireOwned(state, command.userId, action);
  if (state.bindings.has(channelKey(channel))) return [];
  if (isExpired(state, at)) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot ${action}: ${describePackage(state)} expired at ${state.expiresAt ?? ''}`,
      { resourceId: state.resourceId },
    );
  }
  if (state.bindings.size >= state.channelQuota) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot ${action}: ${describePackage(state)} allows ${channels(state.channelQuota)}`,
      { resourceId: state.resourceId, limit: state.channelQuota },
    );
  }
  return [
    {
      type: 'PackageChannelBound',
      data: {
        resourceId: state.resourceId,
        userId: state.userId,
        deviceId: channel.deviceId,
        channelId: channel.channelId,
        at: at.toISOString(),
      },
    },
  ];
}

/**
 * Unbinds a channel from the package, making room for another.
 * @throws ArgusError NOT_FOUND where the tenant holds no such package or the channel is not
 * bound to it
 */
export function decideUnbindChannel(
  state: ServicePackage,
  command: { userId: string; channel: ChannelRef; at: Date },
): ServicePackageEvent[] {
  const { channel } = command;
  const action = `unbind channel ${channel.channelId}`;
  requireOwned(state, command.userId, action);
  if (!state.bindings.has(channelKey(channel))) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot ${action}: not bound to resource ${state.resourceId}`,
    );
  }
  return [unbound(state, channel, 'unbound', command.at)];
}

function unbound(
  state: ServicePackage,
  channel: ChannelRef,
  reason: UnbindReason,
  at: Date,
): ServicePackageEvent {
  return {
    type: 'PackageChannelUnbound',
    data: {
      resourceId: state.resourceId,
      userId: state.userId,
      deviceId: channel.deviceId,
      channelId: channel.channelId,
      reason,
      at: at.toISOString(),
    },
  };
}

/** `1 channel`, `2 channels`. */
function channels(count: number): string {
  return `${count} channel${count === 1 ? '' : 's'}`;
}

function requireOwned(state: ServicePackage, userId: string, action: string): void {
  // Another tenant's package reads as absent: its existence is not told.
  if (!state.exists || state.userId !== userId) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot ${action}: no resource ${state.resourceId} in ${userId}`,
    );
  }
}

/**
 * Decides a batch of items on one package in order, each on the state the previous ones
 * left. Items that fail are reported and leave the state as it was.
 */
export function decideBatch<I>(
  state: ServicePackage,
  items: readonly I[],
  decide: (state: ServicePackage, item: I) => ServicePackageEvent[],
): { events: ServicePackageEvent[]; errors: Map<I, unknown> } {
  const events: ServicePackageEvent[] = [];
  const errors = new Map<I, unknown>();
  let current = state;
  for (const item of items) {
    try {
      const decided = decide(current, item);
      current = decided.reduce(evolveServicePackage, current);
      events.push(...decided);
    } catch (error) {
      errors.set(item, error);
    }
  }
  return { events, errors };
}
