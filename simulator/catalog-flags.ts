/**
 * The simulator's flags for large catalogs, catalog changes and alarms: how the catalog is
 * split, shuffled, duplicated and named, when a catalog NOTIFY is sent, how often an alarm.
 */

/** How channel names are written and sent. */
export type ChannelNames =
  /** `通道N`, sent GB2312-encoded (the default). */
  | 'default'
  /** Names with GBK-only characters (堃, 喆, beyond GB2312), sent GBK-encoded. */
  | 'gbk'
  /** The same names sent as UTF-8 under a GB2312 declaration, as some devices do. */
  | 'utf8';

export interface CatalogFleetOptions {
  /** Items per Catalog MESSAGE. */
  readonly perMessage: number;
  /** Send the MESSAGEs in a random order. */
  readonly shuffle: boolean;
  /** Share of MESSAGEs sent twice (0..1). */
  readonly duplicates: number;
  readonly names: ChannelNames;
}

export interface FleetFlags {
  readonly catalog: CatalogFleetOptions;
  /** Seconds after a catalog SUBSCRIBE at which a NOTIFY with changes is sent, if any. */
  readonly notifyAfter?: number;
  /** Seconds between alarms, if any are sent. */
  readonly alarmEvery?: number;
}

export const FLEET_OPTIONS = {
  'catalog-per-message': { type: 'string' },
  'catalog-shuffle': { type: 'boolean' },
  'catalog-duplicates': { type: 'string' },
  names: { type: 'string' },
  'notify-after': { type: 'string' },
  'alarm-every': { type: 'string' },
} as const;

export const FLEET_USAGE =
  '  [--catalog-per-message 4] [--catalog-shuffle] [--catalog-duplicates 0.1]\n' +
  '  [--names default|gbk|utf8] [--notify-after S] [--alarm-every S]';

/**
 * Reads the flags through `get` (flag value or environment).
 * @throws Error naming the flag where a value is out of range
 */
export function readFleetFlags(
  get: (flag: Exclude<keyof typeof FLEET_OPTIONS, 'catalog-shuffle'>) => string | undefined,
  shuffle: boolean,
): FleetFlags {
  const names = get('names') ?? 'default';
  if (names !== 'default' && names !== 'gbk' && names !== 'utf8') {
    throw new Error(`Cannot start: --names is not default, gbk or utf8: ${names}`);
  }
  const catalog: CatalogFleetOptions = {
    perMessage: Math.trunc(number(get('catalog-per-message') ?? '4', 'catalog-per-message', 1, 64)),
    shuffle,
    duplicates: number(get('catalog-duplicates') ?? '0', 'catalog-duplicates', 0, 1),
    names,
  };
  const notifyAfter = get('notify-after');
  const alarmEvery = get('alarm-every');
  return {
    catalog,
    ...(notifyAfter === undefined
      ? {}
      : { notifyAfter: number(notifyAfter, 'notify-after', 0, 3600) }),
    ...(alarmEvery === undefined
      ? {}
      : { alarmEvery: number(alarmEvery, 'alarm-every', 0.1, 3600) }),
  };
}

function number(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`Cannot start: --${flag} is not a number in ${min}..${max}: ${value}`);
  }
  return n;
}
