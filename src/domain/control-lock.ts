/**
 * The PTZ control lock of one channel (Huawei IVM `control-lock`): stream
 * `control-lock-<device_id>-<channel_id>`. One holder at a time moves a camera: taking the
 * lock answers a token that PTZ and preset writes must carry; each use renews it for the
 * lock's lifetime; it ends when it expires unused or its holder releases it. While it is
 * live, anyone else is refused with the holder's name. Expiry is decided from the events'
 * times and the command's `now`, so no timer is needed and two takers racing on the same
 * revision cannot both win (the loser re-decides and is refused).
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** Who holds a lock: a stable key (an account or an AK) and the name others are told. */
export interface LockHolder {
  /** `login:<login_name>` or `ak:<AK>`: the same account or AK is the same holder. */
  readonly key: string;
  /** The login name or AK, as "locked by" names it. */
  readonly name: string;
}

interface LockRef {
  readonly userId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly lockId: string;
}

export type ControlLockEvent =
  | {
      type: 'ControlLockTaken';
      data: LockRef & { holder: string; holderName: string; expiresAt: string; at: string };
    }
  | { type: 'ControlLockRenewed'; data: LockRef & { expiresAt: string; at: string } }
  | { type: 'ControlLockReleased'; data: LockRef & { at: string } };

export interface ControlLock {
  readonly lockId: string;
  readonly holder: LockHolder;
  readonly expiresAt: string;
}

/** The channel's latest lock; undefined where none was taken or it was released. */
export interface ControlLockState {
  readonly lock: ControlLock | undefined;
}

export function controlLockStreamName(deviceId: string, channelId: string): string {
  return `control-lock-${deviceId}-${channelId}`;
}

export function evolveControlLock(
  state: ControlLockState,
  event: ControlLockEvent,
): ControlLockState {
  switch (event.type) {
    case 'ControlLockTaken': {
      const { lockId, holder, holderName, expiresAt } = event.data;
      return { lock: { lockId, holder: { key: holder, name: holderName }, expiresAt } };
    }
    case 'ControlLockRenewed':
      return state.lock?.lockId === event.data.lockId
        ? { lock: { ...state.lock, expiresAt: event.data.expiresAt } }
        : state;
    case 'ControlLockReleased':
      return state.lock?.lockId === event.data.lockId ? { lock: undefined } : state;
  }
}

export function foldControlLock(events: readonly ControlLockEvent[]): ControlLockState {
  return events.reduce(evolveControlLock, { lock: undefined });
}

/** The lock while it is live at `now`; undefined once it expired or was released. */
export function liveControlLock(state: ControlLockState, now: Date): ControlLock | undefined {
  const lock = state.lock;
  return lock !== undefined && Date.parse(lock.expiresAt) > now.getTime() ? lock : undefined;
}

interface LockCommand {
  readonly userId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly holder: LockHolder;
  readonly ttlSeconds: number;
  readonly now: Date;
}

/**
 * Takes the channel's lock for `holder` under `lockId`, or renews it where the holder holds it
 * already (the answer then carries the lock's own id).
 * @throws ArgusError CONFLICT naming the holder while another holds it
 */
export function decideTakeControlLock(
  state: ControlLockState,
  command: LockCommand & { lockId: string },
): ControlLockEvent[] {
  const live = liveControlLock(state, command.now);
  if (live !== undefined) {
    refuseOthers(live, command.holder, 'take');
    return [renewed(command, live.lockId)];
  }
  const { userId, deviceId, channelId, lockId, holder, now } = command;
  return [
    {
      type: 'ControlLockTaken',
      data: {
        ...{ userId, deviceId, channelId, lockId },
        holder: holder.key,
        holderName: holder.name,
        expiresAt: expiry(command),
        at: now.toISOString(),
      },
    },
  ];
}

/**
 * Checks that `lockId` is the live lock of `holder` and renews it: every PTZ or preset write
 * does this before it reaches the device.
 * @throws ArgusError CONFLICT naming the holder while another holds the lock; CONFLICT where
 *   `lockId` is not the live lock (expired, released or never issued)
 */
export function decideUseControlLock(
  state: ControlLockState,
  command: LockCommand & { lockId: string },
): ControlLockEvent[] {
  const live = liveControlLock(state, command.now);
  if (live !== undefined) refuseOthers(live, command.holder, 'use');
  if (live?.lockId !== command.lockId) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      'Cannot use control lock: it has expired, was released or was never issued; ' +
        'take it again with GET control-lock',
      { channelId: command.channelId },
    );
  }
  return [renewed(command, live.lockId)];
}

/**
 * Releases the holder's live lock; nothing where the channel is not locked.
 * @throws ArgusError CONFLICT naming the holder while another holds it
 */
export function decideReleaseControlLock(
  state: ControlLockState,
  command: Omit<LockCommand, 'ttlSeconds'>,
): ControlLockEvent[] {
  const live = liveControlLock(state, command.now);
  if (live === undefined) return [];
  refuseOthers(live, command.holder, 'release');
  const { userId, deviceId, channelId, now } = command;
  return [
    {
      type: 'ControlLockReleased',
      data: { userId, deviceId, channelId, lockId: live.lockId, at: now.toISOString() },
    },
  ];
}

function refuseOthers(live: ControlLock, holder: LockHolder, action: string): void {
  if (live.holder.key === holder.key) return;
  throw new ArgusError(
    errorCodes.CONFLICT,
    `Cannot ${action} control lock: locked by ${live.holder.name} until ${live.expiresAt}`,
    { holder: live.holder.name, expiresAt: live.expiresAt },
  );
}

function renewed(command: LockCommand, lockId: string): ControlLockEvent {
  const { userId, deviceId, channelId, now } = command;
  return {
    type: 'ControlLockRenewed',
    data: {
      userId,
      deviceId,
      channelId,
      lockId,
      expiresAt: expiry(command),
      at: now.toISOString(),
    },
  };
}

function expiry(command: LockCommand): string {
  return new Date(command.now.getTime() + command.ttlSeconds * 1000).toISOString();
}
