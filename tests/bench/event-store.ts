/** Appends to the SQLite event store and projects them, as the media node does per fact. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SqlEventStore } from '../../src/event-store/sql-event-store.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { readModelsProjection } from '../../src/projections/read-models.ts';
import { openSqliteDatabase } from '../../schema/sqlite-node.ts';

export interface EventStoreFigures {
  readonly appendsPerSecond: number;
  readonly projectedPerSecond: number;
}

/** `devices` devices added, each registered and given a catalog: 3 events per device. */
export async function measureEventStore(devices: number): Promise<EventStoreFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'argus-bench-'));
  const db = await openSqliteDatabase(join(dir, 'argus.db'));
  try {
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    const at = new Date().toISOString();
    const started = performance.now();
    for (let i = 0; i < devices; i++) {
      const deviceId = `3402000000132${String(i).padStart(7, '0')}`;
      const stream = `device-${deviceId}`;
      await store.appendToStream(
        stream,
        [{ type: 'DeviceAdded', data: { deviceId, userId: 'u', name: 'd', password: 'p', at } }],
        { expectedRevision: 'no_stream' },
      );
      await store.appendToStream(
        stream,
        [
          {
            type: 'DeviceRegistered',
            data: {
              deviceId,
              nodeId: 'n',
              transport: 'UDP',
              remoteAddress: '127.0.0.1:5060',
              expires: 3600,
              at,
            },
          },
        ],
        { expectedRevision: 0 },
      );
      await store.appendToStream(
        stream,
        [
          {
            type: 'DeviceCatalogUpdated',
            data: { deviceId, channels: [{ channelId: deviceId, name: 'c', status: 'ON' }], at },
          },
        ],
        { expectedRevision: 1 },
      );
    }
    const appended = performance.now();

    const runner = new ProjectionRunner({
      db,
      dialect: 'sqlite',
      store,
      projections: [readModelsProjection],
      batchSize: 500,
    });
    await runner.catchUp();
    const projected = performance.now();
    return {
      appendsPerSecond: (devices * 3) / ((appended - started) / 1000),
      projectedPerSecond: (devices * 3) / ((projected - appended) / 1000),
    };
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
