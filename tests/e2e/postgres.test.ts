/**
 * End to end on Postgres: the real API and media node with `ARGUS_DATABASE_URL` set, the
 * simulator as the camera, ffprobe as the viewer. Skipped, with the reason, where no Postgres
 * is reachable and none can be started (tests/support/postgres.ts).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { openPostgresDatabase } from '../../schema/postgres-node.ts';
import { streamNames } from '../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../src/event-store/sql-event-store.ts';
import type { Db } from '../../src/sql/database.ts';
import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { channelIdsOf, liveUrl } from '../support/live-capture.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { testPostgres } from '../support/postgres.ts';
import { isEvent, startOnlineCamera } from '../support/simulator.ts';

const deviceId = '34020000001320000001';
const password = 'cam-pass-1';
const postgres = await testPostgres();

describe('platform on Postgres end to end', { skip: postgres.skip }, () => {
  let platform: Platform;
  let camera: RunningProcess | undefined;
  let db: Db;

  before(async () => {
    const url = await postgres.createDatabase();
    platform = new Platform({
      env: {
        ARGUS_DATABASE_URL: url,
        ARGUS_HEARTBEAT_S: '1',
        ARGUS_HEARTBEAT_MISSES: '3',
        ARGUS_LIVE_LINGER_S: '1',
      },
    });
    await platform.start();
    db = await openPostgresDatabase(url, { maxConnections: 2 });
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform?.stop();
    await db?.destroy();
    platform?.removeData();
    await postgres.stop();
  });

  it('a simulated camera goes ONLINE with its facts and read models in Postgres', async () => {
    camera = await startOnlineCamera(platform, { deviceId, password, channels: 2 });

    const online = await eventually(
      async () => {
        const d = await platform.device(deviceId);
        return d?.device_state === 'ONLINE' ? d : undefined;
      },
      15_000,
      'the device online',
    );
    assert.equal(online.channel_total, 2);

    const store = new SqlEventStore({ db, dialect: 'postgres' });
    const types = (await store.readStream(streamNames.device(deviceId))).map((e) => e.type);
    assert.ok(types.includes('DeviceAdded'), `device stream: ${types.join(', ')}`);
    assert.ok(types.includes('DeviceRegistered'), `device stream: ${types.join(', ')}`);
    const row = await db
      .selectFrom('devices')
      .select(['device_state', 'channel_total'])
      .where('device_id', '=', deviceId)
      .executeTakeFirst();
    assert.deepEqual(row, { device_state: 'ONLINE', channel_total: 2 });
    assert.equal(existsSync(join(platform.dataDir, 'argus.db')), false, 'no SQLite file made');
  });

  it(
    'a live URL plays as H.264 HTTP-FLV and the stream is recorded in Postgres',
    { skip: ffprobeMissing },
    async () => {
      const [channelId = ''] = await channelIdsOf(platform, deviceId, 2);
      const url = await liveUrl(platform, { deviceId, channelId });

      const probed = await probeVideo(url, 4);

      assert.equal(probed.codec_name, 'h264');
      assert.equal(probed.width, 640);
      assert.equal(probed.height, 360);
      assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);
      await camera?.waitFor(isEvent('bye'), 10_000, 'BYE after the viewer left');
      const started = await db
        .selectFrom('events')
        .select('event_type')
        .where('event_type', '=', 'LiveStreamStarted')
        .execute();
      assert.equal(started.length, 1);
    },
  );

  it('neither process logged an error on Postgres', () => {
    for (const process of [platform.api, platform.media]) {
      const errors = process.json().filter((line) => Number(line['level']) >= 50);
      assert.deepEqual(
        errors.map((line) => line['msg']),
        [],
      );
    }
  });
});
