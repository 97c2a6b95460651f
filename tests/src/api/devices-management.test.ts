/**
 * Devices in organisations, their management and their channels through the API, as
 * specifications: in-process `app.request` on real SQLite with the API's projections.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { foldDevice, type DeviceEvent } from '../../../src/domain/device.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import { platform, start, type Platform } from './control-plane-support.ts';
import {
  adminToken,
  assertError,
  channel,
  givenAccount,
  givenDevices,
  givenOnline,
  givenOrg,
  ivm,
} from './devices-support.ts';

const camera = (n: number) => `340200000013200000${String(n).padStart(2, '0')}`;
const ids = (answer: { json: any }) => answer.json.devices.map((d: any) => d.device_id);

async function deviceState(p: Platform, deviceId: string) {
  const events = await p.store.readStream(streamNames.device(deviceId));
  return foldDevice(
    deviceId,
    events.map((e) => ({ type: e.type, data: e.data }) as DeviceEvent),
  );
}

/** Another enterprise, through the operator API; resolves with its ID and a token. */
async function otherEnterprise(p: Platform) {
  const created = await p.call('POST', '/operator/enterprises', {
    headers: { 'Operator-Key': p.operatorKey },
    body: { name: 'Other' },
  });
  assert.equal(created.status, 200, created.text);
  const { user_id: userId, ak, sk } = created.json;
  const login = await p.login({ ak, sk }, undefined, userId);
  return { userId: userId as string, token: login.json.access_token as string };
}

describe('devices in organisations', () => {
  it('an organisation lists its devices with filters, total and online_total', async () => {
    const p = await platform();
    const token = await adminToken(p);
    const north = await givenOrg(p, token, 'North');
    const gate = await givenOrg(p, token, 'Gate', north);
    await givenDevices(p, token, [camera(1), camera(2)], north);
    await givenDevices(p, token, [camera(3)], gate);
    await givenDevices(p, token, [camera(4)]);
    await givenOnline(p, camera(2), []);
    await givenOnline(p, camera(3), []);
    const list = (query: string) =>
      p.call('GET', `/v1/{user_id}/device-orgs/${north}/devices?${query}`, { token });

    const own = await list('');
    const below = await list('include_sub_orgs=true');
    const online = await list('include_sub_orgs=true&device_state=ONLINE');
    const named = await list('include_sub_orgs=true&device_name=era 2&access_protocol=GB28181');
    const paged = await list('include_sub_orgs=true&limit=1&offset=2');

    assert.deepEqual(
      [own.json.total, own.json.online_total, ids(own)],
      [2, 1, [camera(1), camera(2)]],
    );
    assert.deepEqual([below.json.total, below.json.online_total], [3, 2]);
    assert.deepEqual(ids(online), [camera(2), camera(3)]);
    assert.deepEqual(ids(named), [camera(2)]);
    assert.deepEqual([paged.json.total, ids(paged)], [3, [camera(3)]]);
    assert.equal(own.json.devices[0].device_org_id, north);
    const root = await p.call('GET', '/v1/{user_id}/device-orgs/0/devices', { token });
    assert.deepEqual(ids(root), [camera(4)]);
    assertError(await list('device_state=SLEEPING'), 400, ivm.validation);
    const none = await p.call('GET', '/v1/{user_id}/device-orgs/99/devices', { token });
    assertError(none, 404, ivm.notFound);
  });

  it('move-devices moves per item, and an organisation is deleted only once empty', async () => {
    const p = await platform();
    const token = await adminToken(p);
    const north = await givenOrg(p, token, 'North');
    const south = await givenOrg(p, token, 'South');
    await givenDevices(p, token, [camera(1), camera(2)], north);

    const refused = await p.call('DELETE', `/v1/{user_id}/device-orgs/${north}`, { token });
    const moved = await p.call('POST', `/v1/{user_id}/device-orgs/${south}/move-devices`, {
      token,
      body: { device_ids: [camera(1), camera(9), camera(2)] },
    });
    const deleted = await p.call('DELETE', `/v1/{user_id}/device-orgs/${north}`, { token });

    assert.match(assertError(refused, 409, ivm.conflict), /holds 2 devices/);
    assert.equal(moved.json.failed_num, 1);
    assert.deepEqual(
      moved.json.devices.map((d: any) => d.result.code),
      [ivm.ok, ivm.notFound, ivm.ok],
    );
    assert.equal(deleted.status, 200, deleted.text);
    const inSouth = await p.call('GET', `/v1/{user_id}/device-orgs/${south}/devices`, { token });
    assert.deepEqual(ids(inSouth), [camera(1), camera(2)]);
    const nowhere = await p.call('POST', '/v1/{user_id}/device-orgs/42/move-devices', {
      token,
      body: { device_ids: [camera(1)] },
    });
    assertError(nowhere, 404, ivm.notFound);
  });

  it('batch-add adds a device to the given organisation, refuses an unknown one', async () => {
    const p = await platform();
    const token = await adminToken(p);
    const north = await givenOrg(p, token, 'North');

    const answer = await p.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      token,
      body: {
        devices: [
          { device_id: camera(1), device_name: 'A', device_password: 'p', device_org_id: north },
          { device_id: camera(2), device_name: 'B', device_password: 'p', device_org_id: '7' },
        ],
      },
    });

    assert.deepEqual(
      answer.json.devices.map((d: any) => d.result.code),
      [ivm.ok, ivm.notFound],
    );
    const one = await p.call('GET', `/v1/{user_id}/devices/${camera(1)}`, { token });
    assert.equal(one.json.device_org_id, north);
  });
});

describe('a department manager', () => {
  it('a department manager manages only devices of their department and below', async () => {
    const p = await platform();
    const admin = await adminToken(p);
    const north = await givenOrg(p, admin, 'North');
    const gate = await givenOrg(p, admin, 'Gate', north);
    const south = await givenOrg(p, admin, 'South');
    await givenDevices(p, admin, [camera(1)], gate);
    await givenDevices(p, admin, [camera(2)], south);
    await givenDevices(p, admin, [camera(3)]);
    await givenOnline(p, camera(1), [channel(camera(1), 1, 'Gate lens')]);
    await givenOnline(p, camera(2), [channel(camera(2), 1, 'South lens')]);
    const token = await givenAccount(p, admin, 'erin', 'DEPARTMENT_MANAGER', north);

    const devices = await p.call('GET', '/v1/{user_id}/devices', { token });
    const channels = await p.call('GET', '/v1/{user_id}/channels', { token });
    const root = await p.call('GET', '/v1/{user_id}/device-orgs/0/devices?include_sub_orgs=true', {
      token,
    });
    const outside = await p.call('GET', `/v1/{user_id}/devices/${camera(2)}`, { token });
    const live = await p.call('POST', '/v2/{user_id}/devices/channels/media/live-connections', {
      token,
      body: {
        channels: [{ device_id: camera(2), channel_id: channel(camera(2), 1, '').channelId }],
      },
    });
    const edit = await p.call('PUT', `/v1/{user_id}/devices/${camera(2)}`, {
      token,
      body: { device_name: 'Mine' },
    });
    const moveOut = await p.call('POST', `/v1/{user_id}/device-orgs/${south}/move-devices`, {
      token,
      body: { device_ids: [camera(1)] },
    });
    const moveIn = await p.call('POST', `/v1/{user_id}/device-orgs/${north}/move-devices`, {
      token,
      body: { device_ids: [camera(2), camera(1)] },
    });

    assert.deepEqual([devices.json.total, ids(devices)], [1, [camera(1)]]);
    assert.deepEqual(
      channels.json.channels.map((c: any) => c.device_id),
      [camera(1)],
    );
    assert.deepEqual(ids(root), [camera(1)]);
    assertError(outside, 404, ivm.notFound);
    assert.equal(live.json.channels[0].result.code, ivm.notFound);
    assertError(edit, 404, ivm.notFound);
    assertError(moveOut, 403, ivm.forbidden);
    assert.deepEqual(
      moveIn.json.devices.map((d: any) => d.result.code),
      [ivm.notFound, ivm.ok],
    );
    await givenDevices(p, token, [camera(4)]);
    assert.equal((await deviceState(p, camera(4))).deviceOrgId, north, 'added to the department');
    const addOutside = await p.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      token,
      body: {
        devices: [
          { device_id: camera(5), device_name: 'X', device_password: 'p', device_org_id: south },
        ],
      },
    });
    assert.equal(addOutside.json.devices[0].result.code, ivm.forbidden);
  });
});

describe('device management', () => {
  it('a device is edited and its GB credentials changed, never answered back', async () => {
    const p = await platform();
    const token = await adminToken(p);
    await givenDevices(p, token, [camera(1)]);

    const edited = await p.call('PUT', `/v1/{user_id}/devices/${camera(1)}`, {
      token,
      body: { device_name: 'Front gate', description: 'Faces the street' },
    });
    const credentials = await p.call('PUT', `/v1/{user_id}/devices/${camera(1)}/gb-credentials`, {
      token,
      body: { device_password: 'n3w-secret', algorithm: 'SHA-256', device_username: 'admin' },
    });
    const empty = await p.call('PUT', `/v1/{user_id}/devices/${camera(1)}`, { token, body: {} });

    assert.deepEqual(edited.json, {
      device_id: camera(1),
      device_name: 'Front gate',
      description: 'Faces the street',
    });
    const one = await p.call('GET', `/v1/{user_id}/devices/${camera(1)}`, { token });
    assert.deepEqual(
      [one.json.device_name, one.json.description],
      ['Front gate', 'Faces the street'],
    );
    assert.equal(one.json.gb_access_state, 'NOT_CONNECTED', 'the fields it had are kept');
    assert.deepEqual(credentials.json, { device_id: camera(1) });
    const device = await deviceState(p, camera(1));
    assert.deepEqual(
      [device.password, device.algorithm, device.username],
      ['n3w-secret', 'SHA-256', 'admin'],
    );
    assert.match(assertError(empty, 400, ivm.validation), /device_name or description/);
  });

  it('batch-delete releases devices per item: another enterprise may add them then', async () => {
    const p = await platform();
    const token = await adminToken(p);
    await givenDevices(p, token, [camera(1), camera(2)]);
    await givenOnline(p, camera(1), [channel(camera(1), 1, 'Lens')]);
    const other = await otherEnterprise(p);

    const bound = await p.call('POST', `/v1/${other.userId}/devices/gb/batch-add`, {
      token: other.token,
      body: { devices: [{ device_id: camera(1), device_name: 'X', device_password: 'p' }] },
    });
    const deleted = await p.call('POST', '/v1/{user_id}/devices/batch-delete', {
      token,
      body: { devices: [camera(1), camera(9)] },
    });

    assert.equal(bound.json.devices[0].result.code, ivm.conflict);
    assert.match(bound.json.devices[0].result.msg, /bound to another account/);
    assert.doesNotMatch(bound.text, /100000000000000001/);
    assert.equal(deleted.json.failed_num, 1);
    assert.deepEqual(
      deleted.json.devices.map((d: any) => [d.device_id, d.result.code]),
      [
        [camera(1), ivm.ok],
        [camera(9), ivm.notFound],
      ],
    );
    const left = await p.call('GET', '/v1/{user_id}/devices', { token });
    assert.deepEqual(ids(left), [camera(2)]);
    const channels = await p.call('GET', '/v1/{user_id}/channels', { token });
    assert.equal(channels.json.total, 0);
    await givenDevices(p, other.token, [camera(1)], undefined, other.userId);
    assert.equal((await deviceState(p, camera(1))).userId, other.userId);
  });
});

describe('channels', () => {
  it('channels are filtered by state and name and sorted by sort_by and direction', async () => {
    const p = await platform();
    const token = await adminToken(p);
    await givenDevices(p, token, [camera(1), camera(2)]);
    await givenOnline(p, camera(1), [
      channel(camera(1), 1, 'Yard'),
      channel(camera(1), 2, 'Gate', 'OFF'),
    ]);
    p.clock.now = new Date(start.getTime() + 60_000);
    await givenOnline(p, camera(2), [channel(camera(2), 1, 'Back yard')]);
    const list = async (query: string) =>
      (await p.call('GET', `/v1/{user_id}/channels?${query}`, { token })).json.channels.map(
        (c: any) => c.channel_name,
      );

    assert.deepEqual(await list('sort_by=name'), ['Back yard', 'Gate', 'Yard']);
    assert.deepEqual(await list('sort_by=name&direction=DESC'), ['Yard', 'Gate', 'Back yard']);
    assert.deepEqual(await list('sort_by=state'), ['Gate', 'Yard', 'Back yard']);
    assert.deepEqual(await list('channel_state=ONLINE&channel_name=ard'), ['Yard', 'Back yard']);
    assert.deepEqual(await list('channel_name=%25'), []);
    assert.deepEqual(await list(`device_id=${camera(2)}&sort_by=create_time`), ['Back yard']);
    const wrong = await p.call('GET', '/v1/{user_id}/channels?sort_by=colour', { token });
    assertError(wrong, 400, ivm.validation);
  });

  it('a channel is shown alone; a channel ID of a wrong type is refused by digits', async () => {
    const p = await platform();
    const token = await adminToken(p);
    await givenDevices(p, token, [camera(1)]);
    const lens = channel(camera(1), 1, 'Yard');
    await givenOnline(p, camera(1), [{ ...lens, manufacturer: 'Hikvision' }]);
    const path = (channelId: string) => `/v1/{user_id}/devices/${camera(1)}/channels/${channelId}`;

    const one = await p.call('GET', path(lens.channelId), { token });
    const ipc = await p.call('GET', path(lens.channelId.replace('131', '132')), { token });
    const nvr = await p.call('GET', path('34020000001180000001'), { token });
    const letters = await p.call('GET', path('3402000000131000000x'), { token });

    assert.equal(one.status, 200, one.text);
    assert.deepEqual(
      [one.json.channel_name, one.json.channel_state, one.json.manufacturer, one.json.device_name],
      ['Yard', 'ONLINE', 'Hikvision', 'Camera 1'],
    );
    assertError(ipc, 404, ivm.notFound);
    assert.match(assertError(nvr, 400, ivm.validation), /digits 11-13 are 118/);
    assert.match(assertError(letters, 400, ivm.validation), /character 20 is not a digit/);
  });
});

describe('Idempotency-Key', () => {
  it('batch-add with a key repeated answers the first answer without adding again', async () => {
    const p = await platform();
    let token = await adminToken(p);
    const body = { devices: [{ device_id: camera(1), device_name: 'A', device_password: 'p' }] };
    const add = (key: string, b: unknown = body) =>
      p.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
        token,
        body: b,
        headers: { 'Idempotency-Key': key },
      });

    const first = await add('k-1');
    const events = (await p.store.readStream(streamNames.device(camera(1)))).length;
    const again = await add('k-1');
    const other = await add('k-1', { devices: [{ ...body.devices[0], device_name: 'B' }] });
    const plain = await add('k-2');
    p.clock.now = new Date(start.getTime() + 24 * 3600_000 + 1);
    token = await adminToken(p);
    const expired = await add('k-1');

    assert.equal(first.json.failed_num, 0);
    assert.deepEqual(again.json, first.json);
    assert.equal(again.headers.get('Idempotent-Replayed'), 'true');
    assert.equal((await p.store.readStream(streamNames.device(camera(1)))).length, events);
    assert.match(assertError(other, 409, ivm.conflict), /Idempotency-Key/);
    assert.equal(plain.json.devices[0].result.code, ivm.conflict, 'a new key adds again');
    assert.equal(expired.json.devices[0].result.code, ivm.conflict, 'after 24 h it runs again');
    assertError(await add('with space'), 400, ivm.validation);
  });
});
