/**
 * Which messages a tenant's service packages let out: once a tenant holds any package, a
 * device's alarms and status changes are pushed (callbacks and SSE) only where a `DATAFLOW`
 * package in force at the event's time is bound to the channel the message names, or, for a
 * message about the whole device, to any of its channels. A tenant without packages gets
 * every message. Bindings are read as they are when the message goes out.
 */
import type { Db } from '../sql/database.ts';
import { isEntitled } from '../read-models/package-queries.ts';
import type { DeviceMessage } from './messages.ts';

/** Messages about the binding itself go out whatever the packages. */
const ungated: ReadonlySet<string> = new Set(['device_unbind']);

export class DataflowGate {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** True where `message`, from an event recorded at `at`, may be pushed to `userId`. */
  async admits(userId: string, message: DeviceMessage, at: string): Promise<boolean> {
    if (ungated.has(message.messageType)) return true;
    const named = message.data['channel_id'];
    const channelId = typeof named === 'string' && named !== message.deviceId ? named : undefined;
    const target = { deviceId: message.deviceId, channelId };
    return isEntitled(this.#db, userId, target, 'DATAFLOW', new Date(at));
  }
}
