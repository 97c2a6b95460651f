/**
 * Declares devices offline (GB/T 28181-2016 §9.6): no keepalive for heartbeat × misses, or a
 * registration past its Expires. A keepalive after that brings the device back online.
 */
import { decideKeepalive, decideOffline } from '../../src/domain/device.ts';
import type { Logger } from '../../src/logger.ts';
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

  /** A keepalive (or any request) from a registered device. */
  async seen(registration: Registration): Promise<void> {
    const now = this.#options.now();
    registration.lastSeenAt = now.getTime();
    if (registration.online) return;

    registration.online = true;
    await this.#options.commands.run(registration.deviceId, (d) => decideKeepalive(d, now));
    this.#options.logger.info({ deviceId: registration.deviceId }, 'online');
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

  async #offline(
    registration: Registration,
    reason: 'keepalive_timeout' | 'registration_expired',
    now: Date,
  ): Promise<void> {
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
