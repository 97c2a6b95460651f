/**
 * The read-models projection and its runner as specifications: given events in the log, the
 * rows the API reads, on real SQLite files and on Postgres (skipped, with the reason, where none
 * is reachable).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

import type { ChannelInfo, DeviceEvent } from '../../../src/domain/device.ts';
import type { EnterpriseEvent } from '../../../src/domain/enterprise.ts';
import type { MediaNodeEvent } from '../../../src/domain/media-node.ts';
import {
  streamNames,
  type EventStore,
  type ReadAllOptions,
  type RecordedEvent,
} from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import type { Projection } from '../../../src/projections/projection.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { readModelsProjection } from '../../../src/projections/read-models.ts';
import type { Db } from '../../../src/sql/database.ts';
import { repoRoot } from '../../support/processes.ts';
import { openTestDatabase, sqlEngines, type SqlEngine } from '../../support/sql-engines.ts';
import {
  appliedPositions,
  countingProjection,
  createAppliedTable,
} from './support/counting-projection.ts';

const userId = '100000000000000001';
const cameraId = '34020000001320000001';
const nvrId = '34020000001110000002';
const at = '2024-05-01T08:00:00.000Z';
const later = '2024-05-01T09:00:00.000Z';

const engines = await sqlEngines();

/**
 * `connect` opens a database of `engine` at a location (a new empty one where absent), with
 * the table that notes applied positions; `runnerOn` runs a projection on it.
 */
function on(engine: SqlEngine) {
  const runnerOn = (db: Db, store: EventStore, projection: Projection, batchSize?: number) =>
    new ProjectionRunner({
      db,
      dialect: engine.dialect,
      store,
      projections: [projection],
      ...(batchSize !== undefined && { batchSize }),
    });
  const connect = async (
    location?: string,
    options: { batchSize?: number; counting?: boolean } = {},
  ) => {
    const dir = location ?? (await engine.newDatabase());
    const db = await openTestDatabase(dir);
    await createAppliedTable(db);
    const store = new SqlEventStore({ db, dialect: engine.dialect });
    const projection = options.counting === true ? countingProjection() : readModelsProjection;
    const runner = runnerOn(db, store, projection, options.batchSize);
    return { dir, db, store, runner };
  };
  return { connect, runnerOn };
}

type Event = DeviceEvent | EnterpriseEvent | MediaNodeEvent;

async function given(store: EventStore, stream: string, ...events: Event[]) {
  return store.appendToStream(
    stream,
    events.map((event) => ({ type: event.type, data: { ...event.data } })),
  );
}

const device = (deviceId: string) => streamNames.device(deviceId);

const added = (deviceId: string, name = 'Gate'): DeviceEvent => ({
  type: 'DeviceAdded',
  data: { deviceId, userId, name, password: '12345678', at },
});
const registered = (deviceId: string, when = at): DeviceEvent => ({
  type: 'DeviceRegistered',
  data: {
    deviceId,
    nodeId: 'media-1',
    transport: 'TCP',
    remoteAddress: '10.0.0.5:5060',
    expires: 3600,
    at: when,
  },
});
const wentOffline = (deviceId: string): DeviceEvent => ({
  type: 'DeviceWentOffline',
  data: { deviceId, reason: 'keepalive_timeout', at: later },
});
const cameOnline = (deviceId: string): DeviceEvent => ({
  type: 'DeviceCameOnline',
  data: { deviceId, at: later },
});
const unregistered = (deviceId: string): DeviceEvent => ({
  type: 'DeviceUnregistered',
  data: { deviceId, at: later },
});
const catalog = (deviceId: string, channels: ChannelInfo[]): DeviceEvent => ({
  type: 'DeviceCatalogUpdated',
  data: { deviceId, channels, at },
});
const nodeStarted = (httpUrl: string, when = at): MediaNodeEvent => ({
  type: 'MediaNodeStarted',
  data: { nodeId: 'media-1', httpUrl, sipHost: '10.0.0.1', sipPort: 5060, at: when },
});

const lens = (n: number, status: 'ON' | 'OFF' = 'ON'): ChannelInfo => ({
  channelId: `3402000000132000001${n}`,
  name: `Lens ${n}`,
  status,
});

async function devices(db: Db) {
  return db.selectFrom('devices').selectAll().orderBy('device_id').execute();
}

/** `[channel_id, channel_state]` of a device's channels. */
async function channelStates(db: Db, deviceId: string) {
  const rows = await db
    .selectFrom('channels')
    .select(['channel_id', 'channel_state'])
    .where('device_id', '=', deviceId)
    .orderBy('channel_id')
    .execute();
  return rows.map((row) => [row.channel_id, row.channel_state]);
}

async function checkpoint(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('projection_checkpoints')
    .select('position')
    .where('projection_name', '=', readModelsProjection.name)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.position);
}

/** Every read-model row, table by table, in primary-key order. */
async function readModelRows(db: Db) {
  return {
    enterprises: await db.selectFrom('enterprises').selectAll().orderBy('user_id').execute(),
    credentials: await db.selectFrom('credentials').selectAll().orderBy('ak').execute(),
    devices: await devices(db),
    channels: await db
      .selectFrom('channels')
      .selectAll()
      .orderBy('device_id')
      .orderBy('channel_id')
      .execute(),
    media_nodes: await db.selectFrom('media_nodes').selectAll().orderBy('node_id').execute(),
  };
}

/** A day in the life of an installation: every event type the projection handles. */
async function givenAnInstallation(store: EventStore) {
  await given(
    store,
    streamNames.enterprise(userId),
    { type: 'EnterpriseCreated', data: { userId, name: 'Default enterprise', at } },
    { type: 'CredentialIssued', data: { userId, ak: 'AK1', skHash: 'pbkdf2-sha256$1$00$11', at } },
  );
  await given(store, streamNames.mediaNode('media-1'), nodeStarted('http://10.0.0.1:8081'));
  await given(store, device(cameraId), added(cameraId), registered(cameraId));
  await given(store, device(cameraId), catalog(cameraId, [lens(1), lens(2, 'OFF')]));
  await given(store, device(nvrId), added(nvrId, 'NVR'), registered(nvrId));
  await given(store, device(nvrId), catalog(nvrId, [lens(3), lens(4)]), wentOffline(nvrId));
  await given(store, device(cameraId), {
    type: 'LiveStreamStarted',
    data: { deviceId: cameraId, channelId: lens(1).channelId, callId: 'c1', ssrc: '0', at },
  });
}

for (const engine of engines) {
  const { connect, runnerOn } = on(engine);

  describe(`readModelsProjection on ${engine.name}`, { skip: engine.skip }, () => {
    it('readModelsProjection keeps the enterprise and its credential with SK hash', async () => {
      const { db, store, runner } = await connect();
      await given(
        store,
        streamNames.enterprise(userId),
        { type: 'EnterpriseCreated', data: { userId, name: 'Default enterprise', at } },
        { type: 'CredentialIssued', data: { userId, ak: 'AK1', skHash: 'hash', at } },
      );

      await runner.catchUp();

      assert.deepEqual(await db.selectFrom('enterprises').selectAll().execute(), [
        { user_id: userId, name: 'Default enterprise', created_at: at },
      ]);
      assert.deepEqual(await db.selectFrom('credentials').selectAll().execute(), [
        { ak: 'AK1', user_id: userId, sk_hash: 'hash', created_at: at },
      ]);
      await db.destroy();
    });

    it('readModelsProjection lists an added device as UNREGISTERED with no channels', async () => {
      const { db, store, runner } = await connect();
      await given(store, device(cameraId), added(cameraId));

      await runner.catchUp();

      assert.deepEqual(await devices(db), [
        {
          device_id: cameraId,
          user_id: userId,
          device_name: 'Gate',
          device_state: 'UNREGISTERED',
          access_protocol: 'GB28181',
          channel_total: 0,
          media_node_id: null,
          remote_address: null,
          transport: null,
          registered_at: null,
          state_changed_at: at,
          created_at: at,
        },
      ]);
      await db.destroy();
    });

    it('readModelsProjection marks a registered device ONLINE on its media node', async () => {
      const { db, store, runner } = await connect();
      await given(store, device(cameraId), added(cameraId), registered(cameraId, later));

      await runner.catchUp();

      const [row] = await devices(db);
      assert.equal(row?.device_state, 'ONLINE');
      assert.equal(row?.media_node_id, 'media-1');
      assert.equal(row?.remote_address, '10.0.0.5:5060');
      assert.equal(row?.transport, 'TCP');
      assert.equal(row?.registered_at, later);
      assert.equal(row?.state_changed_at, later);
      await db.destroy();
    });

    it('readModelsProjection lists channels ONLINE unless the catalog says OFF', async () => {
      const { db, store, runner } = await connect();
      await given(store, device(cameraId), added(cameraId), registered(cameraId));
      await given(store, device(cameraId), catalog(cameraId, [lens(1), lens(2, 'OFF')]));

      await runner.catchUp();

      assert.deepEqual(await channelStates(db, cameraId), [
        [lens(1).channelId, 'ONLINE'],
        [lens(2).channelId, 'OFFLINE'],
      ]);
      const [row] = await devices(db);
      assert.equal(row?.channel_total, 2);
      const channel = await db.selectFrom('channels').selectAll().executeTakeFirst();
      assert.equal(channel?.user_id, userId);
      assert.equal(channel?.catalog_status, 'ON');
      await db.destroy();
    });

    it('readModelsProjection lists the channels of a device not online as OFFLINE', async () => {
      const { db, store, runner } = await connect();
      await given(store, device(cameraId), added(cameraId), catalog(cameraId, [lens(1)]));

      await runner.catchUp();

      assert.deepEqual(await channelStates(db, cameraId), [[lens(1).channelId, 'OFFLINE']]);
      await db.destroy();
    });

    it('readModelsProjection takes channels offline with their device, back with it', async () => {
      const { db, store, runner } = await connect();
      await given(store, device(cameraId), added(cameraId), registered(cameraId));
      await given(store, device(cameraId), catalog(cameraId, [lens(1), lens(2, 'OFF')]));
      const states = async () => {
        await runner.catchUp();
        const [row] = await devices(db);
        return [row?.device_state, ...(await channelStates(db, cameraId)).map(([, s]) => s)];
      };

      await given(store, device(cameraId), wentOffline(cameraId));
      assert.deepEqual(await states(), ['OFFLINE', 'OFFLINE', 'OFFLINE']);

      await given(store, device(cameraId), cameOnline(cameraId));
      assert.deepEqual(await states(), ['ONLINE', 'ONLINE', 'OFFLINE']);

      await given(store, device(cameraId), unregistered(cameraId));
      assert.deepEqual(await states(), ['OFFLINE', 'OFFLINE', 'OFFLINE']);

      await given(store, device(cameraId), registered(cameraId, later));
      assert.deepEqual(await states(), ['ONLINE', 'ONLINE', 'OFFLINE']);
      await db.destroy();
    });

    it('readModelsProjection replaces the channels with each catalog', async () => {
      const { db, store, runner } = await connect();
      await given(store, device(cameraId), added(cameraId), registered(cameraId));
      await given(store, device(cameraId), catalog(cameraId, [lens(1), lens(2)]));
      await given(store, device(cameraId), catalog(cameraId, [lens(2), lens(3)]));

      await runner.catchUp();

      assert.deepEqual(await channelStates(db, cameraId), [
        [lens(2).channelId, 'ONLINE'],
        [lens(3).channelId, 'ONLINE'],
      ]);
      const [row] = await devices(db);
      assert.equal(row?.channel_total, 2);
      await db.destroy();
    });

    it('readModelsProjection keeps each media node with its latest announcement', async () => {
      const { db, store, runner } = await connect();
      const stream = streamNames.mediaNode('media-1');
      await given(store, stream, nodeStarted('http://10.0.0.1:8081'));
      await given(store, stream, nodeStarted('http://10.0.0.2:8081', later));

      await runner.catchUp();

      assert.deepEqual(await db.selectFrom('media_nodes').selectAll().execute(), [
        {
          node_id: 'media-1',
          http_url: 'http://10.0.0.2:8081',
          https_url: null,
          sip_host: '10.0.0.1',
          sip_port: 5060,
          started_at: later,
        },
      ]);
      await db.destroy();
    });

    it('readModelsProjection ignores unhandled event types and unknown devices', async () => {
      const { db, store, runner } = await connect();
      await store.appendToStream('other-1', [
        { type: 'SomethingElse', data: { deviceId: cameraId } },
      ]);
      await given(store, device(cameraId), catalog(cameraId, [lens(1)]));

      assert.equal(await runner.catchUp(), 2);

      assert.deepEqual(await readModelRows(db), {
        enterprises: [],
        credentials: [],
        devices: [],
        channels: [],
        media_nodes: [],
      });
      assert.equal(await checkpoint(db), 2);
      await db.destroy();
    });
  });

  describe(`ProjectionRunner on ${engine.name}`, { skip: engine.skip }, () => {
    it('ProjectionRunner advances the checkpoint in the transaction of the rows', async () => {
      const { db, store } = await connect();
      let failing = true;
      const poisoned: Projection = {
        name: readModelsProjection.name,
        async apply(trx, event) {
          if (failing && event.type === 'Poison') throw new Error('Cannot apply Poison');
          await readModelsProjection.apply(trx, event);
        },
      };
      await given(store, device(cameraId), added(cameraId));
      await given(store, device(nvrId), added(nvrId));
      await store.appendToStream('poison-1', [{ type: 'Poison', data: {} }]);

      await assert.rejects(runnerOn(db, store, poisoned).catchUp(), /Cannot apply Poison/);
      assert.deepEqual(await devices(db), [], 'the rows of the failed batch are rolled back');
      assert.equal(await checkpoint(db), undefined);

      await assert.rejects(runnerOn(db, store, poisoned, 1).catchUp(), /Cannot apply Poison/);
      assert.equal((await devices(db)).length, 2, 'batches before the failing one are kept');
      assert.equal(await checkpoint(db), 2);

      failing = false;
      assert.equal(await runnerOn(db, store, poisoned, 1).catchUp(), 3);
      assert.equal(await checkpoint(db), 3);
      await db.destroy();
    });

    it('ProjectionRunner waitFor resolves once the event at the position is applied', async () => {
      const { db, store, runner } = await connect();
      const { lastPosition } = await given(store, device(cameraId), added(cameraId));

      assert.equal(await runner.waitFor(lastPosition), true);

      assert.equal((await devices(db)).length, 1);
      assert.equal(runner.position, lastPosition);
      await db.destroy();
    });

    it('ProjectionRunner waitFor resolves false where the position comes too late', async () => {
      const { db, store, runner } = await connect();
      const { lastPosition } = await given(store, device(cameraId), added(cameraId));

      assert.equal(await runner.waitFor(lastPosition + 1, 50), false);

      assert.equal(runner.position, lastPosition);
      await db.destroy();
    });

    it('ProjectionRunner restarted from its checkpoint neither skips nor repeats', async () => {
      const first = await connect(undefined, { counting: true });
      await given(first.store, device(cameraId), added(cameraId), registered(cameraId));
      assert.equal(await first.runner.catchUp(), 2);
      await first.db.destroy();

      const second = await connect(first.dir, { counting: true });
      await given(second.store, device(cameraId), catalog(cameraId, [lens(1)]));
      await given(second.store, device(nvrId), added(nvrId));
      assert.equal(await second.runner.catchUp(), 4);

      assert.deepEqual(await appliedPositions(second.db), [1, 2, 3, 4]);
      assert.equal((await devices(second.db)).length, 2);
      assert.deepEqual(await channelStates(second.db, cameraId), [[lens(1).channelId, 'ONLINE']]);
      await second.db.destroy();
    });

    it('ProjectionRunner catches up past a batch another runner applied as it read', async () => {
      const mine = await connect(undefined, { counting: true });
      const theirs = await connect(mine.dir, { counting: true, batchSize: 2 });
      for (const id of [cameraId, nvrId]) await given(mine.store, device(id), added(id));
      let interleaved = false;
      class InterleavingStore extends SqlEventStore {
        override async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
          const batch = await super.readAll(options);
          if (!interleaved) {
            // Between this runner's read and its transaction, the other one applies the log
            // and more is appended.
            interleaved = true;
            await theirs.runner.catchUp();
            await given(theirs.store, device(cameraId), registered(cameraId));
          }
          return batch;
        }
      }
      const store = new InterleavingStore({ db: mine.db, dialect: engine.dialect });

      const reached = await runnerOn(mine.db, store, countingProjection(), 2).catchUp();

      assert.equal(reached, 3);
      assert.deepEqual(await appliedPositions(mine.db), [1, 2, 3]);
      assert.equal((await devices(mine.db))[1]?.device_state, 'ONLINE');
      await mine.db.destroy();
      await theirs.db.destroy();
    });

    it('ProjectionRunners in two processes apply every event exactly once', async () => {
      const { dir, db, store } = await connect();
      for (let n = 0; n < 60; n++) {
        const id = `340200000013200${String(n).padStart(5, '0')}`;
        await given(store, device(id), added(id), registered(id), catalog(id, [lens(1)]));
      }
      const head = await store.headPosition();

      const applied = (await runInChildren(dir, 2)).flat().sort((a, b) => a - b);

      const everyPosition = Array.from({ length: head }, (_, i) => i + 1);
      assert.deepEqual(applied, everyPosition, 'each event applied by one runner only');
      assert.deepEqual(await appliedPositions(db), everyPosition);
      assert.equal(await checkpoint(db), head);
      assert.equal((await devices(db)).length, 60);
      const channels = await db.selectFrom('channels').select('channel_state').execute();
      assert.deepEqual(new Set(channels.map((c) => c.channel_state)), new Set(['ONLINE']));
      await db.destroy();
    });

    it('ProjectionRunner rebuilds the same read models from the log', async () => {
      const { dir, db, store, runner } = await connect();
      await givenAnInstallation(store);
      await runner.catchUp();
      const built = await readModelRows(db);
      assert.equal(built.channels.length, 4);

      for (const table of ['enterprises', 'credentials', 'devices', 'channels', 'media_nodes']) {
        await db.deleteFrom(table as 'devices').execute();
      }
      await db.deleteFrom('projection_checkpoints').execute();
      const rebuilt = await connect(dir);
      await rebuilt.runner.catchUp();

      assert.deepEqual(await readModelRows(rebuilt.db), built);
      await db.destroy();
      await rebuilt.db.destroy();
    });
  });
}

/**
 * Runs `count` runners, each in its own process as the API and the media node do, started
 * together once all are ready; resolves with the positions each applied. better-sqlite3 waits
 * for the write lock synchronously, so connections racing for it must live in separate
 * processes.
 */
async function runInChildren(location: string, count: number): Promise<number[][]> {
  const children = Array.from({ length: count }, () => startChild(location));
  await Promise.all(children.map((child) => child.ready));
  children.forEach((child) => child.go());
  return Promise.all(children.map((child) => child.applied));
}

function startChild(location: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/src/projections/support/project-in-child.ts', location],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const messages = createInterface({ input: child.stdout });
  const next = (key: 'ready' | 'applied') =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      messages.on('line', (line) => {
        const message = JSON.parse(line) as Record<string, unknown>;
        if (key in message) resolve(message);
      });
      child.on('exit', (code) =>
        reject(new Error(`Cannot run a projection runner in a child: exit code ${code}`)),
      );
    });
  return {
    ready: next('ready'),
    applied: next('applied').then((message) => message['applied'] as number[]),
    go: () => child.stdin.write('go\n'),
  };
}
