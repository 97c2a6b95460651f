/**
 * Service packages through the API as specifications: the operator grants, the tenant binds
 * and unbinds channels within the quota, lists packages and their channels; watching needs a
 * bound MANAGE package once the tenant holds any; pushed messages need DATAFLOW; deleted
 * devices and channels release their bindings; the read models rebuild to the same rows.
 * In-process (`app.request`) on real SQLite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sql } from 'kysely';

import type { ChannelInfo, DeviceEvent } from '../../../src/domain/device.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import { DataflowGate } from '../../../src/fanout/dataflow-gate.ts';
import { servicePackageProjection } from '../../../src/projections/package-projection.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { servicePackagesMigration } from '../../../schema/migrations/0008-service-packages.ts';
import { platform, start, userId, type Answer, type Platform } from './control-plane-support.ts';

const cameraId = '34020000001320000001';
const otherTenant = '100000000000000009';
const lens = (n: number): ChannelInfo => ({
  channelId: `3402000000131000000${n}`,
  name: `Lens ${n}`,
  status: 'ON',
});
const at = start.toISOString();

const bindings = '/v1/{user_id}/devices/channels/resources';
const liveConnections = '/v2/{user_id}/devices/channels/media/live-connections';

async function givenDevice(p: Platform, channels: number[], owner = userId, deviceId = cameraId) {
  const events: DeviceEvent[] = [
    { type: 'DeviceAdded', data: { deviceId, userId: owner, name: 'Gate', password: 'pw', at } },
    {
      type: 'DeviceRegistered',
      data: {
        deviceId,
        nodeId: 'media-1',
        transport: 'UDP',
        remoteAddress: '10.0.0.5:5060',
        expires: 3600,
        at,
      },
    },
    { type: 'DeviceCatalogUpdated', data: { deviceId, channels: channels.map(lens), at } },
  ];
  await p.store.appendToStream(streamNames.mediaNode('media-1'), [
    {
      type: 'MediaNodeStarted',
      data: {
        nodeId: 'media-1',
        httpUrl: 'http://10.0.0.9:8081',
        sipHost: '10.0.0.9',
        sipPort: 5060,
        at,
      },
    },
  ]);
  await appendDevice(p, deviceId, ...events);
}

async function appendDevice(p: Platform, deviceId: string, ...events: DeviceEvent[]) {
  await p.store.appendToStream(
    streamNames.device(deviceId),
    events.map((event) => ({ type: event.type, data: { ...event.data } })),
  );
  await p.runner.catchUp();
}

async function grant(
  p: Platform,
  fields: { type?: string; quota?: number; expire?: string; id?: string; tenant?: string } = {},
): Promise<Answer> {
  const answer = await p.call('POST', '/operator/packages', {
    headers: { 'Operator-Key': p.operatorKey },
    body: {
      user_id: fields.tenant ?? userId,
      resource_type: fields.type ?? 'MANAGE',
      resource_name: 'Gate cameras',
      channel_quota: fields.quota ?? 2,
      ...(fields.expire === undefined ? {} : { expire_time: fields.expire }),
      ...(fields.id === undefined ? {} : { resource_id: fields.id }),
    },
  });
  return answer;
}

async function tokenOf(p: Platform): Promise<string> {
  const answer = await p.login();
  assert.equal(answer.status, 200, answer.text);
  return answer.json.access_token as string;
}

const item = (n: number, resourceId: string, deviceId = cameraId) => ({
  device_id: deviceId,
  channel_id: lens(n).channelId,
  resource_id: resourceId,
});

async function liveResults(p: Platform, token: string, channels: number[]) {
  const answer = await p.call('POST', liveConnections, {
    token,
    body: {
      channels: channels.map((n) => ({ device_id: cameraId, channel_id: lens(n).channelId })),
    },
  });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.channels.map((c: { result: { code: string; msg: string } }) => c.result);
}

describe('operator packages', () => {
  it('POST /operator/packages grants a package the tenant then lists with its quota', async () => {
    const p = await platform();
    const token = await tokenOf(p);

    const granted = await grant(p, { id: 'pkg-a', quota: 3, expire: '2025-05-01T00:00:00+08:00' });

    assert.equal(granted.status, 200, granted.text);
    const listed = await p.call('GET', '/v1/{user_id}/resources', { token });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json, {
      total: 1,
      resources: [
        {
          resource_id: 'pkg-a',
          resource_type: 'MANAGE',
          resource_name: 'Gate cameras',
          channel_quota: 3,
          used_channel_num: 0,
          expire_time: '2025-04-30T16:00:00.000Z',
          resource_state: 'VALID',
          create_time: at,
        },
      ],
    });
  });

  it('POST /operator/packages refuses a missing operator key and an unknown tenant', async () => {
    const p = await platform();
    const refused = await p.call('POST', '/operator/packages', {
      body: { user_id: userId, resource_type: 'MANAGE', resource_name: 'x', channel_quota: 1 },
    });
    assert.equal(refused.status, 401, refused.text);
    const unknown = await grant(p, { tenant: otherTenant });
    assert.equal(unknown.status, 404, unknown.text);
    assert.match(unknown.json.error_msg, /no enterprise or personal account 100000000000000009/);
  });
});

describe('POST|DELETE /v1/{user_id}/devices/channels/resources', () => {
  it('binds up to the quota, refuses one past it per item, naming package and limit', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1, 2, 3]);
    await grant(p, { id: 'pkg-a', quota: 2 });

    const answer = await p.call('POST', bindings, {
      token,
      body: { channels: [item(1, 'pkg-a'), item(2, 'pkg-a'), item(3, 'pkg-a')] },
    });

    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.failed_num, 1);
    const results = answer.json.channels.map((c: { result: { code: string } }) => c.result.code);
    assert.deepEqual(results, ['IVM.0', 'IVM.0', 'IVM.10000005']);
    assert.equal(
      answer.json.channels[2].result.msg,
      'Cannot bind channel 34020000001310000003: ' +
        'MANAGE package "Gate cameras" (resource pkg-a) allows 2 channels',
    );
    const listed = await p.call('GET', '/v1/{user_id}/resources/pkg-a/channels', { token });
    assert.deepEqual(
      listed.json.channels.map((c: { channel_id: string }) => c.channel_id),
      [lens(1).channelId, lens(2).channelId],
    );
    const resources = await p.call('GET', '/v1/{user_id}/resources', { token });
    assert.equal(resources.json.resources[0].used_channel_num, 2);
  });

  it('unbinding makes room for another channel; unbinding one not bound fails alone', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1, 2]);
    await grant(p, { id: 'pkg-a', quota: 1 });
    await p.call('POST', bindings, { token, body: { channels: [item(1, 'pkg-a')] } });

    const unbound = await p.call('DELETE', bindings, {
      token,
      body: { channels: [item(1, 'pkg-a'), item(2, 'pkg-a')] },
    });
    const bound = await p.call('POST', bindings, { token, body: { channels: [item(2, 'pkg-a')] } });

    assert.equal(unbound.json.failed_num, 1, unbound.text);
    assert.equal(unbound.json.channels[1].result.code, 'IVM.10000004');
    assert.equal(bound.json.failed_num, 0, bound.text);
  });

  it("refuses a channel the tenant lacks and another tenant's package, per item", async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1]);
    await p.store.appendToStream(streamNames.enterprise(otherTenant), [
      { type: 'EnterpriseCreated', data: { userId: otherTenant, name: 'Other', at } },
    ]);
    await p.runner.catchUp();
    await grant(p, { id: 'pkg-a' });
    await grant(p, { id: 'pkg-other', tenant: otherTenant });

    const answer = await p.call('POST', bindings, {
      token,
      body: { channels: [item(9, 'pkg-a'), item(1, 'pkg-other')] },
    });

    assert.equal(answer.json.failed_num, 2, answer.text);
    assert.match(answer.json.channels[0].result.msg, /no such channel of device/);
    assert.match(answer.json.channels[1].result.msg, /no resource pkg-other in 100000000000000001/);
    const foreign = await p.call('GET', '/v1/{user_id}/resources/pkg-other/channels', { token });
    assert.equal(foreign.status, 404, foreign.text);
  });

  it('refuses binding to an expired package, which lists as EXPIRED', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1]);
    await grant(p, { id: 'pkg-a', expire: '2024-05-01T08:30:00Z' });
    p.clock.now = new Date('2024-05-01T08:30:00Z');

    const answer = await p.call('POST', bindings, {
      token,
      body: { channels: [item(1, 'pkg-a')] },
    });

    assert.match(answer.json.channels[0].result.msg, /expired at 2024-05-01T08:30:00.000Z$/);
    const listed = await p.call('GET', '/v1/{user_id}/resources', { token });
    assert.equal(listed.json.resources[0].resource_state, 'EXPIRED');
  });

  it('a deleted device releases its bindings, and the quota counts them no more', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    const nvrId = '34020000001180000001';
    await givenDevice(p, [1]);
    await givenDevice(p, [2], userId, nvrId);
    await grant(p, { id: 'pkg-a', quota: 1 });
    await p.call('POST', bindings, { token, body: { channels: [item(1, 'pkg-a')] } });

    await appendDevice(p, cameraId, {
      type: 'DeviceDeleted',
      data: { deviceId: cameraId, userId, at },
    } as unknown as DeviceEvent);
    const listed = await p.call('GET', '/v1/{user_id}/resources', { token });
    const bound = await p.call('POST', bindings, {
      token,
      body: { channels: [item(2, 'pkg-a', nvrId)] },
    });

    assert.equal(listed.json.resources[0].used_channel_num, 0);
    assert.equal(bound.json.failed_num, 0, bound.text);
    const events = await p.store.readStream('service-package-pkg-a');
    assert.deepEqual(
      events.slice(-2).map((e) => [e.type, e.data['reason'] ?? null]),
      [
        ['PackageChannelUnbound', 'released'],
        ['PackageChannelBound', null],
      ],
    );
  });

  it('a channel gone from the catalog is released even where it comes back later', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1, 2]);
    await grant(p, { id: 'pkg-a', quota: 1 });
    await p.call('POST', bindings, { token, body: { channels: [item(1, 'pkg-a')] } });
    const catalog = (channels: number[]): DeviceEvent => ({
      type: 'DeviceCatalogUpdated',
      data: { deviceId: cameraId, channels: channels.map(lens), at },
    });

    await appendDevice(p, cameraId, catalog([2]), catalog([1, 2]));
    const bound = await p.call('POST', bindings, { token, body: { channels: [item(2, 'pkg-a')] } });

    assert.equal(bound.json.failed_num, 0, bound.text);
    const listed = await p.call('GET', '/v1/{user_id}/resources/pkg-a/channels', { token });
    assert.deepEqual(
      listed.json.channels.map((c: { channel_id: string }) => c.channel_id),
      [lens(2).channelId],
    );
  });
});

describe('live-connections with service packages', () => {
  it('a tenant without packages watches every channel', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1, 2]);

    const results = await liveResults(p, token, [1, 2]);

    assert.deepEqual(
      results.map((r: { code: string }) => r.code),
      ['IVM.0', 'IVM.0'],
    );
  });

  it('once the tenant has a package, only channels bound to MANAGE in force are seen', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1, 2, 3]);
    await grant(p, { id: 'pkg-m', quota: 2, expire: '2024-05-01T08:30:00Z' });
    await grant(p, { id: 'pkg-d', type: 'DATAFLOW' });
    await p.call('POST', bindings, {
      token,
      body: { channels: [item(1, 'pkg-m'), item(2, 'pkg-d')] },
    });

    const results = await liveResults(p, token, [1, 2]);
    p.clock.now = new Date('2024-05-01T08:30:00Z');
    const expired = await liveResults(p, token, [1]);

    assert.equal(results[0].code, 'IVM.0');
    assert.equal(results[1].code, 'IVM.10000003');
    assert.equal(
      results[1].msg,
      'Cannot play channel 34020000001310000002: ' +
        'no MANAGE package in force is bound to channel 34020000001310000002',
    );
    assert.equal(expired[0].code, 'IVM.10000003');
  });
});

describe('DataflowGate', () => {
  const status = { messageType: 'device_status' as const, deviceId: cameraId, data: {} };
  const alarm = (n: number) => ({
    messageType: 'device_alarm' as const,
    deviceId: cameraId,
    data: { channel_id: lens(n).channelId },
  });

  it('admits every message of a tenant without packages', async () => {
    const p = await platform();
    const gate = new DataflowGate(p.db);
    assert.equal(await gate.admits(userId, status, at), true);
    assert.equal(await gate.admits(userId, alarm(1), at), true);
  });

  it('admits only messages of channels bound to DATAFLOW if the tenant has packages', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1, 2]);
    await grant(p, { id: 'pkg-m', quota: 2 });
    await p.call('POST', bindings, { token, body: { channels: [item(1, 'pkg-m')] } });
    const gate = new DataflowGate(p.db);

    const withManageOnly = await gate.admits(userId, alarm(1), at);
    await grant(p, { id: 'pkg-d', type: 'DATAFLOW' });
    await p.call('POST', bindings, { token, body: { channels: [item(1, 'pkg-d')] } });

    assert.equal(withManageOnly, false);
    assert.equal(await gate.admits(userId, alarm(1), at), true);
    assert.equal(await gate.admits(userId, alarm(2), at), false);
    assert.equal(await gate.admits(userId, status, at), true);
    const unbind = {
      messageType: 'device_unbind' as const,
      deviceId: '34020000001329999999',
      data: {},
    };
    assert.equal(await gate.admits(userId, unbind, at), true);
  });
});

describe('service package projection', () => {
  it('rebuilds from the log to the same rows', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenDevice(p, [1, 2, 3]);
    await grant(p, { id: 'pkg-a', quota: 2 });
    await grant(p, { id: 'pkg-d', type: 'DATAFLOW', expire: '2025-01-01T00:00:00Z' });
    await p.call('POST', bindings, {
      token,
      body: { channels: [item(1, 'pkg-a'), item(2, 'pkg-a'), item(3, 'pkg-d')] },
    });
    await p.call('DELETE', bindings, { token, body: { channels: [item(2, 'pkg-a')] } });
    await appendDevice(p, cameraId, {
      type: 'DeviceCatalogUpdated',
      data: { deviceId: cameraId, channels: [lens(1)], at },
    });
    const before = await rows(p);
    assert.equal(before.bindings.length, 1);

    await sql`drop table package_channels`.execute(p.db);
    await sql`drop table service_packages`.execute(p.db);
    await servicePackagesMigration.up(p.db as never);
    await p.db
      .deleteFrom('projection_checkpoints')
      .where('projection_name', '=', 'service-packages')
      .execute();
    const runner = new ProjectionRunner({
      db: p.db,
      dialect: 'sqlite',
      store: p.store,
      projections: [servicePackageProjection],
    });
    await runner.catchUp();

    assert.deepEqual(await rows(p), before);
  });
});

async function rows(p: Platform) {
  const packages = await sql`select * from service_packages order by resource_id`.execute(p.db);
  const bindingRows =
    await sql`select * from package_channels order by resource_id, device_id, channel_id`.execute(
      p.db,
    );
  return { packages: packages.rows, bindings: bindingRows.rows };
}
