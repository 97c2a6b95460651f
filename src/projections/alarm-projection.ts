/**
 * Alarms as the API lists them: one row per DeviceAlarmReceived, with the enterprise that
 * owned the device when it was recorded. Owners come from DeviceAdded, kept by this projection
 * itself: with its own checkpoint it may run ahead of `read-models` during a rebuild, so it
 * cannot rely on the `devices` rows. An alarm of a device never added is not listed.
 */
import type { AlarmEvent } from '../domain/alarm.ts';
import type { DeviceEvent } from '../domain/device.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import { alarmsDb } from '../read-models/alarm-queries.ts';
import type { Projection } from './projection.ts';

type DeviceAdded = Extract<DeviceEvent, { type: 'DeviceAdded' }>['data'];

export const alarmProjection: Projection = {
  name: 'alarms',
  async apply(trx, event: RecordedEvent) {
    const db = alarmsDb(trx);
    if (event.type === 'DeviceAdded') {
      const { deviceId, userId } = event.data as unknown as DeviceAdded;
      await db
        .insertInto('alarm_device_owners')
        .values({ device_id: deviceId, user_id: userId })
        .onConflict((oc) => oc.column('device_id').doUpdateSet({ user_id: userId }))
        .execute();
      return;
    }
    if (event.type !== 'DeviceAlarmReceived') return;

    const data = event.data as unknown as AlarmEvent['data'];
    const owner = await db
      .selectFrom('alarm_device_owners')
      .select('user_id')
      .where('device_id', '=', data.deviceId)
      .executeTakeFirst();
    if (owner === undefined) return;
    await db
      .insertInto('alarms')
      .values({
        alarm_id: data.alarmId,
        position: event.globalPosition,
        user_id: owner.user_id,
        device_id: data.deviceId,
        channel_id: data.channelId,
        priority: data.priority ?? null,
        method: data.method ?? null,
        alarm_type: data.alarmType ?? null,
        event_type: data.eventType ?? null,
        alarm_time: data.alarmTime,
        alarm_at: new Date(data.alarmTime).toISOString(),
        device_time: data.deviceTime ?? null,
        longitude: data.longitude ?? null,
        latitude: data.latitude ?? null,
        description: data.description ?? null,
        received_at: data.receivedAt,
      })
      .onConflict((oc) => oc.column('alarm_id').doNothing())
      .execute();
  },
};
