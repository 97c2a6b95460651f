/**
 * Catalog aggregation against a real SQLite event store and read models: pages shuffled and
 * duplicated, late duplicates after completion, two devices with the same factory channel
 * IDs, the ParentID rules, `null` literals from the real eXosip capture, an incomplete
 * answer that only adds, and change notifications (ADD, DEL, UPDATE, ON, OFF).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';

import {
  parseManscdp,
  readCatalogResponse,
  type CatalogItem,
  type CatalogResponse,
} from '../../../media-node/formats/manscdp.ts';
import { CatalogCollector } from '../../../media-node/gb/catalog-collector.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { readModelsProjection } from '../../../src/projections/read-models.ts';
import { fixturePath, skipWithoutFixture } from '../../support/fixtures.ts';
import { gbHarness, type GbHarness } from './support.ts';

const SERVER_ID = '34020000002000000001';
const DOMAIN = '3402000000';
const nvr = '34020000001180000001';
const otherNvr = '34020000001180000002';

/** The same factory channel IDs, as two NVRs of one model report them. */
const factoryIds = Array.from(
  { length: 10 },
  (_, i) => `3402000000131000${String(i + 1).padStart(4, '0')}`,
);

function item(id: string, fields: Partial<CatalogItem> = {}): CatalogItem {
  return { deviceId: id, name: `cam ${id.slice(-4)}`, status: 'ON', ...fields };
}

function pages(deviceId: string, sn: number, items: CatalogItem[]): CatalogResponse[] {
  return items.map((one) => ({ deviceId, sn, sumNum: items.length, items: [one] }));
}

/** A deterministic shuffle (a fixed LCG), so a failure can be replayed. */
function shuffled<T>(list: readonly T[], seed = 7): T[] {
  const out = [...list];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('CatalogCollector aggregation', () => {
  let h: GbHarness;
  let collector: CatalogCollector;

  beforeEach(async () => {
    h = await gbHarness();
    await h.addDevice(nvr);
    await h.addDevice(otherNvr);
    collector = new CatalogCollector({
      commands: h.commands,
      logger: h.logger,
      now: h.now,
      waitMs: 60_000,
      platformIds: [SERVER_ID, DOMAIN],
    });
  });
  afterEach(async () => {
    collector.close();
    await h.close();
  });

  async function channelRows(deviceId: string) {
    await new ProjectionRunner({
      db: h.db,
      dialect: 'sqlite',
      store: h.store,
      projections: [readModelsProjection],
    }).catchUp();
    return h.db
      .selectFrom('channels')
      .selectAll()
      .where('device_id', '=', deviceId)
      .orderBy('channel_id')
      .execute();
  }

  it('CatalogCollector records channels once from shuffled, repeated 1-item pages', async () => {
    const items = Array.from({ length: 200 }, (_, i) =>
      item(`340200000013200${String(i + 1).padStart(5, '0')}`),
    );
    const all = pages(nvr, 41, items);
    for (const page of shuffled([...all, ...all.filter((_, i) => i % 7 === 0)])) {
      await collector.add(page);
    }
    const catalogs = (await h.events(nvr)).filter((e) => e.type === 'DeviceCatalogUpdated');
    assert.equal(catalogs.length, 1);
    assert.equal((await h.device(nvr)).channels.length, 200);
    assert.equal((await channelRows(nvr)).length, 200);
  });

  it('CatalogCollector ignores a page of a completed answer that arrives late', async () => {
    const fast = new CatalogCollector({
      commands: h.commands,
      logger: h.logger,
      now: h.now,
      waitMs: 20,
    });
    const items = factoryIds.slice(0, 3).map((id) => item(id));
    const all = pages(nvr, 42, items);
    for (const page of all) await fast.add(page);
    await fast.add(all[0] as CatalogResponse); // a retransmission after the last page
    // Past the wait: a page taken for a new answer would now be recorded as incomplete.
    await new Promise((resolve) => setTimeout(resolve, 100));
    fast.close();

    assert.equal((await h.device(nvr)).channels.length, 3);
    const warned = h.logger.lines.filter((l) => l.msg === 'catalog incomplete');
    assert.deepEqual(warned, []);
  });

  it('CatalogCollector keeps two devices with the same channel IDs apart', async () => {
    const first = factoryIds.map((id) => item(id, { name: `A ${id.slice(-2)}` }));
    const second = factoryIds.map((id) => item(id, { name: `B ${id.slice(-2)}` }));
    const mixed = shuffled([...pages(nvr, 7, first), ...pages(otherNvr, 7, second)]);
    for (const page of mixed) await collector.add(page);

    const rowsA = await channelRows(nvr);
    const rowsB = await channelRows(otherNvr);
    assert.equal(rowsA.length, 10);
    assert.equal(rowsB.length, 10);
    assert.ok(rowsA.every((r) => r.channel_name.startsWith('A ')));
    assert.ok(rowsB.every((r) => r.channel_name.startsWith('B ')));
    assert.deepEqual(
      rowsA.map((r) => r.channel_id),
      rowsB.map((r) => r.channel_id),
    );
  });

  it("CatalogCollector hangs items with no or the platform's ParentID on the device", async () => {
    const [a, b, c, d] = factoryIds;
    const items = [
      item(a ?? ''),
      item(b ?? '', { parentId: SERVER_ID }),
      item(c ?? '', { parentId: DOMAIN }),
      item(d ?? '', { parentId: '34020000002150000001' }), // a business group of the device
    ];
    for (const page of pages(nvr, 8, items)) await collector.add(page);
    const parents = (await channelRows(nvr)).map((r) => r.parent_id);
    assert.deepEqual(parents, [nvr, nvr, nvr, '34020000002150000001']);
  });

  it('CatalogCollector reads OFF, OFFLINE and 0 as off and anything else as on', async () => {
    const statuses = ['ON', 'OFF', 'OFFLINE', '0', '', 'ONLINE'];
    const items = statuses.map((status, i) => item(factoryIds[i] ?? '', { status }));
    for (const page of pages(nvr, 9, items)) await collector.add(page);
    const channels = (await h.device(nvr)).channels.map((c) => c.status);
    assert.deepEqual(channels, ['ON', 'OFF', 'OFF', 'OFF', 'ON', 'ON']);
  });

  it('CatalogCollector records an incomplete answer as additions, removing nothing', async () => {
    const known = factoryIds.slice(0, 4).map((id) => item(id));
    for (const page of pages(nvr, 10, known)) await collector.add(page);

    const fast = new CatalogCollector({
      commands: h.commands,
      logger: h.logger,
      now: h.now,
      waitMs: 20,
    });
    const renamed = item(factoryIds[0] ?? '', { name: 'renamed' });
    await fast.add({
      deviceId: nvr,
      sn: 11,
      sumNum: 5,
      items: [renamed, item(factoryIds[5] ?? '')],
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    fast.close();

    const channels = (await h.device(nvr)).channels;
    assert.equal(channels.length, 5);
    assert.equal(channels.find((c) => c.channelId === factoryIds[0])?.name, 'renamed');
    assert.ok(h.logger.lines.some((l) => l.msg === 'catalog incomplete'));
  });

  it('CatalogCollector applies ADD, DEL, UPDATE, ON and OFF notifications', async () => {
    const [a, b, c, d] = factoryIds as [string, string, string, string];
    for (const page of pages(nvr, 12, [item(a), item(b), item(c)])) await collector.add(page);

    await collector.applyChanges(nvr, [
      item(d, { name: 'added', event: 'ADD' }),
      item(b, { name: '', status: '', event: 'DEL' }),
      item(a, { name: '', status: '', event: 'OFF' }),
      item(c, { name: '', model: 'X2', event: 'UPDATE' }),
      item('34020000001340000001', { event: 'ADD' }), // an alarm input: not a channel
    ]);
    const rows = await channelRows(nvr);
    assert.deepEqual(
      rows.map((r) => [r.channel_id, r.channel_name, r.catalog_status, r.model]),
      [
        [a, `cam ${a.slice(-4)}`, 'OFF', null],
        [c, `cam ${c.slice(-4)}`, 'ON', 'X2'],
        [d, 'added', 'ON', null],
      ],
    );
    await collector.applyChanges(nvr, [item(a, { name: '', status: '', event: 'ON' })]);
    assert.equal((await h.device(nvr)).channels.find((ch) => ch.channelId === a)?.status, 'ON');
  });

  const capture = 'public/gb28181-solution-sip/invite-live-catalog.transcript.txt';
  it(
    'CatalogCollector takes the eXosip IPC catalog of the real capture, its null literals empty',
    { skip: skipWithoutFixture(capture) },
    async () => {
      const transcript = readFileSync(fixturePath(capture) ?? '', 'utf8');
      const body = /<\?xml[^]*?<CmdType>Catalog<\/CmdType>[^]*?<\/Response>/.exec(
        transcript.slice(transcript.indexOf('=== frame 9 ')),
      )?.[0];
      assert.ok(body !== undefined, 'frame 9 holds the Catalog response');
      const response = readCatalogResponse(parseManscdp(new TextEncoder().encode(body)));
      const ipc = '34010000001310000001';
      await h.addDevice(ipc);
      await collector.add({ ...response, deviceId: ipc });

      const [channel] = await channelRows(ipc);
      assert.equal(channel?.channel_id, ipc, 'the IPC lists itself as its one channel');
      assert.equal(channel?.channel_name, 'Camera01');
      assert.equal(channel?.manufacturer, null, '"null" is no manufacturer');
      assert.equal(channel?.model, null);
      assert.equal(channel?.parent_id, ipc, 'no ParentID: under the device');
    },
  );
});
