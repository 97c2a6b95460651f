/**
 * Assembles a device's catalog (GB/T 28181-2016 §A.2.6): the answer to one query arrives as
 * several MESSAGEs with the same SN, each with a DeviceList of some items, until SumNum items
 * are in. Pages may come in any order and more than once (UDP retransmissions, devices that
 * resend); items are kept per channel ID within the device, so two devices with the same
 * factory channel IDs never mix. A complete catalog replaces the device's channel list; an
 * incomplete one, recorded when the device stops sending, only adds to and updates it. Change
 * notifications (§A.2.5.5, a NOTIFY of the catalog subscription or a MESSAGE) are applied to
 * the known list.
 */
import { decideCatalog, type ChannelInfo, type Device } from '../../src/domain/device.ts';
import type { Logger } from '../../src/logger.ts';
import { CATALOG_MAX_ITEMS } from '../formats/limits.ts';
import type { CatalogItem, CatalogResponse } from '../formats/manscdp.ts';
import { DroppedMessageLog } from '../sip/dropped-messages.ts';
import type { DeviceCommands } from './device-commands.ts';

/**
 * Answers assembled at once per device. A device answers one query at a time; a device that
 * opens more (a new SN on every page, or a flood) loses the oldest instead of the node's
 * memory growing with every SN for the length of the wait.
 */
export const CATALOG_MAX_PENDING_PER_DEVICE = 4;

/** Completed answers remembered per device, so that their late duplicates are ignored. */
const COMPLETED_REMEMBERED_PER_DEVICE = 8;

interface Assembly {
  readonly deviceId: string;
  readonly sn: number;
  sumNum: number;
  readonly items: Map<string, ChannelInfo>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface CatalogCollectorOptions {
  readonly commands: DeviceCommands;
  readonly logger: Logger;
  readonly now: () => Date;
  /**
   * How long the collector waits for the next page of an answer before recording what it has
   * (reset by every page, so a long catalog may take longer in all).
   */
  readonly waitMs?: number;
  /**
   * The IDs that name the platform (its SIP server ID, its domain): an item whose ParentID is
   * one of them, or has none, hangs directly under the device that registered.
   */
  readonly platformIds?: readonly string[];
}

export class CatalogCollector {
  readonly #options: CatalogCollectorOptions;
  readonly #assemblies = new Map<string, Assembly>();
  /** Per device, the SNs of its latest completed answers, oldest first. */
  readonly #completed = new Map<string, number[]>();
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
    const { deviceId, sn } = response;
    if (this.#completed.get(deviceId)?.includes(sn) === true) return; // a late duplicate
    const key = `${deviceId}|${sn}`;
    const assembly = this.#assemblies.get(key) ?? this.#start(key, response);
    this.#restartTimer(key, assembly);
    assembly.sumNum = Math.min(response.sumNum, CATALOG_MAX_ITEMS);
    for (const item of response.items) {
      if (assembly.items.size >= CATALOG_MAX_ITEMS && !assembly.items.has(item.deviceId)) break;
      assembly.items.set(item.deviceId, this.#toChannel(deviceId, item));
    }
    if (assembly.items.size >= assembly.sumNum) await this.#complete(key, true);
  }

  /**
   * Applies a catalog change notification: ADD and UPDATE put the item in the list, DEL
   * takes it out, ON and OFF set its status (VLOST, video lost, and DEFECT count as OFF).
   * Items without a known event are ignored.
   */
  async applyChanges(deviceId: string, items: readonly CatalogItem[]): Promise<void> {
    const changes = items.filter((item) => isPlayable(item.deviceId));
    if (changes.length === 0) return;
    const at = this.#options.now();
    try {
      await this.#options.commands.run(deviceId, (device) =>
        decideCatalog(device, { channels: this.#changed(device, changes), at }),
      );
      this.#options.logger.info({ deviceId, changes: changes.length }, 'catalog changed');
    } catch (err) {
      this.#options.logger.error({ err, deviceId }, 'catalog change not recorded');
    }
  }

  close(): void {
    for (const assembly of this.#assemblies.values()) clearTimeout(assembly.timer);
    this.#assemblies.clear();
  }

  #changed(device: Device, changes: readonly CatalogItem[]): ChannelInfo[] {
    const channels = new Map(device.channels.map((c) => [c.channelId, c]));
    for (const item of changes) {
      const event = (item.event ?? '').toUpperCase();
      const known = channels.get(item.deviceId);
      if (event === 'DEL') channels.delete(item.deviceId);
      else if (event === 'ADD' || event === 'UPDATE') {
        const channel = this.#toChannel(device.deviceId, item);
        // An UPDATE may carry the changed fields only: the name stays where it has none.
        const name = channel.name === '' ? (known?.name ?? '') : channel.name;
        channels.set(item.deviceId, { ...channel, name });
      } else if (known !== undefined && ['ON', 'OFF', 'VLOST', 'DEFECT'].includes(event)) {
        channels.set(item.deviceId, { ...known, status: event === 'ON' ? 'ON' : 'OFF' });
      }
    }
    return [...channels.values()].slice(0, CATALOG_MAX_ITEMS);
  }

  #start(key: string, { deviceId, sn }: CatalogResponse): Assembly {
    this.#makeRoom(deviceId);
    const assembly: Assembly = { deviceId, sn, sumNum: 0, items: new Map(), timer: undefined };
    this.#assemblies.set(key, assembly);
    return assembly;
  }

  #restartTimer(key: string, assembly: Assembly): void {
    clearTimeout(assembly.timer);
    assembly.timer = setTimeout(() => {
      const { deviceId, items, sumNum } = assembly;
      this.#options.logger.warn({ deviceId, received: items.size, sumNum }, 'catalog incomplete');
      void this.#complete(key, false);
    }, this.#options.waitMs ?? 30_000);
    assembly.timer.unref();
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

  async #complete(key: string, complete: boolean): Promise<void> {
    const assembly = this.#assemblies.get(key);
    if (assembly === undefined) return;
    clearTimeout(assembly.timer);
    this.#assemblies.delete(key);
    const { deviceId, sn } = assembly;
    const completed = [...(this.#completed.get(deviceId) ?? []), sn];
    this.#completed.set(deviceId, completed.slice(-COMPLETED_REMEMBERED_PER_DEVICE));

    const received = [...assembly.items.values()].filter((c) => isPlayable(c.channelId));
    const at = this.#options.now();
    try {
      await this.#options.commands.run(deviceId, (device) =>
        decideCatalog(device, { channels: complete ? received : merged(device, received), at }),
      );
      this.#options.logger.info({ deviceId, channels: received.length }, 'catalog received');
    } catch (err) {
      this.#options.logger.error({ err, deviceId }, 'catalog not recorded');
    }
  }

  #toChannel(deviceId: string, item: CatalogItem): ChannelInfo {
    const platform = this.#options.platformIds ?? [];
    const parentId =
      item.parentId === undefined || platform.includes(item.parentId) ? deviceId : item.parentId;
    const channel: { -readonly [K in keyof ChannelInfo]: ChannelInfo[K] } = {
      channelId: item.deviceId,
      name: item.name,
      status: offStatuses.has(String(item.status).toUpperCase()) ? 'OFF' : 'ON',
      parentId,
    };
    if (item.manufacturer !== undefined) channel.manufacturer = item.manufacturer;
    if (item.model !== undefined) channel.model = item.model;
    return channel;
  }
}

/**
 * Status values of a channel that is not working. The standard writes ON and OFF; devices
 * also write ONLINE/OFFLINE and 1/0. Anything else, or nothing, is ON: the device listed it.
 */
const offStatuses = new Set(['OFF', 'OFFLINE', '0', 'VLOST', 'DEFECT']);

/** The known channels, with those received added or replacing them: nothing is removed. */
function merged(device: Device, received: readonly ChannelInfo[]): ChannelInfo[] {
  const channels = new Map(device.channels.map((c) => [c.channelId, c]));
  for (const channel of received) channels.set(channel.channelId, channel);
  return [...channels.values()].slice(0, CATALOG_MAX_ITEMS);
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
