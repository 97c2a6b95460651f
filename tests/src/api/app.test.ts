/**
 * The northbound API as specifications: requests through Hono's in-process `app.request`
 * against a real SQLite event store, projection runner and bootstrapped enterprise. Paths and
 * field names are the IVM contract the README lists.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { createApp, maxBodyBytes } from '../../../src/api/app.ts';
import { bootstrapEnterprise } from '../../../src/api/bootstrap.ts';
import type { ApiDeps } from '../../../src/api/context.ts';
import { hashSecret } from '../../../src/auth/secrets.ts';
import { TokenService, type AccessClaims } from '../../../src/auth/tokens.ts';
import type { ChannelInfo, DeviceEvent } from '../../../src/domain/device.ts';
import { ArgusError, errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  streamNames,
  type EventStore,
  type RecordedEvent,
} from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { silentLogger, type Logger } from '../../../src/logger.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { apiProjections } from '../../../src/projections/control-plane.ts';

const userId = '100000000000000001';
const otherUserId = '100000000000000002';
const ak = 'AK0000000001';
const sk = 'sk-right-0001';
const secret = 'a-test-secret-of-at-least-32-characters';
const start = new Date('2024-05-01T08:00:00.000Z');
const tokenTtlSeconds = 3600;
const cameraId = '34020000001320000001';
const nvrId = '34020000001110000002';
const mediaHttpUrl = 'http://10.0.0.9:8081';

const ivm = {
  ok: 'IVM.0',
  internal: 'IVM.10000000',
  validation: 'IVM.10000001',
  unauthenticated: 'IVM.10000002',
  forbidden: 'IVM.10000003',
  notFound: 'IVM.10000004',
  conflict: 'IVM.10000005',
  tooLarge: 'IVM.10000006',
  unavailable: 'IVM.10000007',
};

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A platform on a fresh SQLite file with the enterprise bootstrapped; the clock is `clock.now`. */
async function platform(overrides: Partial<ApiDeps> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'argus-api-'));
  dirs.push(dir);
  const db = await openSqliteDatabase(join(dir, 'argus.db'));
  const store = new SqlEventStore({ db, dialect: 'sqlite' });
  const projections = apiProjections;
  const runner = new ProjectionRunner({ db, dialect: 'sqlite', store, projections });
  const tokens = new TokenService(secret);
  await bootstrapEnterprise(store, { userId, ak, sk, now: start });
  await runner.catchUp();

  const clock = { now: start };
  const app = createApp({
    ...{ store, db, runner, tokens, logger: silentLogger, tokenTtlSeconds },
    sip: { serverId: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', port: 5060 },
    now: () => clock.now,
    ...overrides,
  });
  const token = await tokens.issueAccess({ userId, ak }, tokenTtlSeconds, start);

  /** Sends a request as the enterprise (or with `options.token`); reads the JSON answer. */
  async function call(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; token?: string | null; headers?: HeadersInit } = {},
  ) {
    const headers = new Headers(options.headers);
    const accessToken = options.token === undefined ? token : options.token;
    if (accessToken !== null) headers.set('Access-Token', accessToken);
    const body = options.raw ?? (options.body === undefined ? null : JSON.stringify(options.body));
    const response = await app.request(path, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) };
  }

  return { db, store, runner, tokens, clock, app, token, call };
}

type Platform = Awaited<ReturnType<typeof platform>>;
type Answer = Awaited<ReturnType<Platform['call']>>;

/** An error answer: its status and exactly `{error_code, error_msg, request_id}`. */
function assertError(answer: Answer, status: number, errorCode: string): string {
  assert.equal(answer.status, status, answer.text);
  assert.deepEqual(Object.keys(answer.json).sort(), ['error_code', 'error_msg', 'request_id']);
  assert.equal(answer.json.error_code, errorCode);
  assert.equal(typeof answer.json.error_msg, 'string');
  assert.match(answer.json.error_msg, /^Cannot /);
  assert.equal(answer.json.request_id, answer.headers.get('X-Request-Id'));
  return answer.json.error_msg as string;
}

async function given(store: EventStore, deviceId: string, ...events: DeviceEvent[]) {
  await store.appendToStream(
    streamNames.device(deviceId),
    events.map((event) => ({ type: event.type, data: { ...event.data } })),
  );
}

const lens = (n: number, status: 'ON' | 'OFF' = 'ON'): ChannelInfo => ({
  channelId: `3402000000132000001${n}`,
  name: `Lens ${n}`,
  status,
});

const deviceItem = (deviceId: string, name = 'Gate') => ({
  device_id: deviceId,
  device_name: name,
  device_password: '12345678',
});

/** The media node `media-1` announced: viewers at `mediaHttpUrl`, devices at 10.0.0.9:5062. */
async function givenMediaNode(store: EventStore) {
  const data = { nodeId: 'media-1', httpUrl: mediaHttpUrl, sipHost: '10.0.0.9', sipPort: 5062 };
  await store.appendToStream(streamNames.mediaNode('media-1'), [
    { type: 'MediaNodeStarted', data: { ...data, at: start.toISOString() } },
  ]);
}

/**
 * A media node announced at `mediaHttpUrl`, the camera registered on it with channels 1 (ON)
 * and 2 (OFF), and the NVR added with channel 3 but offline.
 */
async function givenDevices(p: Platform) {
  await givenMediaNode(p.store);
  const added = await p.call('POST', `/v1/${userId}/devices/gb/batch-add`, {
    body: { devices: [deviceItem(cameraId), deviceItem(nvrId, 'NVR')] },
  });
  assert.equal(added.json.failed_num, 0, added.text);
  const at = start.toISOString();
  const registered = (deviceId: string): DeviceEvent => ({
    type: 'DeviceRegistered',
    data: {
      deviceId,
      nodeId: 'media-1',
      transport: 'UDP',
      remoteAddress: '10.0.0.5:5060',
      expires: 3600,
      at,
    },
  });
  const catalog = (deviceId: string, channels: ChannelInfo[]): DeviceEvent => ({
    type: 'DeviceCatalogUpdated',
    data: { deviceId, channels, at },
  });
  await given(
    p.store,
    cameraId,
    registered(cameraId),
    catalog(cameraId, [lens(1), lens(2, 'OFF')]),
  );
  await given(p.store, nvrId, registered(nvrId), catalog(nvrId, [lens(3)]), {
    type: 'DeviceWentOffline',
    data: { deviceId: nvrId, reason: 'keepalive_timeout', at },
  });
  await p.runner.catchUp();
}

/** A second enterprise with its own credential, and a token of it. */
async function givenOtherEnterprise(p: Platform): Promise<string> {
  const at = start.toISOString();
  await p.store.appendToStream(streamNames.enterprise(otherUserId), [
    { type: 'EnterpriseCreated', data: { userId: otherUserId, name: 'Other', at } },
    {
      type: 'CredentialIssued',
      data: { userId: otherUserId, ak: 'AK-OTHER', skHash: await hashSecret('sk-other'), at },
    },
  ]);
  await p.runner.catchUp();
  return p.tokens.issueAccess({ userId: otherUserId, ak: 'AK-OTHER' }, tokenTtlSeconds, start);
}

const liveConnections = `/v2/${userId}/devices/channels/media/live-connections`;
const liveItem = (deviceId: string, channelId: string) => ({
  device_id: deviceId,
  channel_id: channelId,
  live_protocol: 'HTTP_FLV',
  stream_type: 'PRIMARY_STREAM',
});

describe('POST /v2/{user_id}/enterprises/access-token', () => {
  const path = `/v2/${userId}/enterprises/access-token`;

  it('access-token exchanges the right AK/SK for an access token of the enterprise', async () => {
    const p = await platform();

    const answer = await p.call('POST', path, { body: { ak, sk }, token: null });

    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(Object.keys(answer.json).sort(), ['access_token', 'expire_time']);
    assert.equal(answer.json.expire_time, String(tokenTtlSeconds));
    const claims = await p.tokens.verifyAccess(answer.json.access_token, start);
    assert.deepEqual(claims, { userId, ak });
    const devices = await p.call('GET', `/v1/${userId}/devices`, {
      token: answer.json.access_token,
    });
    assert.equal(devices.status, 200);
  });

  it('access-token refuses a wrong SK, an unknown AK or another enterprise with 401', async () => {
    const p = await platform();
    const refused = [
      await p.call('POST', path, { body: { ak, sk: 'sk-wrong-0001' }, token: null }),
      await p.call('POST', path, { body: { ak: 'AK-UNKNOWN', sk }, token: null }),
      await p.call('POST', `/v2/${otherUserId}/enterprises/access-token`, {
        body: { ak, sk },
        token: null,
      }),
    ];

    for (const answer of refused) {
      const message = assertError(answer, 401, ivm.unauthenticated);
      assert.equal(message, 'Cannot issue access token: unknown AK or wrong SK');
      assert.doesNotMatch(answer.text, /sk-wrong|sk-right/);
    }
  });

  it('access-token refuses a body without an SK with 400', async () => {
    const p = await platform();

    const answer = await p.call('POST', path, { body: { ak }, token: null });

    assert.match(assertError(answer, 400, ivm.validation), /^Cannot accept request: sk /);
  });
});

describe('Access-Token', () => {
  const devices = `/v1/${userId}/devices`;

  it('Access-Token missing is refused with 401', async () => {
    const p = await platform();

    for (const token of [null, '']) {
      const answer = await p.call('GET', devices, { token });
      const message = assertError(answer, 401, ivm.unauthenticated);
      assert.equal(message, 'Cannot authenticate: no Access-Token header');
    }
  });

  it('Access-Token forged, tampered with or of the wrong type is refused with 401', async () => {
    const p = await platform();
    const forged = await new TokenService('another-secret-of-at-least-32-chars').issueAccess(
      { userId, ak },
      tokenTtlSeconds,
      start,
    );
    const live = await p.tokens.issueLive(
      {
        userId,
        deviceId: cameraId,
        channelId: lens(1).channelId,
        streamType: 'PRIMARY_STREAM',
        transport: 'TCP',
      },
      30,
      start,
    );
    const tampered = `${p.token.slice(0, -4)}AAAA`;

    for (const token of [forged, live, tampered, 'not-a-jwt']) {
      assertError(await p.call('GET', devices, { token }), 401, ivm.unauthenticated);
    }
  });

  it('Access-Token is accepted until its expiry and refused with 401 after it', async () => {
    const p = await platform();

    p.clock.now = new Date(start.getTime() + (tokenTtlSeconds - 1) * 1000);
    assert.equal((await p.call('GET', devices)).status, 200);

    p.clock.now = new Date(start.getTime() + (tokenTtlSeconds + 1) * 1000);
    const message = assertError(await p.call('GET', devices), 401, ivm.unauthenticated);
    assert.match(message, /^Cannot accept access token: .*exp/);
  });

  it('Access-Token of another enterprise is refused with 403 on this one', async () => {
    const p = await platform();
    const otherToken = await givenOtherEnterprise(p);

    const answers = [
      await p.call('GET', devices, { token: otherToken }),
      await p.call('GET', `/v1/${userId}/channels`, { token: otherToken }),
      await p.call('POST', liveConnections, {
        body: { channels: [liveItem(cameraId, lens(1).channelId)] },
        token: otherToken,
      }),
    ];

    for (const answer of answers) {
      assert.match(assertError(answer, 403, ivm.forbidden), /^Cannot access enterprise /);
    }
  });
});

describe('request errors', () => {
  const batchAdd = `/v1/${userId}/devices/gb/batch-add`;

  it('a body that is not JSON is refused with 400', async () => {
    const p = await platform();

    const answer = await p.call('POST', batchAdd, { raw: '{"devices": [' });

    assert.equal(
      assertError(answer, 400, ivm.validation),
      'Cannot accept request: the body is not JSON',
    );
  });

  it('a body of 1 MiB is read and one byte more is refused with 413', async () => {
    const p = await platform();
    const bodyOf = (bytes: number) => `{"devices":"${'x'.repeat(bytes - 14)}"}`;
    assert.equal(bodyOf(maxBodyBytes).length, maxBodyBytes);

    assertError(await p.call('POST', batchAdd, { raw: bodyOf(maxBodyBytes) }), 400, ivm.validation);
    const message = assertError(
      await p.call('POST', batchAdd, { raw: bodyOf(maxBodyBytes + 1) }),
      413,
      ivm.tooLarge,
    );
    assert.equal(message, 'Cannot accept request: the body is larger than 1048576 bytes');
  });

  it('a body declared over 1 MiB is refused with 413 before it is read', async () => {
    const p = await platform();
    const headers = { 'Content-Length': String(maxBodyBytes + 1) };

    const answer = await p.call('POST', batchAdd, { raw: 'x'.repeat(maxBodyBytes + 1), headers });

    assertError(answer, 413, ivm.tooLarge);
  });

  it('limit and offset out of range or not integers are refused with 400', async () => {
    const p = await platform();
    const queries = ['limit=-1', 'limit=abc', 'limit=0', 'limit=1001', 'limit=1.5', 'offset=-5'];

    for (const query of queries) {
      for (const list of ['devices', 'channels']) {
        const answer = await p.call('GET', `/v1/${userId}/${list}?${query}`);
        const message = assertError(answer, 400, ivm.validation);
        assert.match(message, /^Cannot accept query: (limit|offset) /, `${list}?${query}`);
      }
    }
  });

  it('a device_id that is not 20 digits is refused with 400', async () => {
    const p = await platform();
    const answers = [
      await p.call('POST', batchAdd, { body: { devices: [deviceItem('3402000000132000000')] } }),
      await p.call('POST', batchAdd, { body: { devices: [deviceItem('3402000000132000000x')] } }),
      await p.call('GET', `/v1/${userId}/channels?device_id=123`),
      await p.call('POST', liveConnections, {
        body: { channels: [liveItem('123', lens(1).channelId)] },
      }),
    ];

    for (const answer of answers) {
      assert.match(assertError(answer, 400, ivm.validation), /device_id must be a 20-digit/);
    }
  });

  it('an unknown route is answered 404 with an error body', async () => {
    const p = await platform();

    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['GET', `/v2/${userId}/enterprises/access-token`],
      ['DELETE', `/v1/${userId}/devices`],
    ] as const) {
      const message = assertError(await p.call(method, path), 404, ivm.notFound);
      assert.equal(message, `Cannot find route: ${method} ${path}`);
    }
  });

  it('an unexpected error is answered 500 without its message', async () => {
    const logged: object[] = [];
    const logger: Logger = {
      ...silentLogger,
      error: (fields) => logged.push(fields),
      child: () => logger,
    };
    class BrokenTokens extends TokenService {
      override async verifyAccess(): Promise<AccessClaims> {
        throw new Error('SQLITE_CORRUPT: /var/lib/argus/argus.db is malformed');
      }
    }
    const p = await platform({ tokens: new BrokenTokens(secret), logger });

    const answer = await p.call('GET', `/v1/${userId}/devices`);

    assert.equal(assertErrorBody500(answer), 'Internal error');
    assert.doesNotMatch(answer.text, /SQLITE|argus\.db/);
    assert.equal(logged.length, 1, 'the error is logged for the operator');
  });

  it('an unexpected error in a batch item is reported without its message', async () => {
    const base = await platform();
    const failures = [
      new Error('SQLITE_IOERR: disk I/O error at /data/argus.db'),
      new ArgusError(errorCodes.INTERNAL, 'Cannot read /data/argus.db: SQLITE_IOERR'),
    ];
    class FailingStore extends SqlEventStore {
      override readStream(): Promise<RecordedEvent[]> {
        return Promise.reject(failures.shift());
      }
    }
    const p = await platform({ store: new FailingStore({ db: base.db, dialect: 'sqlite' }) });

    const answer = await p.call('POST', batchAdd, {
      body: { devices: [deviceItem(cameraId), deviceItem(nvrId)] },
    });

    assert.equal(answer.status, 200);
    assert.equal(answer.json.failed_num, 2);
    for (const item of answer.json.devices) {
      assert.deepEqual(item.result, { code: ivm.internal, msg: 'Internal error' });
    }
    assert.doesNotMatch(answer.text, /SQLITE|argus\.db/);
  });
});

/** A 500 answer's message, its body checked like any error body. */
function assertErrorBody500(answer: Answer): string {
  assert.equal(answer.status, 500, answer.text);
  assert.deepEqual(Object.keys(answer.json).sort(), ['error_code', 'error_msg', 'request_id']);
  assert.equal(answer.json.error_code, ivm.internal);
  assert.equal(answer.json.request_id, answer.headers.get('X-Request-Id'));
  return answer.json.error_msg as string;
}

describe('POST /v1/{user_id}/devices/gb/batch-add', () => {
  const batchAdd = `/v1/${userId}/devices/gb/batch-add`;

  it('batch-add adds new devices and tells them the announced SIP server', async () => {
    const p = await platform();
    await givenMediaNode(p.store);
    await p.runner.catchUp();

    const answer = await p.call('POST', batchAdd, { body: { devices: [deviceItem(cameraId)] } });

    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, {
      failed_num: 0,
      devices: [
        {
          device_id: cameraId,
          sip_server_id: '34020000002000000001',
          sip_server_domain: '3402000000',
          sip_server_host: '10.0.0.9',
          sip_server_port: 5062,
          result: { code: ivm.ok, msg: 'Success' },
        },
      ],
    });
    const listed = await p.call('GET', `/v1/${userId}/devices`);
    assert.equal(listed.json.devices[0].device_state, 'UNREGISTERED', 'read your writes');
  });

  it('batch-add reports a device that exists already per item and adds the others', async () => {
    const p = await platform();
    await p.call('POST', batchAdd, { body: { devices: [deviceItem(cameraId)] } });

    const answer = await p.call('POST', batchAdd, {
      body: { devices: [deviceItem(cameraId, 'Again'), deviceItem(nvrId, 'NVR')] },
    });

    assert.equal(answer.status, 200);
    assert.equal(answer.json.failed_num, 1);
    const [again, nvr] = answer.json.devices;
    assert.equal(again.result.code, ivm.conflict);
    assert.notEqual(again.result.code, ivm.ok);
    assert.equal(again.result.msg, `Cannot add device: ${cameraId} exists`);
    assert.equal(nvr.result.code, ivm.ok);
    const listed = await p.call('GET', `/v1/${userId}/devices`);
    assert.deepEqual(
      listed.json.devices.map((d: any) => [d.device_id, d.device_name]),
      [
        [nvrId, 'NVR'],
        [cameraId, 'Gate'],
      ],
    );
  });
});

describe('GET /v1/{user_id}/devices', () => {
  it('devices are listed a page at a time with the total as a number', async () => {
    const p = await platform();
    const ids = ['34020000001320000003', '34020000001320000001', '34020000001320000002'];
    await p.call('POST', `/v1/${userId}/devices/gb/batch-add`, {
      body: { devices: ids.map((id) => deviceItem(id)) },
    });

    const first = await p.call('GET', `/v1/${userId}/devices?limit=2`);
    const rest = await p.call('GET', `/v1/${userId}/devices?limit=2&offset=2`);

    assert.equal(first.json.total, 3);
    assert.equal(rest.json.total, 3);
    assert.deepEqual(
      [...first.json.devices, ...rest.json.devices].map((d: any) => d.device_id),
      [...ids].sort(),
    );
    assert.deepEqual(first.json.devices[0], {
      device_id: '34020000001320000001',
      device_name: 'Gate',
      device_state: 'UNREGISTERED',
      access_protocol: 'GB28181',
      channel_total: 0,
      device_type: 'IPC',
      create_time: start.toISOString(),
      state_changed_time: start.toISOString(),
    });
  });

  it('devices of another enterprise are not listed', async () => {
    const p = await platform();
    await givenDevices(p);
    const otherToken = await givenOtherEnterprise(p);

    const answer = await p.call('GET', `/v1/${otherUserId}/devices`, { token: otherToken });

    assert.deepEqual(answer.json, { total: 0, devices: [] });
  });
});

describe('GET /v1/{user_id}/channels', () => {
  it('channels are listed with their state, filtered by device_id', async () => {
    const p = await platform();
    await givenDevices(p);

    const all = await p.call('GET', `/v1/${userId}/channels`);
    const camera = await p.call('GET', `/v1/${userId}/channels?device_id=${cameraId}`);

    assert.equal(all.json.total, 3);
    assert.equal(camera.json.total, 2);
    assert.deepEqual(
      camera.json.channels.map((c: any) => [
        c.device_id,
        c.channel_id,
        c.channel_name,
        c.channel_state,
      ]),
      [
        [cameraId, lens(1).channelId, 'Lens 1', 'ONLINE'],
        [cameraId, lens(2).channelId, 'Lens 2', 'OFFLINE'],
      ],
    );
    const nvr = await p.call('GET', `/v1/${userId}/channels?device_id=${nvrId}&limit=1`);
    assert.deepEqual(
      nvr.json.channels.map((c: any) => [c.channel_id, c.channel_state]),
      [[lens(3).channelId, 'OFFLINE']],
    );
  });
});

describe('POST /v2/{user_id}/devices/channels/media/live-connections', () => {
  const tokenOf = (liveUrl: string) => new URL(liveUrl).searchParams.get('token') ?? '';

  it('live-connections shapes the URL after live_protocol and signs trans_protocol', async () => {
    const p = await platform();
    await givenDevices(p);
    const ask = (extra: Record<string, string>) =>
      p.call('POST', liveConnections, {
        body: { channels: [{ ...liveItem(cameraId, lens(1).channelId), ...extra }] },
      });
    const path = `/live/${cameraId}/${lens(1).channelId}`;

    const ws = (await ask({ live_protocol: 'WS_FLV', trans_protocol: 'UDP' })).json.channels[0];
    const wsUrl: string = ws.cloud_trans_connections.live_url;
    assert.ok(wsUrl.startsWith(`${mediaHttpUrl.replace('http', 'ws')}${path}.flv?token=`), wsUrl);
    assert.equal((await p.tokens.verifyLive(tokenOf(wsUrl), start)).transport, 'UDP');

    const hls = (await ask({ live_protocol: 'HTTP_HLS' })).json.channels[0];
    const hlsUrl: string = hls.cloud_trans_connections.live_url;
    assert.ok(hlsUrl.startsWith(`${mediaHttpUrl}${path}/index.m3u8?token=`), hlsUrl);

    const https = (await ask({ live_protocol: 'HTTPS_FLV' })).json.channels[0];
    assert.notEqual(https.result.code, ivm.ok);
    assert.match(https.result.msg, /TLS is not configured/);

    const bad = await ask({ live_protocol: 'RTSP' });
    assert.equal(bad.status, 400, bad.text);
  });

  it('live-connections gives a media node URL with a token valid for 30 s', async () => {
    const p = await platform();
    await givenDevices(p);

    const answer = await p.call('POST', liveConnections, {
      body: { channels: [liveItem(cameraId, lens(1).channelId)] },
    });

    assert.equal(answer.status, 200, answer.text);
    const [item] = answer.json.channels;
    assert.equal(item.device_id, cameraId);
    assert.equal(item.channel_id, lens(1).channelId);
    assert.deepEqual(item.result, { code: ivm.ok, msg: 'Success' });
    const url: string = item.cloud_trans_connections.live_url;
    assert.ok(
      url.startsWith(`${mediaHttpUrl}/live/${cameraId}/${lens(1).channelId}.flv?token=`),
      url,
    );
    const claims = await p.tokens.verifyLive(tokenOf(url), new Date(start.getTime() + 29_000));
    assert.deepEqual(claims, {
      userId,
      deviceId: cameraId,
      channelId: lens(1).channelId,
      streamType: 'PRIMARY_STREAM',
      transport: 'TCP',
    });
    await assert.rejects(
      p.tokens.verifyLive(tokenOf(url), new Date(start.getTime() + 31_000)),
      (error) => isArgusError(error, errorCodes.UNAUTHENTICATED),
    );
  });

  it('live-connections signs the live URL for the expire_time asked', async () => {
    const p = await platform();
    await givenDevices(p);

    const answer = await p.call('POST', liveConnections, {
      body: { channels: [liveItem(cameraId, lens(1).channelId)], expire_time: 120 },
    });

    const token = tokenOf(answer.json.channels[0].cloud_trans_connections.live_url);
    await p.tokens.verifyLive(token, new Date(start.getTime() + 119_000));
    await assert.rejects(p.tokens.verifyLive(token, new Date(start.getTime() + 121_000)));
  });

  it('live-connections reports an unknown channel per item with NOT_FOUND', async () => {
    const p = await platform();
    await givenDevices(p);

    const answer = await p.call('POST', liveConnections, {
      body: {
        channels: [liveItem(cameraId, lens(9).channelId), liveItem(cameraId, lens(1).channelId)],
      },
    });

    assert.equal(answer.status, 200);
    const [unknown, known] = answer.json.channels;
    assert.deepEqual(unknown, {
      device_id: cameraId,
      channel_id: lens(9).channelId,
      result: { code: ivm.notFound, msg: `Cannot play channel ${lens(9).channelId}: not found` },
    });
    assert.equal(known.result.code, ivm.ok);
  });

  it('live-connections reports a channel of an offline device as unavailable', async () => {
    const p = await platform();
    await givenDevices(p);

    const answer = await p.call('POST', liveConnections, {
      body: { channels: [liveItem(nvrId, lens(3).channelId)] },
    });

    const [item] = answer.json.channels;
    assert.deepEqual(item.result, {
      code: ivm.unavailable,
      msg: `Cannot play channel ${lens(3).channelId}: device offline`,
    });
    assert.equal(item.cloud_trans_connections, undefined);
  });

  it('live-connections reports a channel the catalog lists OFF as unavailable', async () => {
    const p = await platform();
    await givenDevices(p);

    const answer = await p.call('POST', liveConnections, {
      body: { channels: [liveItem(cameraId, lens(2).channelId)] },
    });

    assert.deepEqual(answer.json.channels[0].result, {
      code: ivm.unavailable,
      msg: `Cannot play channel ${lens(2).channelId}: channel offline`,
    });
  });

  it('live-connections reports a channel of another enterprise as NOT_FOUND', async () => {
    const p = await platform();
    await givenDevices(p);
    const otherToken = await givenOtherEnterprise(p);

    const answer = await p.call(
      'POST',
      `/v2/${otherUserId}/devices/channels/media/live-connections`,
      { body: { channels: [liveItem(cameraId, lens(1).channelId)] }, token: otherToken },
    );

    assert.equal(answer.json.channels[0].result.code, ivm.notFound);
  });
});

describe('bootstrapEnterprise', () => {
  it('bootstrapEnterprise creates the enterprise once, with its AK/SK', async () => {
    const p = await platform();

    const again = await bootstrapEnterprise(p.store, { userId, ak, sk, now: start });

    assert.equal(again, undefined);
    const enterprise = await p.store.readStream(streamNames.enterprise(userId));
    assert.deepEqual(
      enterprise.map((e) => e.type),
      ['EnterpriseCreated', 'CredentialIssued'],
    );
  });

  it('bootstrapEnterprise creates the enterprise after a media node announced itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-api-'));
    dirs.push(dir);
    const db = await openSqliteDatabase(join(dir, 'argus.db'));
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    await givenMediaNode(store);

    const boot = await bootstrapEnterprise(store, { now: start });

    assert.ok(boot !== undefined, 'bootstrapEnterprise created nothing');
    assert.match(boot.userId, /^[1-9]\d{19}$/);
    assert.ok(boot.generated !== undefined, 'no AK/SK generated');
    const enterprise = await store.readStream(streamNames.enterprise(boot.userId));
    assert.deepEqual(
      enterprise.map((e) => e.type),
      ['EnterpriseCreated', 'CredentialIssued'],
    );
    assert.equal(await bootstrapEnterprise(store, { now: start }), undefined);
    await db.destroy();
  });
});
