/**
 * Declares devices offline (GB/T 28181-2016 §9.6): no keepalive for heartbeat × misses, a
 * registration past its Expires, or the TCP connection it used closed. A keepalive after that
 * brings the device back online. Every request a device sends from its registered host moves
 * its binding to the port it came from (NAT rebinding, a new TCP connection): requests to it go
 * there. A new host has to REGISTER (gb-server.ts refuses its MESSAGEs).
 */
import {
  decideAddressChange,
  decideKeepalive,
  decideOffline,
  type OfflineReason,
} from '../../src/domain/device.ts';
import type { Logger } from '../../src/logger.ts';
import { peerKey, type SipPeer } from '../sip/sip-transport.ts';
import type { DeviceCommands } from './device-commands.ts';
import type { DeviceRegistry, Registration } from './device-registry.ts';

export interface KeepaliveMonitorOptions {
  readonly registry: DeviceRegistry;
  readonly commands: DeviceCommands;
  readonly heartbeatSeconds: number;
  readonly misses: number;
  readonly logger: Logger;
  readonly now: () => Date;
}

export class KeepaliveMonitor {
  readonly #options: KeepaliveMonitorOptions;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: KeepaliveMonitorOptions) {
    this.#options = options;
  }

  /** Checks every second, or every quarter heartbeat where that is shorter. */
  start(): void {
    const period = Math.min(1000, (this.#options.heartbeatSeconds * 1000) / 4);
    this.#timer = setInterval(() => void this.check(), period);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** A keepalive (or any request) from a registered device, arrived from `peer`. */
  async seen(registration: Registration, peer: SipPeer = registration.peer): Promise<void> {
    const now = this.#options.now();
    registration.lastSeenAt = now.getTime();
    const moved = peerKey(peer) !== peerKey(registration.peer);
    registration.peer = peer;
    if (!registration.online) {
      registration.online = true;
      await this.#options.commands.run(registration.deviceId, (d) => decideKeepalive(d, now));
      this.#options.logger.info({ deviceId: registration.deviceId }, 'online');
    }
    if (moved) await this.#moved(registration, peer, now);
  }

  /** The TCP connection `peer` closed: a device reached only through it is offline. */
  async connectionClosed(peer: SipPeer): Promise<void> {
    const key = peerKey(peer);
    const now = this.#options.now();
    for (const registration of [...this.#options.registry.all()]) {
      if (!registration.online || peerKey(registration.peer) !== key) continue;
      registration.online = false;
      await this.#offline(registration, 'connection_closed', now);
    }
  }

  /** One pass over the registry. */
  async check(): Promise<void> {
    const { registry, heartbeatSeconds, misses } = this.#options;
    const now = this.#options.now();
    const silentLimit = heartbeatSeconds * misses * 1000;

    for (const registration of [...registry.all()]) {
      if (now.getTime() > registration.expiresAt) {
        registry.delete(registration.deviceId);
        await this.#offline(registration, 'registration_expired', now);
      } else if (registration.online && now.getTime() - registration.lastSeenAt > silentLimit) {
        registration.online = false;
        await this.#offline(registration, 'keepalive_timeout', now);
      }
    }
  }

  async #moved(registration: Registration, peer: SipPeer, now: Date): Promise<void> {
    const { deviceId } = registration;
    const remoteAddress = `${peer.address}:${peer.port}`;
    try {
      await this.#options.commands.run(deviceId, (d) =>
        decideAddressChange(d, { transport: peer.transport, remoteAddress, at: now }),
      );
      this.#options.logger.info(
        { deviceId, transport: peer.transport, remoteAddress },
        'address changed',
      );
    } catch (err) {
      this.#options.logger.error({ err, deviceId }, 'address change not recorded');
    }
  }

  async #offline(registration: Registration, reason: OfflineReason, now: Date): Promise<void> {
    try {
      await this.#options.commands.run(registration.deviceId, (d) =>
        decideOffline(d, { reason, at: now }),
      );
      this.#options.logger.info({ deviceId: registration.deviceId, reason }, 'offline');
    } catch (err) {
      this.#options.logger.error({ err, deviceId: registration.deviceId }, 'offline not recorded');
    }
  }
}
