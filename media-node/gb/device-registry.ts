/**
 * The devices this media node serves right now: where each registered from, until when,
 * and when it last showed signs of life. Memory only: the facts that matter are events.
 */
import type { SipPeer } from '../sip/sip-transport.ts';

export interface Registration {
  readonly deviceId: string;
  /** Where the device registered from: requests to it go there. */
  peer: SipPeer;
  expiresAt: number;
  lastSeenAt: number;
  /** False once the device was declared offline; a keepalive brings it back. */
  online: boolean;
}

export class DeviceRegistry {
  readonly #byId = new Map<string, Registration>();

  get(deviceId: string): Registration | undefined {
    return this.#byId.get(deviceId);
  }

  set(registration: Registration): void {
    this.#byId.set(registration.deviceId, registration);
  }

  delete(deviceId: string): void {
    this.#byId.delete(deviceId);
  }

  all(): IterableIterator<Registration> {
    return this.#byId.values();
  }

  get size(): number {
    return this.#byId.size;
  }
}
