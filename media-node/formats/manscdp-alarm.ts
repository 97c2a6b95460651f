/**
 * MANSCDP alarms (GB/T 28181-2016 §9.4, §A.2.5.4 Notify Alarm, §A.2.6.8 its Response): reading
 * what a device reports, where any field but DeviceID may be missing, empty or the literal
 * "null", and building the Notify (for the simulator) and the platform's Response. Pure.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { buildManscdpBody, childText, type ManscdpMessage, type XmlElement } from './manscdp.ts';

/** What one Alarm Notify says; every field but `sourceId` and `sn` may be absent. */
export interface AlarmNotify {
  /** The body's DeviceID: the alarm source, a channel or the device itself. */
  readonly sourceId: string;
  readonly sn: number;
  /** AlarmPriority: 1 (first level, the most urgent) to 4. */
  readonly priority?: number;
  /** AlarmMethod: 1 telephone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other. */
  readonly method?: number;
  /** Info/AlarmType (its meaning depends on the method), or AlarmType beside it. */
  readonly type?: number;
  /** Info/AlarmTypeParam/EventType (1 entering, 2 leaving an area, for video alarms). */
  readonly eventType?: number;
  /** AlarmTime as written: `YYYY-MM-DDTHH:MM:SS`, the device's local time. */
  readonly time?: string;
  readonly longitude?: number;
  readonly latitude?: number;
  readonly description?: string;
}

/** Longest AlarmDescription kept; the rest is cut (a device's free text, not ours to store). */
export const ALARM_DESCRIPTION_MAX_CHARS = 256;

function text(node: Record<string, unknown>, name: string): string | undefined {
  const value = childText(node, name)?.trim();
  return value === undefined || value === '' || value.toLowerCase() === 'null' ? undefined : value;
}

function integer(node: Record<string, unknown>, name: string): number | undefined {
  const value = text(node, name);
  return value !== undefined && /^\d{1,6}$/.test(value) ? Number(value) : undefined;
}

/** A coordinate within `limit` degrees; 0 (devices without a position write it) counts too. */
function coordinate(node: Record<string, unknown>, name: string, limit: number) {
  const value = Number(text(node, name) ?? Number.NaN);
  return Number.isFinite(value) && Math.abs(value) <= limit ? value : undefined;
}

function child(node: Record<string, unknown>, name: string): Record<string, unknown> {
  const key = Object.keys(node).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : node[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Reads a Notify Alarm. Fields that cannot be read are left out rather than refused: the
 * alarm itself is the fact worth keeping.
 * @throws ArgusError MANSCDP_MALFORMED where the message is not a Notify of CmdType Alarm
 */
export function readAlarmNotify(m: ManscdpMessage): AlarmNotify {
  if (m.root !== 'Notify' || m.cmdType.toLowerCase() !== 'alarm') {
    throw new ArgusError(
      errorCodes.MANSCDP_MALFORMED,
      `Cannot read Alarm: expected Notify Alarm: ${m.root} ${m.cmdType}`,
    );
  }
  const fields = m.fields;
  const info = child(fields, 'Info');
  const alarm: Record<string, unknown> = { sourceId: m.deviceId, sn: m.sn };
  const optional: Record<keyof Omit<AlarmNotify, 'sourceId' | 'sn'>, unknown> = {
    priority: integer(fields, 'AlarmPriority'),
    method: integer(fields, 'AlarmMethod'),
    type: integer(info, 'AlarmType') ?? integer(fields, 'AlarmType'),
    eventType: integer(child(info, 'AlarmTypeParam'), 'EventType'),
    time: text(fields, 'AlarmTime'),
    longitude: coordinate(fields, 'Longitude', 180),
    latitude: coordinate(fields, 'Latitude', 90),
    description: text(fields, 'AlarmDescription')?.slice(0, ALARM_DESCRIPTION_MAX_CHARS),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) alarm[key] = value;
  }
  return alarm as unknown as AlarmNotify;
}

/** A Notify Alarm with the fields given (§A.2.5.4): what a device sends. */
export function buildAlarmNotify(alarm: AlarmNotify): Uint8Array {
  const children: XmlElement[] = [];
  if (alarm.priority !== undefined) children.push(['AlarmPriority', alarm.priority]);
  if (alarm.method !== undefined) children.push(['AlarmMethod', alarm.method]);
  if (alarm.time !== undefined) children.push(['AlarmTime', alarm.time]);
  if (alarm.description !== undefined) children.push(['AlarmDescription', alarm.description]);
  if (alarm.longitude !== undefined) children.push(['Longitude', alarm.longitude]);
  if (alarm.latitude !== undefined) children.push(['Latitude', alarm.latitude]);
  const info: XmlElement[] = [];
  if (alarm.type !== undefined) info.push(['AlarmType', alarm.type]);
  if (alarm.eventType !== undefined) {
    info.push(['AlarmTypeParam', [['EventType', alarm.eventType]]]);
  }
  if (info.length > 0) children.push(['Info', info]);
  return buildManscdpBody('Notify', 'Alarm', alarm.sn, alarm.sourceId, children);
}

/** The platform's answer to an alarm (§9.4.2, §A.2.6.8): Response Alarm, Result OK. */
export function buildAlarmResponse(sn: number, sourceId: string): Uint8Array {
  return buildManscdpBody('Response', 'Alarm', sn, sourceId, [['Result', 'OK']]);
}
