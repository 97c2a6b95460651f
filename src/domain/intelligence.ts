/**
 * Intelligence data: analytics results that edge boxes and smart cameras report (a face, a
 * vehicle, a crossed line), each with a `data_id` of the sender, a type, a time, attributes
 * and up to three pictures kept in picture storage (storage/picture-storage.ts).
 *
 * One stream per device, `intelligence-<deviceId>`, apart from `device-<deviceId>` for the
 * reason alarms are (alarm.ts): results arrive often and change nothing a device command
 * decides on. Per device rather than per day, so that the log holds each device's results
 * in order (delivery is in order per device) and a device's stream name is known without a
 * clock. Appends read nothing (expected revision `any`); a repeated `data_id` is caught by the
 * event id, derived from the tenant and the `data_id`, which the event store keeps unique.
 */
import { ArgusError, errorCodes } from '../errors.ts';
import { BEIJING_OFFSET_MINUTES, isoWithOffset, parseLocalTime } from './local-time.ts';

export const pictureTypes = ['original', 'background', 'panorama'] as const;
export type PictureType = (typeof pictureTypes)[number];

/** A stored picture, as the event names it. */
export interface PictureRef {
  readonly key: string;
  readonly contentType: string;
  readonly size: number;
}

export interface IntelligenceDataReceived {
  readonly type: 'IntelligenceDataReceived';
  readonly data: {
    readonly dataId: string;
    /** The tenant that reported it (and owned the device then). */
    readonly userId: string;
    readonly deviceId: string;
    readonly channelId: string;
    readonly dataType: string;
    /** When it happened: ISO 8601 with the sender's offset (+08:00 where it gave none). */
    readonly time: string;
    readonly attributes: Readonly<Record<string, unknown>>;
    readonly pictures: Readonly<Partial<Record<PictureType, PictureRef>>>;
    /** The alarm the result belongs to, where the sender named one. */
    readonly alarmId?: string;
    readonly receivedAt: string;
  };
}

export type IntelligenceEvent = IntelligenceDataReceived;

export const intelligenceEventTypes: readonly IntelligenceEvent['type'][] = [
  'IntelligenceDataReceived',
];

/** `data_id` and `alarm_id`: they become part of picture keys and URLs. */
export const dataIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** `data_type`: `FACE`, `VEHICLE`, `PERSON`, or whatever the analytics call it. */
export const dataTypePattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** Largest `attributes` object, as JSON text. */
export const maxAttributesBytes = 16 * 1024;

export function intelligenceStreamName(deviceId: string): string {
  return `intelligence-${deviceId}`;
}

/** The device whose results a stream holds, undefined for other streams. */
export function deviceIdOfIntelligenceStream(streamName: string): string | undefined {
  const prefix = 'intelligence-';
  return streamName.startsWith(prefix) ? streamName.slice(prefix.length) : undefined;
}

/**
 * The event id of a tenant's `data_id`: a UUID made from SHA-256 of both, so that the same
 * `data_id` sent again is the same event, which the store keeps once.
 */
export async function intelligenceEventId(userId: string, dataId: string): Promise<string> {
  const text = new TextEncoder().encode(`intelligence\n${userId}\n${dataId}`);
  const hex = await sha256Hex(text);
  // RFC 9562 §5.8: version 8 (custom), variant 10.
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

/** SHA-256 of `bytes`, hex. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Where a picture is stored: by tenant and `data_id`, and by a hash of its bytes, so that a
 * `data_id` sent again with other pictures never overwrites those its event names.
 */
export function pictureKey(
  userId: string,
  dataId: string,
  type: PictureType,
  sha256: string,
  extension: string,
): string {
  return `intelligence/${userId}/${dataId}/${type}-${sha256.slice(0, 16)}.${extension}`;
}

/** What the read model knows of a `data_id` already recorded for the tenant. */
export interface RecordedData {
  readonly deviceId: string;
}

export interface ReportIntelligenceData {
  readonly userId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly dataId: string;
  readonly dataType: string;
  /** As sent: ISO 8601, zone-less meaning Beijing time. */
  readonly time: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly pictures: Readonly<Partial<Record<PictureType, PictureRef>>>;
  readonly alarmId?: string | undefined;
  readonly receivedAt: Date;
}

/**
 * Records one result. A `data_id` already recorded for the same device records nothing (the
 * sender retried); one recorded for another device of the tenant is refused.
 * @throws ArgusError VALIDATION for a malformed id, type, time or attributes too large;
 * CONFLICT where the `data_id` belongs to another device
 */
export function decideIntelligenceData(
  recorded: RecordedData | undefined,
  command: ReportIntelligenceData,
): IntelligenceEvent[] {
  const { dataId } = command;
  if (recorded !== undefined) {
    if (recorded.deviceId === command.deviceId) return [];
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot record intelligence data ${dataId}: already recorded for device ${recorded.deviceId}`,
      { dataId, deviceId: recorded.deviceId },
    );
  }
  validate(command);
  const time = readTime(command.time, dataId);
  return [
    {
      type: 'IntelligenceDataReceived',
      data: {
        dataId,
        userId: command.userId,
        deviceId: command.deviceId,
        channelId: command.channelId,
        dataType: command.dataType,
        time,
        attributes: command.attributes,
        pictures: command.pictures,
        ...(command.alarmId === undefined ? {} : { alarmId: command.alarmId }),
        receivedAt: command.receivedAt.toISOString(),
      },
    },
  ];
}

function validate(command: ReportIntelligenceData): void {
  const { dataId } = command;
  const fail = (reason: string) =>
    new ArgusError(errorCodes.VALIDATION, `Cannot record intelligence data ${dataId}: ${reason}`);
  if (!dataIdPattern.test(dataId)) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      'Cannot record intelligence data: data_id must be 1 to 64 letters, digits, _ or -',
    );
  }
  if (command.alarmId !== undefined && !dataIdPattern.test(command.alarmId)) {
    throw fail('alarm_id must be 1 to 64 letters, digits, _ or -');
  }
  if (!dataTypePattern.test(command.dataType)) {
    throw fail(`data_type must be 1 to 64 letters, digits, _, . or -: ${command.dataType}`);
  }
  const size = new TextEncoder().encode(JSON.stringify(command.attributes)).length;
  if (size > maxAttributesBytes) {
    throw fail(`attributes are larger than ${maxAttributesBytes} bytes as JSON: ${size}`);
  }
}

/** The time with its own offset, or in Beijing time where it has none. */
function readTime(text: string, dataId: string): string {
  const at = parseLocalTime(text, BEIJING_OFFSET_MINUTES);
  if (at === undefined) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot record intelligence data ${dataId}: time must be ` +
        `YYYY-MM-DDTHH:MM:SS[.mmm][offset]: ${text}`,
    );
  }
  return isoWithOffset(at, offsetMinutesOf(text) ?? BEIJING_OFFSET_MINUTES);
}

function offsetMinutesOf(text: string): number | undefined {
  const zone = /(Z|[+-]\d{2}:?\d{2})$/.exec(text.trim())?.[1];
  if (zone === undefined) return undefined;
  if (zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return digits.startsWith('-') ? -minutes : minutes;
}
