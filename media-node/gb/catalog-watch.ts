/**
 * Asks a device for its catalog after it registers and records a CATALOG_ERROR access state
 * where that fails (GB/T 28181-2016 §9.5.1): the query refused or unanswered, or no Catalog
 * response MESSAGE within the wait. A catalog that arrives is recorded by the collector; the
 * device decider then turns a CATALOG_ERROR back into CONNECTED.
 */
import { decideAccessAttempt } from '../../src/domain/device.ts';
import { isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import type { DeviceCommands } from './device-commands.ts';

export const CATALOG_ANSWER_WAIT_MS = 30_000;

export interface CatalogWatchOptions {
  /** Sends the Catalog query; resolves on a 2xx. @throws where the device refused or is silent */
  readonly query: (deviceId: string) => Promise<void>;
  readonly commands: DeviceCommands;
  readonly logger: Logger;
  readonly now: () => Date;
  /** How long after a 2xx to the query the first Catalog response may take. */
  readonly answerWaitMs?: number;
}

export class CatalogWatch {
  readonly #options: CatalogWatchOptions;
  /** Devices queried and not answered yet, with the timer once the query got its 2xx. */
  readonly #waiting = new Map<string, { timer?: ReturnType<typeof setTimeout> }>();

  constructor(options: CatalogWatchOptions) {
    this.#options = options;
  }

  /** Queries the device's catalog and watches for the answer; never throws. */
  async query(deviceId: string): Promise<void> {
    this.answered(deviceId);
    // The answer can overtake the 2xx to the query: waiting starts before the query is sent.
    const waiting: { timer?: ReturnType<typeof setTimeout> } = {};
    this.#waiting.set(deviceId, waiting);
    try {
      await this.#options.query(deviceId);
    } catch (error) {
      const detail = isArgusError(error) ? error.message.replace(/^[^:]*: /, '') : String(error);
      if (this.#waiting.get(deviceId) === waiting) this.#waiting.delete(deviceId);
      this.#options.logger.warn({ deviceId, reason: detail }, 'catalog query failed');
      return this.#failed(deviceId, `catalog query failed: ${detail}`);
    }
    if (this.#waiting.get(deviceId) !== waiting) return; // answered already, or queried again

    const waitMs = this.#options.answerWaitMs ?? CATALOG_ANSWER_WAIT_MS;
    waiting.timer = setTimeout(() => {
      this.#waiting.delete(deviceId);
      this.#options.logger.warn({ deviceId, waitMs }, 'catalog not answered');
      void this.#failed(deviceId, `no catalog answer in ${waitMs / 1000} s`);
    }, waitMs);
    waiting.timer.unref();
  }

  /** A Catalog response from the device arrived: stop waiting. */
  answered(deviceId: string): void {
    clearTimeout(this.#waiting.get(deviceId)?.timer);
    this.#waiting.delete(deviceId);
  }

  close(): void {
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
  }

  async #failed(deviceId: string, reason: string): Promise<void> {
    const at = this.#options.now();
    try {
      await this.#options.commands.run(deviceId, (d) =>
        decideAccessAttempt(d, { state: 'CATALOG_ERROR', reason, at }),
      );
    } catch (err) {
      this.#options.logger.error({ err, deviceId }, 'access state not recorded');
    }
  }
}
