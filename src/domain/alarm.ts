/**
 * Alarms devices report (GB/T 28181-2016 §9.4): plain facts, one event each, on the stream
 * `alarms-<deviceId>`, never on `device-<deviceId>`. Every device command reads and folds the
 * whole device stream, so a device that reports an alarm a second (a motion detector in a
 * busy street) would make every REGISTER and keepalive slower there; an alarm changes no
 * state a command decides on, so it is appended without reading its own stream at all
 * (expected revision `any`), and the stream's length costs nothing but storage.
 */
import { isoWithOffset, parseLocalTime } from './local-time.ts';

/** What a device's Alarm Notify carried, already read; only the source is certain. */
export interface AlarmReport {
  /** The body's DeviceID: a channel of the device, or the device itself. */
  readonly sourceId: string;
  readonly priority?: number | undefined;
  readonly method?: number | undefined;
  readonly type?: number | undefined;
  readonly eventType?: number | undefined;
  /** AlarmTime as the device wrote it: its local time, usually without a zone. */
  readonly time?: string | undefined;
  readonly longitude?: number | undefined;
  readonly latitude?: number | undefined;
  readonly description?: string | undefined;
}

export interface DeviceAlarmReceived {
  readonly type: 'DeviceAlarmReceived';
  readonly data: {
    /** Unique per alarm; repeated by a retransmission of the same MESSAGE. */
    readonly alarmId: string;
    readonly deviceId: string;
    readonly channelId: string;
    readonly priority?: number;
    readonly method?: number;
    readonly alarmType?: number;
    readonly eventType?: number;
    /**
     * When it happened (ISO 8601 with the device's offset): the device's AlarmTime where it
     * gave a readable one, otherwise when it was received.
     */
    readonly alarmTime: string;
    /** AlarmTime as written, where it could not be read. */
    readonly deviceTime?: string;
    readonly longitude?: number;
    readonly latitude?: number;
    readonly description?: string;
    readonly receivedAt: string;
  };
}

export type AlarmEvent = DeviceAlarmReceived;

export const alarmEventTypes: readonly AlarmEvent['type'][] = ['DeviceAlarmReceived'];

/** The stream of one device's alarms. */
export function alarmStreamName(deviceId: string): string {
  return `alarms-${deviceId}`;
}

/** The device whose alarms a stream holds, undefined for other streams. */
export function deviceIdOfAlarmStream(streamName: string): string | undefined {
  return streamName.startsWith('alarms-') ? streamName.slice('alarms-'.length) : undefined;
}

/**
 * The event of one alarm report. The device's clock runs in the zone `offsetMinutes` east of
 * UTC (the platform sets it through the REGISTER `Date:`), so a zone-less AlarmTime is read
 * in it; an unreadable one is kept as written and the time received stands in for it.
 */
export function decideAlarm(command: {
  alarmId: string;
  deviceId: string;
  report: AlarmReport;
  receivedAt: Date;
  offsetMinutes: number;
}): AlarmEvent[] {
  const { report, offsetMinutes } = command;
  const parsed = report.time === undefined ? undefined : parseLocalTime(report.time, offsetMinutes);
  const optional = {
    priority: report.priority,
    method: report.method,
    alarmType: report.type,
    eventType: report.eventType,
    deviceTime: parsed === undefined ? report.time : undefined,
    longitude: report.longitude,
    latitude: report.latitude,
    description: report.description,
  };
  return [
    {
      type: 'DeviceAlarmReceived',
      data: {
        alarmId: command.alarmId,
        deviceId: command.deviceId,
        channelId: report.sourceId,
        alarmTime: isoWithOffset(parsed ?? command.receivedAt, offsetMinutes),
        ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
        receivedAt: command.receivedAt.toISOString(),
      },
    },
  ];
}
