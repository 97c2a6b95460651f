/**
 * Deleting a device releases it (src/domain/device.ts, `DeviceDeleted`): this node stops
 * serving it at once. A reactor on the global log drops its registration, so its next MESSAGE
 * is refused as from an unregistered device, and its next REGISTER is refused by the
 * registrar as from an unknown one. Nothing is stored: the registry is memory too, and after
 * a restart `restoreRegistrations` reads only devices that still exist.
 */
import type { EventStore } from '../../src/event-store/event-store.ts';
import type { Logger } from '../../src/logger.ts';
import type { DeviceRegistry } from './device-registry.ts';

export interface DeviceReleaseOptions {
  readonly store: EventStore;
  readonly registry: DeviceRegistry;
  readonly logger: Logger;
  /** Follow the log after this global position (where the registry was restored from). */
  readonly after: number;
  readonly signal: AbortSignal;
}

/** Follows the log until the signal aborts; a failure is logged and the follow resumes. */
export async function releaseDeletedDevices(options: DeviceReleaseOptions): Promise<void> {
  let after = options.after;
  while (!options.signal.aborted) {
    try {
      for await (const event of options.store.subscribeToAll({ after, signal: options.signal })) {
        after = event.globalPosition;
        if (event.type !== 'DeviceDeleted') continue;
        const deviceId = String(event.data['deviceId']);
        if (options.registry.get(deviceId) === undefined) continue;
        // Added again and registered since: that registration is the new binding's.
        const since = await options.store.readStream(event.streamName, {
          fromRevision: event.revision + 1,
        });
        if (since.some((later) => later.type === 'DeviceRegistered')) continue;
        options.registry.delete(deviceId);
        options.logger.info({ deviceId }, 'device released');
      }
    } catch (err) {
      options.logger.error({ err }, 'device deletions not followed');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
