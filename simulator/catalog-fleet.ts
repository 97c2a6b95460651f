/**
 * The simulated device's catalog as real fleets send it (GB/T 28181-2016 §A.2.6.4): split
 * into MESSAGEs of a few items (or one), optionally shuffled and partly sent twice, with
 * names in GB2312, GBK-only characters, or UTF-8 under a GB2312 declaration.
 */
import iconv from 'iconv-lite';

import { withGbIdTypeAndSerial } from '../media-node/formats/gb-id.ts';
import { buildCatalogResponse, type CatalogItem } from '../media-node/formats/manscdp.ts';
import type { CatalogFleetOptions, ChannelNames } from './catalog-flags.ts';
import type { EmitEvent } from './events.ts';

export const DEFAULT_CATALOG: CatalogFleetOptions = {
  perMessage: 4,
  shuffle: false,
  duplicates: 0,
  names: 'default',
};

/** Channel `index` (from 0)'s name: 堃 and 喆 are in GBK but not in GB2312. */
export function channelName(index: number, names: ChannelNames): string {
  if (names === 'default') return `通道${index + 1}`;
  return index % 2 === 0 ? `仓库${index + 1}号摄像机` : `堃喆通道${index + 1}`;
}

/**
 * A MANSCDP body in the encoding `names` asks for: as built (GB18030 bytes, GB2312 declared),
 * or the same text as UTF-8 bytes under the same declaration.
 */
export function encodedAs(body: Uint8Array, names: ChannelNames): Uint8Array {
  if (names !== 'utf8') return body;
  return new TextEncoder().encode(iconv.decode(Buffer.from(body), 'gb18030'));
}

/** Channel `index` (from 0)'s catalog item under `deviceId`. */
export function catalogItem(
  deviceId: string,
  channelId: string,
  index: number,
  names: ChannelNames,
): CatalogItem {
  return {
    deviceId: channelId,
    name: channelName(index, names),
    manufacturer: 'Argus',
    model: 'Simulator',
    civilCode: deviceId.slice(0, 6),
    parentId: deviceId,
    parental: 0,
    status: 'ON',
  };
}

/** The ID of channel `index` (from 0): type 131 or 132 alternating, serial index + 1. */
export function channelIdAt(deviceId: string, index: number): string {
  return withGbIdTypeAndSerial(deviceId, index % 2 === 0 ? 131 : 132, index + 1);
}

export interface CatalogSenderOptions {
  readonly deviceId: string;
  readonly channelIds: readonly string[];
  readonly catalog: CatalogFleetOptions;
  /** Sends a MANSCDP MESSAGE; resolves with the response status. */
  readonly send: (body: Uint8Array) => Promise<number>;
  readonly emit: EmitEvent;
  readonly random?: () => number;
}

export class CatalogSender {
  readonly #options: CatalogSenderOptions;

  constructor(options: CatalogSenderOptions) {
    this.#options = options;
  }

  /** Answers the Catalog query `sn`: every page once, some twice, in the configured order. */
  async send(sn: number): Promise<void> {
    const bodies = this.#pages(sn);
    const { duplicates, shuffle } = this.#options.catalog;
    const random = this.#options.random ?? Math.random;
    const sent = [...bodies, ...bodies.filter(() => random() < duplicates)];
    if (shuffle) shuffleInPlace(sent, random);
    for (const body of sent) await this.#options.send(body);
    const sumNum = this.#options.channelIds.length;
    const duplicated = sent.length - bodies.length;
    this.#options.emit({ event: 'catalog_sent', sn, sumNum, messages: sent.length, duplicated });
  }

  #pages(sn: number): Uint8Array[] {
    const { deviceId, channelIds, catalog } = this.#options;
    const items = channelIds.map((id, i) => catalogItem(deviceId, id, i, catalog.names));
    const pages: Uint8Array[] = [];
    for (let i = 0; i < items.length; i += catalog.perMessage) {
      const page = items.slice(i, i + catalog.perMessage);
      const body = buildCatalogResponse({ deviceId, sn, sumNum: items.length, items: page });
      pages.push(encodedAs(body, catalog.names));
    }
    return pages;
  }
}

/** Fisher–Yates. */
function shuffleInPlace<T>(list: T[], random: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = list[i] as T;
    list[i] = list[j] as T;
    list[j] = a;
  }
}
