/**
 * The intelligence data API on a real SQLite platform: ingest with pictures → URLs asked for
 * by data_id → each picture fetched and compared byte for byte → the same URL refused once
 * the injected clock passes its expiry; listing, duplicates, limits and alarm pictures.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { createApp } from '../../../src/api/app.ts';
import { bootstrapEnterprise } from '../../../src/api/bootstrap.ts';
import { TokenService } from '../../../src/auth/tokens.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { messageOf } from '../../../src/fanout/messages.ts';
import { silentLogger } from '../../../src/logger.ts';
import { apiProjections } from '../../../src/projections/control-plane.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { MemoryPictureStorage } from '../../../src/storage/memory-picture-storage.ts';
import { base64, jpeg, png } from './pictures.ts';

const userId = '100000000000000001';
const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';
const secret = 'a-test-secret-of-at-least-32-characters';
const start = new Date('2024-05-01T08:00:00.000Z');
const clock = { now: start };
const storage = new MemoryPictureStorage();
const dir = mkdtempSync(join(tmpdir(), 'argus-intel-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let app: ReturnType<typeof createApp>;
let store: SqlEventStore;
let token = '';

async function call(method: string, path: string, body?: unknown) {
  const response = await app.request(path.replace('{user_id}', userId), {
    method,
    headers: { 'Access-Token': token },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as any };
}

const item = (dataId: string, extra: Record<string, unknown> = {}) => ({
  data_id: dataId,
  data_type: 'FACE',
  time: '2024-05-01T16:00:00+08:00',
  device_id: deviceId,
  channel_id: channelId,
  attributes: { similarity: 0.93 },
  ...extra,
});

before(async () => {
  const db = await openSqliteDatabase(join(dir, 'argus.db'));
  store = new SqlEventStore({ db, dialect: 'sqlite' });
  const runner = new ProjectionRunner({
    db,
    dialect: 'sqlite',
    store,
    projections: apiProjections,
  });
  await bootstrapEnterprise(store, { userId, ak: 'AK0000000001', sk: 'sk-right-0001', now: start });
  await runner.catchUp();
  app = createApp({
    ...{ store, db, runner, tokens: new TokenService(secret), logger: silentLogger },
    sip: { serverId: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', port: 5060 },
    tokenTtlSeconds: 3600,
    now: () => clock.now,
    pictures: { storage, secret },
  });
  const login = await app.request(`/v2/${userId}/enterprises/access-token`, {
    method: 'POST',
    body: JSON.stringify({ ak: 'AK0000000001', sk: 'sk-right-0001' }),
  });
  token = ((await login.json()) as { access_token: string }).access_token;
  const added = await call('POST', '/v1/{user_id}/devices/gb/batch-add', {
    devices: [{ device_id: deviceId, device_name: 'Gate', device_password: '12345678' }],
  });
  assert.equal(added.json.failed_num, 0);
});

describe('intelligence data API', () => {
  it('intelligence pictures round-trip by data_id; expired URLs are refused', async () => {
    const ingest = await call('POST', '/v1/{user_id}/intelligence-data', {
      items: [item('face-1', { pictures: { original: base64(jpeg), panorama: base64(png) } })],
    });
    assert.equal(ingest.status, 200);
    assert.deepEqual(ingest.json, {
      failed_num: 0,
      items: [{ data_id: 'face-1', result: { code: 'IVM.0', msg: 'Success' }, duplicate: false }],
    });

    const asked = await call('POST', '/v1/{user_id}/intelligence-data/pictures', {
      data_ids: ['face-1'],
    });
    assert.equal(asked.status, 200);
    const [entry] = asked.json.data;
    assert.equal(entry.result.code, 'IVM.0');
    const byType = Object.fromEntries(entry.pictures.map((p: any) => [p.picture_type, p]));
    assert.deepEqual(Object.keys(byType).sort(), ['original', 'panorama']);
    assert.equal(byType.original.expire_time, '2024-05-01T08:05:00.000Z');

    for (const [type, bytes, contentType] of [
      ['original', jpeg, 'image/jpeg'],
      ['panorama', png, 'image/png'],
    ] as const) {
      const response = await app.request(byType[type].url);
      assert.equal(response.status, 200, `${type} answered ${response.status}`);
      assert.equal(response.headers.get('Content-Type'), contentType);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), Buffer.from(bytes));
    }

    clock.now = new Date(start.getTime() + 301_000);
    try {
      const expired = await app.request(byType.original.url);
      assert.equal(expired.status, 403);
      assert.match(
        ((await expired.json()) as any).error_msg,
        /^Cannot serve picture: the URL expired/,
      );
    } finally {
      clock.now = start;
    }
    const tampered = await app.request(byType.original.url.replace(/expires=(\d+)/, 'expires=9$1'));
    assert.equal(tampered.status, 403);
  });

  it('intelligence data sent twice is recorded once and answered as a duplicate', async () => {
    const body = { items: [item('face-2', { pictures: { original: base64(jpeg) } })] };
    await call('POST', '/v1/{user_id}/intelligence-data', body);
    const again = await call('POST', '/v1/{user_id}/intelligence-data', body);
    assert.equal(again.json.items[0].duplicate, true);
    assert.equal(again.json.items[0].result.code, 'IVM.0');
    const events = await store.readStream(`intelligence-${deviceId}`);
    assert.equal(events.filter((e) => e.data['dataId'] === 'face-2').length, 1);
  });

  it('intelligence data of a wrong picture type or device is refused per item', async () => {
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00').toString('base64');
    const answer = await call('POST', '/v1/{user_id}/intelligence-data', {
      items: [
        item('bad-1', { pictures: { original: gif } }),
        item('bad-2', { device_id: '34020000001320000099' }),
        item('good-3'),
      ],
    });
    assert.equal(answer.json.failed_num, 2);
    const [wrongType, unknown, good] = answer.json.items;
    assert.equal(wrongType.result.code, 'IVM.10000001');
    assert.match(wrongType.result.msg, /pictures\.original: neither JPEG nor PNG$/);
    assert.equal(unknown.result.code, 'IVM.10000004');
    assert.equal(good.result.code, 'IVM.0');
  });

  it('intelligence data is listed newest first, filtered by type and time', async () => {
    await call('POST', '/v1/{user_id}/intelligence-data', {
      items: [item('car-1', { data_type: 'VEHICLE', time: '2024-05-02 09:00:00' })],
    });
    const all = await call('GET', '/v1/{user_id}/intelligence-data?limit=1');
    assert.equal(all.json.data[0].data_id, 'car-1');
    assert.equal(all.json.data[0].time, '2024-05-02T09:00:00.000+08:00');
    const vehicles = await call(
      'GET',
      '/v1/{user_id}/intelligence-data?data_type=VEHICLE&start_time=2024-05-02T00:00:00',
    );
    assert.equal(vehicles.json.total, 1);
    const faces = await call(
      'GET',
      `/v1/{user_id}/intelligence-data?data_type=FACE&device_id=${deviceId}`,
    );
    assert.deepEqual(
      faces.json.data.map((d: any) => [d.data_id, d.picture_types]),
      [
        ['good-3', []],
        ['face-2', ['original']],
        ['face-1', ['original', 'panorama']],
      ],
    );
  });

  it('intelligence picture URLs are refused for 101 data_ids', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `d-${i}`);
    const answer = await call('POST', '/v1/{user_id}/intelligence-data/pictures', {
      data_ids: ids,
    });
    assert.equal(answer.status, 400);
    assert.match(answer.json.error_msg, /^Cannot accept request: data_ids /);
    const hundred = await call('POST', '/v1/{user_id}/intelligence-data/pictures', {
      data_ids: ids.slice(0, 100),
    });
    assert.equal(hundred.status, 200);
    assert.equal(hundred.json.data[0].result.code, 'IVM.10000004');
  });

  it('alarm pictures are those of intelligence data naming the alarm, else none', async () => {
    await call('POST', '/v1/{user_id}/intelligence-data', {
      items: [item('snap-1', { alarm_id: 'alarm-9', pictures: { background: base64(png) } })],
    });
    const answer = await call('POST', '/v1/{user_id}/alarms/pictures', {
      alarm_ids: ['alarm-9', 'alarm-none'],
    });
    assert.equal(answer.json.alarms[1].alarm_id, 'alarm-none');
    assert.deepEqual(answer.json.alarms[1].pictures, []);
    const [picture] = answer.json.alarms[0].pictures;
    assert.equal(picture.data_id, 'snap-1');
    assert.equal(picture.picture_type, 'background');
    const fetched = await app.request(picture.url);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), Buffer.from(png));
  });

  it('intelligence data becomes an intelligence_data message naming its pictures', async () => {
    const events = await store.readStream(`intelligence-${deviceId}`);
    const message = messageOf(events[0]!);
    assert.equal(message?.messageType, 'intelligence_data');
    assert.equal(message?.data['data_id'], 'face-1');
    assert.equal(message?.data['channel_id'], channelId);
    assert.deepEqual(message?.data['picture_types'], ['original', 'panorama']);
  });
});
