/**
 * RecordInfo (GB/T 28181-2016 §A.2.4.5 query, §A.2.6.6 response): the platform asks a device
 * for the recordings of a channel in a time range; the device answers in one or more
 * MESSAGEs, each with the total `SumNum` and a `RecordList Num=` of some items. Pure: builds
 * the query's children and reads one answer page.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { formatGbDate, parseGbDate } from '../formats/gb-date.ts';
import { childText, type ManscdpMessage, type XmlElement } from '../formats/manscdp.ts';

/** Most recordings one answer may hold: a flood of pages cannot grow the node's memory. */
export const RECORD_INFO_MAX_ITEMS = 10_000;

/** One recording as the device lists it; times as the device wrote them (its local time). */
export interface RecordItem {
  /** The channel (or the device) the recording is of. */
  readonly deviceId: string;
  readonly name: string;
  readonly filePath: string;
  readonly address: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly secrecy: string;
  /** time, alarm, manual or all, as the device says. */
  readonly type: string;
  readonly recorderId: string;
  /** Bytes, where the device says (2022 edition). */
  readonly fileSize?: number;
}

/** One MESSAGE of an answer. */
export interface RecordInfoPage {
  readonly deviceId: string;
  readonly sn: number;
  readonly sumNum: number;
  readonly items: readonly RecordItem[];
}

function malformed(reason: string): ArgusError {
  return new ArgusError(errorCodes.MANSCDP_MALFORMED, `Cannot read RecordInfo: ${reason}`);
}

/**
 * The children of a RecordInfo Query after its DeviceID (the channel): the range in the
 * device's local time, `offsetMinutes` east of UTC, and Type `all`.
 */
export function recordInfoQuery(start: Date, end: Date, offsetMinutes: number): XmlElement[] {
  const gb = (d: Date) => formatGbDate(d, offsetMinutes).slice(0, 19);
  return [
    ['StartTime', gb(start)],
    ['EndTime', gb(end)],
    ['Secrecy', 0],
    ['Type', 'all'],
  ];
}

/**
 * Reads one RecordInfo Response page. Empty optional fields and `null` literals become ''.
 * @throws ArgusError MANSCDP_MALFORMED where SumNum is missing or an item has no StartTime
 *   or EndTime; MANSCDP_TOO_LARGE past RECORD_INFO_MAX_ITEMS
 */
export function readRecordInfoPage(message: ManscdpMessage): RecordInfoPage {
  const sumNumText = childText(message.fields, 'SumNum')?.trim() ?? '';
  if (!/^\d{1,9}$/.test(sumNumText)) {
    throw malformed(`invalid SumNum: ${JSON.stringify(sumNumText.slice(0, 20))}`);
  }
  const sumNum = Number(sumNumText);
  const raw = listItems(message.fields['RecordList']);
  if (Math.max(sumNum, raw.length) > RECORD_INFO_MAX_ITEMS) {
    throw new ArgusError(
      errorCodes.MANSCDP_TOO_LARGE,
      `Cannot read RecordInfo: too many items: ${Math.max(sumNum, raw.length)} > ` +
        `${RECORD_INFO_MAX_ITEMS}`,
    );
  }
  const items = raw.map((item, index) => readItem(item, index, message.deviceId));
  return { deviceId: message.deviceId, sn: message.sn, sumNum, items };
}

/**
 * A device's time `YYYY-MM-DDTHH:MM:SS` (some write a space for the T) in its local zone,
 * `offsetMinutes` east of UTC.
 * @throws ArgusError VALIDATION where it is not such a time
 */
export function parseDeviceTime(text: string, offsetMinutes: number): Date {
  return parseGbDate(text.trim().replace(' ', 'T'), offsetMinutes);
}

/** What makes two listed recordings the same one (a page sent twice lists it twice). */
export function recordKey(item: RecordItem): string {
  return [item.deviceId, item.startTime, item.endTime, item.filePath, item.type].join('|');
}

function listItems(list: unknown): unknown[] {
  if (typeof list !== 'object' || list === null) return [];
  const items = (list as Record<string, unknown>)['Item'];
  if (items === undefined) return [];
  return Array.isArray(items) ? items : [items];
}

function readItem(raw: unknown, index: number, fallbackId: string): RecordItem {
  const node = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const text = (name: string) => {
    const value = childText(node, name)?.trim() ?? '';
    return value.toLowerCase() === 'null' ? '' : value;
  };
  const startTime = text('StartTime');
  const endTime = text('EndTime');
  if (startTime === '' || endTime === '') {
    throw malformed(`Item ${index + 1} has no StartTime or EndTime`);
  }
  const size = Number(text('FileSize') || Number.NaN);
  return {
    deviceId: text('DeviceID') || fallbackId,
    name: text('Name'),
    filePath: text('FilePath'),
    address: text('Address'),
    startTime,
    endTime,
    secrecy: text('Secrecy'),
    type: text('Type'),
    recorderId: text('RecorderID'),
    ...(Number.isSafeInteger(size) && size >= 0 ? { fileSize: size } : {}),
  };
}
