/** Runs device deciders against the event store: the media node's writes go only here. */
import { handleCommand } from '../../src/domain/command-handler.ts';
import { foldDevice, type Device, type DeviceEvent } from '../../src/domain/device.ts';
import {
  decideEndLiveSession,
  foldLiveSession,
  type LiveSessionEvent,
} from '../../src/domain/live-session.ts';
import { streamNames, type EventStore } from '../../src/event-store/event-store.ts';

export class DeviceCommands {
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** The device's current state, folded from its stream. */
  async load(deviceId: string): Promise<Device> {
    const events = await this.#store.readStream(streamNames.device(deviceId));
    return foldDevice(
      deviceId,
      events.map((e) => ({ type: e.type, data: e.data }) as DeviceEvent),
    );
  }

  /**
   * Appends facts of one live session (dialog, started, usage, stopped) to the session's own
   * stream: they change no device state, so no device command should have to read them.
   */
  async recordSessionFacts(
    callId: string,
    events: readonly (DeviceEvent | LiveSessionEvent)[],
  ): Promise<void> {
    if (events.length === 0) return;
    await this.#store.appendToStream(
      streamNames.liveSession(callId),
      events.map((event) => ({ type: event.type, data: { ...event.data } })),
    );
  }

  /**
   * Records the end of a live session with `reason`, against the session's stream at its
   * current revision; nothing where it ended already. Returns whether this call ended it.
   */
  async endLiveSession(callId: string, reason: string, at: Date): Promise<boolean> {
    const outcome = await handleCommand(
      this.#store,
      streamNames.liveSession(callId),
      (events: LiveSessionEvent[]) => foldLiveSession(events),
      (session) => decideEndLiveSession(session, { reason, at }),
    );
    return outcome.events.length > 0;
  }

  /** Decides against the current state and appends; returns the events appended. */
  async run(deviceId: string, decide: (device: Device) => DeviceEvent[]): Promise<DeviceEvent[]> {
    const outcome = await handleCommand(
      this.#store,
      streamNames.device(deviceId),
      (events: DeviceEvent[]) => foldDevice(deviceId, events),
      decide,
    );
    return outcome.events;
  }
}
