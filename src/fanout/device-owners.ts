import type { EventStore } from '../event-store/event-store.ts';

interface Ownership {
  /** The device's stream is known through this global position. */
  through: number;
  /** The stream revision to read from next. */
  nextRevision: number;
  /** From which global position which enterprise owns the device, oldest first. */
  spans: { from: number; userId: string }[];
}

/**
 * Which enterprise owned a device when one of its events was recorded, from the device's own
 * stream (`DeviceAdded` carries the enterprise), so that messages are scoped correctly even
 * when the log is read far behind the read models. Each stream is read once and then only
 * its new events, when a position past what is known is asked for.
 */
export class DeviceOwners {
  readonly #store: EventStore;
  readonly #known = new Map<string, Ownership>();

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** The owner of `deviceId` at global `position`, undefined where it had none. */
  async ownerAt(deviceId: string, position: number): Promise<string | undefined> {
    const ownership = await this.#ownership(deviceId, position);
    let owner: string | undefined;
    for (const span of ownership.spans) if (span.from <= position) owner = span.userId;
    return owner;
  }

  async #ownership(deviceId: string, position: number): Promise<Ownership> {
    const known = this.#known.get(deviceId) ?? { through: 0, nextRevision: 0, spans: [] };
    if (known.through >= position) return known;

    const events = await this.#store.readStream(`device-${deviceId}`, {
      fromRevision: known.nextRevision,
    });
    for (const event of events) {
      if (event.type === 'DeviceAdded') {
        known.spans.push({ from: event.globalPosition, userId: String(event.data['userId']) });
      }
      known.nextRevision = event.revision + 1;
      known.through = Math.max(known.through, event.globalPosition);
    }
    // Events up to `position` are committed (it was read from the log), so none is missing.
    known.through = Math.max(known.through, position);
    this.#known.set(deviceId, known);
    return known;
  }
}
