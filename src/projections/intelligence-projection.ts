/**
 * Intelligence data as the API lists it: one row per IntelligenceDataReceived. The event
 * names its tenant (the API checked the device was the tenant's when it was reported), so
 * this projection needs no other's rows.
 */
import type { IntelligenceEvent } from '../domain/intelligence.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import { intelligenceDb } from '../read-models/intelligence-queries.ts';
import type { Projection } from './projection.ts';

export const intelligenceProjection: Projection = {
  name: 'intelligence',
  async apply(trx, event: RecordedEvent) {
    if (event.type !== 'IntelligenceDataReceived') return;
    const data = event.data as unknown as IntelligenceEvent['data'];
    await intelligenceDb(trx)
      .insertInto('intelligence_data')
      .values({
        user_id: data.userId,
        data_id: data.dataId,
        position: event.globalPosition,
        device_id: data.deviceId,
        channel_id: data.channelId,
        data_type: data.dataType,
        data_time: data.time,
        data_at: new Date(data.time).toISOString(),
        attributes: JSON.stringify(data.attributes),
        pictures: JSON.stringify(data.pictures),
        alarm_id: data.alarmId ?? null,
        received_at: data.receivedAt,
      })
      .onConflict((oc) => oc.columns(['user_id', 'data_id']).doNothing())
      .execute();
  },
};
