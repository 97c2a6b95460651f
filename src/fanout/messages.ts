/**
 * Messages out: the envelope every callback post and every SSE event carries, and which events
 * of the log become which message. A message's id is the global position of its event, as a
 * decimal string, so it is the same on every delivery, replay and stream (de-duplication) and
 * is safe for JavaScript however long the log grows; `ivm_message_id` repeats it as a number
 * (the IVM form) only while it is below 2^53.
 */
import { deviceIdOfAlarmStream, type AlarmEvent } from '../domain/alarm.ts';
import type { DeviceEvent } from '../domain/device.ts';
import {
  deviceIdOfIntelligenceStream,
  pictureTypes,
  type IntelligenceEvent,
} from '../domain/intelligence.ts';
import type { MessageType } from '../domain/subscription.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';

export interface MessageEnvelope {
  readonly message_id: string;
  readonly ivm_message_id?: number;
  readonly message_type: MessageType;
  readonly data: Readonly<Record<string, unknown>>;
  readonly test: boolean;
}

/** An event of the log as a message about one device. */
export interface DeviceMessage {
  readonly messageType: MessageType;
  readonly deviceId: string;
  readonly data: Readonly<Record<string, unknown>>;
}

type MessageEvent = DeviceEvent | AlarmEvent | IntelligenceEvent;
type Mappers = {
  [T in MessageEvent['type']]?: (data: Extract<MessageEvent, { type: T }>['data']) => DeviceMessage;
};

/**
 * The device events that are messages. A deleted device is `device_unbind`, delivered to the
 * tenant that owned it (device-owners.ts attributes an event to the owner at its position).
 */
const mappers: Mappers = {
  DeviceRegistered: (data) => deviceStatus('login', data.deviceId, data.at, 'ONLINE'),
  DeviceCameOnline: (data) => deviceStatus('login', data.deviceId, data.at, 'ONLINE'),
  DeviceUnregistered: (data) => deviceStatus('logout', data.deviceId, data.at, 'OFFLINE'),
  DeviceWentOffline: (data) =>
    deviceStatus('offline_reason_notice', data.deviceId, data.at, 'OFFLINE', {
      reason: data.reason,
    }),
  DeviceCatalogUpdated: (data) =>
    deviceStatus('channel_state_notice', data.deviceId, data.at, undefined, {
      channels: data.channels.map((channel) => ({
        channel_id: channel.channelId,
        channel_name: channel.name,
        channel_state: channel.status === 'ON' ? 'ONLINE' : 'OFFLINE',
      })),
    }),
  DeviceDeleted: (data) => ({
    messageType: 'device_unbind',
    deviceId: data.deviceId,
    data: { device_id: data.deviceId, occur_time: data.at },
  }),
  DeviceAlarmReceived: (data) => ({
    messageType: 'device_alarm',
    deviceId: data.deviceId,
    data: {
      alarm_id: data.alarmId,
      device_id: data.deviceId,
      channel_id: data.channelId,
      alarm_priority: data.priority ?? null,
      alarm_method: data.method ?? null,
      alarm_type: data.alarmType ?? null,
      event_type: data.eventType ?? null,
      alarm_time: data.alarmTime,
      longitude: data.longitude ?? null,
      latitude: data.latitude ?? null,
      alarm_description: data.description ?? null,
      occur_time: data.alarmTime,
    },
  }),
  // Pictures are not in the message: fetched by data_id (intelligence-data/pictures).
  IntelligenceDataReceived: (data) => ({
    messageType: 'intelligence_data',
    deviceId: data.deviceId,
    data: {
      data_id: data.dataId,
      data_type: data.dataType,
      device_id: data.deviceId,
      channel_id: data.channelId,
      attributes: data.attributes,
      picture_types: pictureTypes.filter((type) => data.pictures[type] !== undefined),
      alarm_id: data.alarmId ?? null,
      occur_time: data.time,
    },
  }),
};

function deviceStatus(
  eventType: 'login' | 'logout' | 'channel_state_notice' | 'offline_reason_notice',
  deviceId: string,
  at: string,
  deviceState: 'ONLINE' | 'OFFLINE' | undefined,
  extra: Record<string, unknown> = {},
): DeviceMessage {
  const state = deviceState === undefined ? {} : { device_state: deviceState };
  return {
    messageType: 'device_status',
    deviceId,
    data: { event_type: eventType, device_id: deviceId, ...state, ...extra, occur_time: at },
  };
}

/** The message an event of the log makes, undefined for events that are not messages. */
export function messageOf(event: RecordedEvent): DeviceMessage | undefined {
  const fromDevice = event.streamName.startsWith('device-');
  const fromFacts =
    deviceIdOfAlarmStream(event.streamName) !== undefined ||
    deviceIdOfIntelligenceStream(event.streamName) !== undefined;
  if (!fromDevice && !fromFacts) return undefined;
  const mapper = mappers[event.type as MessageEvent['type']] as
    ((data: unknown) => DeviceMessage) | undefined;
  return mapper?.(event.data);
}

/** The message id of the event at a global position. */
export function messageId(position: number): string {
  return String(position);
}

/**
 * The global position a message id names.
 * @returns undefined where the id is not a message id Argus gave
 */
export function positionOfMessageId(id: string): number | undefined {
  if (!/^[1-9]\d{0,17}$/.test(id)) return undefined;
  const position = Number(id);
  return Number.isSafeInteger(position) ? position : undefined;
}

/** The envelope of the message made by the event at `position`. */
export function envelope(position: number, message: DeviceMessage): MessageEnvelope {
  return {
    message_id: messageId(position),
    ...(Number.isSafeInteger(position) ? { ivm_message_id: position } : {}),
    message_type: message.messageType,
    data: message.data,
    test: false,
  };
}

/** The message a callback URL must answer 200 to when registered. */
export function testEnvelope(id: string, messageType: MessageType): MessageEnvelope {
  return { message_id: id, message_type: messageType, data: {}, test: true };
}
