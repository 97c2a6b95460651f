/**
 * Live stream usage as specifications: StreamUsageRecorded events in the log, the
 * stream_usage rows they project to, and the sums the usage query gives, on a real SQLite
 * file and on Postgres (skipped, with the reason, where none is reachable).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DeviceEvent, StreamUsage } from '../../../src/domain/device.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { readModelsProjection } from '../../../src/projections/read-models.ts';
import { sumStreamUsage } from '../../../src/read-models/queries.ts';
import { openTestDatabase, sqlEngines, type SqlEngine } from '../../support/sql-engines.ts';

const userId = '100000000000000001';
const otherUserId = '100000000000000002';
const cameraId = '34020000001320000001';
const otherCameraId = '34020000001320000009';
const channelId = '34020000001310000001';
const at = '2024-05-01T08:00:00.000Z';

const engines = await sqlEngines();

/** Opens a new empty database of `engine`. */
function connectOn(engine: SqlEngine) {
  return async () => {
    const db = await openTestDatabase(await engine.newDatabase());
    const store = new SqlEventStore({ db, dialect: engine.dialect });
    const runner = new ProjectionRunner({
      db,
      dialect: engine.dialect,
      store,
      projections: [readModelsProjection],
    });
    return { db, store, runner };
  };
}

const added = (deviceId: string, owner = userId): DeviceEvent => ({
  type: 'DeviceAdded',
  data: { deviceId, userId: owner, name: 'Gate', password: '12345678', at },
});

/** One minute of usage of call `callId` starting at minute `minute` after 08:00. */
function usage(minute: number, fields: Partial<StreamUsage> = {}): DeviceEvent {
  const start = Date.parse(at) + minute * 60_000;
  return {
    type: 'StreamUsageRecorded',
    data: {
      deviceId: cameraId,
      channelId,
      callId: 'call-1',
      bytesIn: 1000,
      viewers: [
        { protocol: 'HTTP_FLV', bytesOut: 900, seconds: 60 },
        { protocol: 'HTTP_FLV', bytesOut: 300, seconds: 20 },
        { protocol: 'HTTP_HLS', bytesOut: 500, seconds: 60 },
      ],
      from: new Date(start).toISOString(),
      to: new Date(start + 60_000).toISOString(),
      ...fields,
    },
  };
}

async function given(store: SqlEventStore, deviceId: string, ...events: DeviceEvent[]) {
  await store.appendToStream(
    streamNames.device(deviceId),
    events.map((event) => ({ type: event.type, data: { ...event.data } })),
  );
}

for (const engine of engines) {
  const connect = connectOn(engine);

  describe(`stream usage projection on ${engine.name}`, { skip: engine.skip }, () => {
    it('projects a usage period to an IN row and an OUT row per viewer protocol', async () => {
      const { db, store, runner } = await connect();
      await given(store, cameraId, added(cameraId), usage(0));
      await runner.catchUp();

      const rows = await db
        .selectFrom('stream_usage')
        .select(['direction', 'protocol', 'bytes', 'seconds', 'viewers', 'user_id'])
        .orderBy('direction')
        .orderBy('protocol')
        .execute();
      assert.deepEqual(rows, [
        { direction: 'IN', protocol: 'RTP', bytes: 1000, seconds: 60, viewers: 0, user_id: userId },
        {
          direction: 'OUT',
          protocol: 'HTTP_FLV',
          bytes: 1200,
          seconds: 80,
          viewers: 2,
          user_id: userId,
        },
        {
          direction: 'OUT',
          protocol: 'HTTP_HLS',
          bytes: 500,
          seconds: 60,
          viewers: 1,
          user_id: userId,
        },
      ]);
      await db.destroy();
    });

    it('sums usage per device, channel and protocol over a time range per enterprise', async () => {
      const { db, store, runner } = await connect();
      await given(store, cameraId, added(cameraId), usage(0), usage(1), usage(2));
      await given(store, otherCameraId, added(otherCameraId, otherUserId));
      await given(store, otherCameraId, usage(0, { deviceId: otherCameraId, callId: 'call-9' }));
      await runner.catchUp();

      const firstTwoMinutes = { from: at, to: '2024-05-01T08:02:00.000Z' };
      assert.deepEqual(await sumStreamUsage(db, userId, { ...firstTwoMinutes, protocol: 'RTP' }), [
        {
          deviceId: cameraId,
          channelId,
          direction: 'IN',
          protocol: 'RTP',
          bytes: 2000,
          seconds: 120,
        },
      ]);
      const out = await sumStreamUsage(db, userId, { deviceId: cameraId });
      assert.deepEqual(
        out.map((t) => [t.direction, t.protocol, t.bytes]),
        [
          ['IN', 'RTP', 3000],
          ['OUT', 'HTTP_FLV', 3600],
          ['OUT', 'HTTP_HLS', 1500],
        ],
      );
      const other = await sumStreamUsage(db, otherUserId, {});
      assert.deepEqual(
        other.map((t) => [t.deviceId, t.protocol, t.bytes]),
        [
          [otherCameraId, 'RTP', 1000],
          [otherCameraId, 'HTTP_FLV', 1200],
          [otherCameraId, 'HTTP_HLS', 500],
        ],
      );
      await db.destroy();
    });

    it('records nothing for a device the read models do not know', async () => {
      const { db, store, runner } = await connect();
      await given(store, cameraId, usage(0));
      await runner.catchUp();
      assert.deepEqual(await db.selectFrom('stream_usage').selectAll().execute(), []);
      await db.destroy();
    });
  });
}
