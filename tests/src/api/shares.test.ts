/**
 * Sharing through the API (issue 5, item 7), on the in-process platform: a personal account
 * shares devices and channels by login name; the grantee, with their own token, uses the
 * owner's live, playback and PTZ routes only where a live share grants it, and nothing else
 * of the owner's; revoking and expiry refuse at once; a personal account holds at most 64
 * devices.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { streamNames } from '../../../src/event-store/event-store.ts';
import { platform, start, type Platform } from './control-plane-support.ts';
import { assertError, channel, givenDevices, givenOnline, ivm } from './devices-support.ts';

type Json = Record<string, any>;

const d1 = '34020000001320000801';
const d2 = '34020000001320000802';
const d1c1 = channel(d1, 1, 'Front door');
const d1c2 = channel(d1, 2, 'Garden');
const d2c1 = channel(d2, 1, 'Bedroom');

let p: Platform;
let owner: { userId: string; token: string };
let gus: { userId: string; token: string };

async function personal(login: string) {
  const answer = await p.call('POST', '/operator/personal-accounts', {
    headers: { 'Operator-Key': p.operatorKey },
    body: { login_name: login, password: `${login}-password`, name: login },
  });
  assert.equal(answer.status, 200, answer.text);
  return {
    userId: answer.json.user_id as string,
    token: await p.loginAs(login, `${login}-password`),
  };
}

before(async () => {
  p = await platform();
  await p.store.appendToStream(streamNames.mediaNode('media-1'), [
    {
      type: 'MediaNodeStarted',
      data: {
        nodeId: 'media-1',
        httpUrl: 'http://10.0.0.9:8081',
        sipHost: '10.0.0.9',
        sipPort: 5062,
        at: start.toISOString(),
      },
    },
  ]);
  owner = await personal('pia-owner');
  gus = await personal('gus-grantee');
  await givenDevices(p, owner.token, [d1, d2], undefined, owner.userId);
  await givenOnline(p, d1, [d1c1, d1c2]);
  await givenOnline(p, d2, [d2c1]);
});

const shares = (deviceId: string) => `/v1/${'{owner}'}/devices/${deviceId}/shares`;

function ownerCall(method: string, path: string, body?: unknown) {
  const options = body === undefined ? { token: owner.token } : { token: owner.token, body };
  return p.call(method, path.replace('{owner}', owner.userId), options);
}

function granteeCall(method: string, path: string, body?: unknown) {
  const options = body === undefined ? { token: gus.token } : { token: gus.token, body };
  return p.call(method, path.replace('{owner}', owner.userId), options);
}

async function share(deviceId: string, body: Json) {
  const answer = await ownerCall('POST', shares(deviceId), { login_name: 'gus-grantee', ...body });
  assert.equal(answer.status, 200, answer.text);
  return answer.json;
}

async function revoke(deviceId: string) {
  const answer = await ownerCall('DELETE', `${shares(deviceId)}/gus-grantee`);
  assert.equal(answer.status, 200, answer.text);
}

const live = (deviceId: string, channelId: string) =>
  granteeCall('POST', '/v2/{owner}/devices/channels/media/live-connections', {
    channels: [{ device_id: deviceId, channel_id: channelId }],
  });

const playback = (deviceId: string, channelId: string) =>
  granteeCall('POST', '/v2/{owner}/devices/channels/media/playback-connections', {
    channels: [
      {
        device_id: deviceId,
        channel_id: channelId,
        start_time: '2024-05-01T06:00:00+08:00',
        end_time: '2024-05-01T07:00:00+08:00',
      },
    ],
  });

const records = (deviceId: string, channelId: string) =>
  granteeCall(
    'GET',
    `/v2/{owner}/devices/${deviceId}/channels/${channelId}/media/records` +
      '?start_time=2024-05-01T06:00:00%2B08:00&end_time=2024-05-01T07:00:00%2B08:00',
  );

const controlLock = (deviceId: string, channelId: string) =>
  granteeCall('GET', `/v1/{owner}/devices/${deviceId}/channels/${channelId}/control-lock`);

async function sharedWithGus(): Promise<Json[]> {
  const answer = await p.call('GET', `/v1/${gus.userId}/shared-devices`, { token: gus.token });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.devices;
}

describe('device sharing', () => {
  it('a grantee with live only gets a live URL, and 403 on PTZ and playback', async () => {
    await share(d1, { permissions: ['live'] });

    const watched = await live(d1, d1c1.channelId);
    assert.equal(watched.status, 200, watched.text);
    const [item] = watched.json.channels;
    assert.equal(item.result.code, ivm.ok, watched.text);
    assert.match(item.cloud_trans_connections.live_url, /^http:\/\/10\.0\.0\.9:8081\/live\//);

    assertError(await controlLock(d1, d1c1.channelId), 403, ivm.forbidden);
    assertError(await playback(d1, d1c1.channelId), 403, ivm.forbidden);
    assertError(await records(d1, d1c1.channelId), 403, ivm.forbidden);
    await revoke(d1);
  });

  it('the grantee lists what was shared with them, with its owner and permissions', async () => {
    await share(d1, { permissions: ['playback', 'live'], channel_id: d1c2.channelId });
    const devices = await sharedWithGus();
    assert.deepEqual(
      devices.map((d) => [d.owner_user_id, d.device_id, d.channel_id, d.permissions]),
      [[owner.userId, d1, d1c2.channelId, ['live', 'playback']]],
    );
    assert.equal(devices[0]?.device_name, 'Camera 1');

    const listed = await ownerCall('GET', shares(d1));
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.json.shares.map((s: Json) => [s.login_name, s.share_state]),
      [['gus-grantee', 'VALID']],
    );
    await revoke(d1);
  });

  it("the grantee cannot see the owner's other devices, channels or anything else", async () => {
    await share(d1, { permissions: ['live', 'playback', 'ptz'], channel_id: d1c1.channelId });

    const msg = assertError(await live(d2, d2c1.channelId), 403, ivm.forbidden);
    assert.match(msg, /^Cannot use channel 34020000001310000001 of device 34020000001320000802/);
    assertError(await live(d1, d1c2.channelId), 403, ivm.forbidden);
    assertError(await controlLock(d2, d2c1.channelId), 403, ivm.forbidden);
    // One unshared item refuses the whole batch.
    const mixed = await granteeCall('POST', '/v2/{owner}/devices/channels/media/live-connections', {
      channels: [
        { device_id: d1, channel_id: d1c1.channelId },
        { device_id: d2, channel_id: d2c1.channelId },
      ],
    });
    assertError(mixed, 403, ivm.forbidden);
    for (const path of [
      '/v1/{owner}/devices',
      `/v1/{owner}/devices/${d1}`,
      '/v1/{owner}/channels',
      `${shares(d1)}`,
      '/v1/{owner}/device-orgs/tree',
    ]) {
      assertError(await granteeCall('GET', path), 403, ivm.forbidden);
    }
    await revoke(d1);
  });

  it('a share of one channel with ptz admits that channel only', async () => {
    await share(d1, { permissions: ['ptz'], channel_id: d1c1.channelId });
    const lock = await controlLock(d1, d1c1.channelId);
    assert.equal(lock.status, 200, lock.text);
    assertError(await controlLock(d1, d1c2.channelId), 403, ivm.forbidden);
    assertError(await live(d1, d1c1.channelId), 403, ivm.forbidden);
    await revoke(d1);
  });

  it('a revoked share is refused at once', async () => {
    await share(d1, { permissions: ['live'] });
    assert.equal((await live(d1, d1c1.channelId)).status, 200);
    await revoke(d1);
    assertError(await live(d1, d1c1.channelId), 403, ivm.forbidden);
    assert.deepEqual(await sharedWithGus(), []);
    assertError(await ownerCall('DELETE', `${shares(d1)}/gus-grantee`), 404, ivm.notFound);
  });

  it('an expired share is refused at once', async () => {
    const expiry = new Date(p.clock.now.getTime() + 60_000);
    await share(d1, { permissions: ['live'], expire_time: expiry.toISOString() });
    assert.equal((await live(d1, d1c1.channelId)).status, 200);

    const before = p.clock.now;
    p.clock.now = expiry;
    try {
      assertError(await live(d1, d1c1.channelId), 403, ivm.forbidden);
      assert.deepEqual(await sharedWithGus(), []);
      const listed = await ownerCall('GET', shares(d1));
      assert.deepEqual(
        listed.json.shares.map((s: Json) => s.share_state),
        ['EXPIRED'],
      );
    } finally {
      p.clock.now = before;
    }
    await revoke(d1);
  });

  it('refuses sharing by enterprises, unknown logins, foreign devices, no permission', async () => {
    const admin = (await p.login()).json.access_token as string;
    const byEnterprise = await p.call('POST', `/v1/{user_id}/devices/${d1}/shares`, {
      token: admin,
      body: { login_name: 'gus-grantee', permissions: ['live'] },
    });
    assertError(byEnterprise, 403, ivm.forbidden);
    const unknown = await ownerCall('POST', shares(d1), {
      login_name: 'nobody-here',
      permissions: ['live'],
    });
    assert.match(assertError(unknown, 404, ivm.notFound), /no account nobody-here/);
    const foreign = await ownerCall('POST', shares('34020000001320000899'), {
      login_name: 'gus-grantee',
      permissions: ['live'],
    });
    assertError(foreign, 404, ivm.notFound);
    const none = await ownerCall('POST', shares(d1), {
      login_name: 'gus-grantee',
      permissions: [],
    });
    assertError(none, 400, ivm.validation);
    const self = await ownerCall('POST', shares(d1), {
      login_name: 'pia-owner',
      permissions: ['live'],
    });
    assert.match(assertError(self, 400, ivm.validation), /the account is your own/);
  });
});

describe('personal account device limit', () => {
  it('a personal account adds its 64th device and is refused the 65th', async () => {
    const quinn = await personal('quinn-many');
    const ids = Array.from({ length: 65 }, (_, i) => `3402000000132${String(i).padStart(7, '0')}`);
    await givenDevices(p, quinn.token, ids.slice(0, 40), undefined, quinn.userId);
    const devices = ids.slice(40).map((id) => ({
      device_id: id,
      device_name: 'Cam',
      device_password: '12345678',
    }));
    const answer = await p.call('POST', `/v1/${quinn.userId}/devices/gb/batch-add`, {
      token: quinn.token,
      body: { devices },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.failed_num, 1, answer.text);
    const results = answer.json.devices.map((d: Json) => d.result);
    assert.ok(
      results.slice(0, 24).every((r: Json) => r.code === ivm.ok),
      answer.text,
    );
    assert.equal(results[24].code, ivm.conflict);
    assert.match(results[24].msg, /a personal account holds at most 64 devices/);
  });
});
