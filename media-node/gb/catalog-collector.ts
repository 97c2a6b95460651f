/**
 * Assembles a device's catalog (GB/T 28181-2016 §A.2.6): the answer to one query arrives as
 * several MESSAGEs with the same SN, each with a DeviceList of some items, until SumNum items
 * are in. A complete catalog is recorded through the device decider; an incomplete one is
 * recorded when the wait ends, with a warning.
 */
import { decideCatalog, type ChannelInfo } from '../../src/domain/device.ts';
import type { Logger } from '../../src/logger.ts';
import { CATALOG_MAX_ITEMS } from '../formats/limits.ts';
import type { CatalogResponse } from '../formats/manscdp.ts';
import { DroppedMessageLog } from '../sip/dropped-messages.ts';
import type { DeviceCommands } from './device-commands.ts';

/**
 * Answers assembled at once per device. A device answers one query at a time; a device that
 * opens more (a new SN on every page, or a flood) loses the oldest instead of the node's
 * memory growing with every SN for the length of the wait.
 */
export const CATALOG_MAX_PENDING_PER_DEVICE = 4;

interface Assembly {
  readonly deviceId: string;
  readonly sn: number;
  sumNum: number;
  readonly items: Map<string, ChannelInfo>;
  readonly timer: ReturnType<typeof setTimeout>;
}

export interface CatalogCollectorOptions {
  readonly commands: DeviceCommands;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly waitMs?: number;
}

export class CatalogCollector {
  readonly #options: CatalogCollectorOptions;
  readonly #assemblies = new Map<string, Assembly>();
  readonly #abandoned: DroppedMessageLog;

  constructor(options: CatalogCollectorOptions) {
    this.#options = options;
    this.#abandoned = new DroppedMessageLog({
      logger: options.logger,
      messages: { one: 'catalog abandoned', summary: 'catalogs abandoned' },
    });
  }

  /** Adds one Catalog response message; records the catalog once SumNum items are in. */
  async add(response: CatalogResponse): Promise<void> {
    const key = `${response.deviceId}|${response.sn}`;
    const assembly = this.#assemblies.get(key) ?? this.#start(key, response);
    assembly.sumNum = Math.min(response.sumNum, CATALOG_MAX_ITEMS);
    for (const item of response.items) {
      if (assembly.items.size >= CATALOG_MAX_ITEMS) break;
      assembly.items.set(item.deviceId, toChannel(item));
    }
    if (assembly.items.size >= assembly.sumNum) await this.#complete(key, response.deviceId);
  }

  close(): void {
    for (const assembly of this.#assemblies.values()) clearTimeout(assembly.timer);
    this.#assemblies.clear();
  }

  #start(key: string, { deviceId, sn }: CatalogResponse): Assembly {
    this.#makeRoom(deviceId);
    const timer = setTimeout(() => {
      const assembly = this.#assemblies.get(key);
      this.#options.logger.warn(
        { deviceId, received: assembly?.items.size, sumNum: assembly?.sumNum },
        'catalog incomplete',
      );
      void this.#complete(key, deviceId);
    }, this.#options.waitMs ?? 30_000);
    timer.unref();
    const assembly: Assembly = { deviceId, sn, sumNum: 0, items: new Map(), timer };
    this.#assemblies.set(key, assembly);
    return assembly;
  }

  /** Abandons the device's oldest assemblies past CATALOG_MAX_PENDING_PER_DEVICE - 1. */
  #makeRoom(deviceId: string): void {
    const pending = [...this.#assemblies].filter(([, a]) => a.deviceId === deviceId);
    const excess = pending.length - (CATALOG_MAX_PENDING_PER_DEVICE - 1);
    // Map order is insertion order: the oldest come first.
    for (const [key, assembly] of pending.slice(0, Math.max(0, excess))) {
      clearTimeout(assembly.timer);
      this.#assemblies.delete(key);
      const { sn, sumNum } = assembly;
      this.#abandoned.record({ deviceId, sn, received: assembly.items.size, sumNum });
    }
  }

  async #complete(key: string, deviceId: string): Promise<void> {
    const assembly = this.#assemblies.get(key);
    if (assembly === undefined) return;
    clearTimeout(assembly.timer);
    this.#assemblies.delete(key);

    const channels = [...assembly.items.values()].filter((c) => isPlayable(c.channelId));
    const at = this.#options.now();
    try {
      await this.#options.commands.run(deviceId, (d) => decideCatalog(d, { channels, at }));
      this.#options.logger.info({ deviceId, channels: channels.length }, 'catalog received');
    } catch (err) {
      this.#options.logger.error({ err, deviceId }, 'catalog not recorded');
    }
  }
}

/**
 * Type codes (GB/T 28181-2016 Annex D, digits 11–13 of an ID) of catalog items that are not
 * video channels: alarm and audio endpoints, the SIP server, business groups, virtual
 * organisations. Devices use 131 and 132 and sometimes others for video, so the rest stay.
 */
const notVideoTypes = new Set([134, 135, 136, 137, 200, 215, 216]);

function isPlayable(id: string): boolean {
  return !(/^\d{20}$/.test(id) && notVideoTypes.has(Number(id.slice(10, 13))));
}

function toChannel(item: CatalogResponse['items'][number]): ChannelInfo {
  const channel: {
    -readonly [K in keyof ChannelInfo]: ChannelInfo[K];
  } = {
    channelId: item.deviceId,
    name: item.name,
    status: String(item.status).toUpperCase() === 'OFF' ? 'OFF' : 'ON',
  };
  if (item.manufacturer !== undefined) channel.manufacturer = item.manufacturer;
  if (item.model !== undefined) channel.model = item.model;
  if (item.parentId !== undefined) channel.parentId = item.parentId;
  return channel;
}
