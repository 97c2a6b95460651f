/**
 * PTZ through the real processes: the API takes the control lock and sends angle-spin,
 * preset and guard commands through the media node to a simulated camera, which decodes each
 * DeviceControl and checks every PTZCmd's checksum. The lock lasts 3 s here
 * (ARGUS_CONTROL_LOCK_S) so that its expiry is seen without a long wait.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { startOnlineCamera } from '../support/simulator.ts';
import { ptzDirections } from '../../src/domain/ptz-direction.ts';

const deviceId = '34020000001320000091';
const channelId = '34020000001310000001';
const password = 'cam-pass-91';
const base = `/v1/{user_id}/devices/${deviceId}/channels/${channelId}`;

const directions = ptzDirections;
/** The three stops carry no speed; STOP and ZOOM_STOP are one command (all bits clear). */
const stops = new Set(['STOP', 'ZOOM_STOP', 'FI_STOP']);

describe('PTZ through the control channel', () => {
  const platform = new Platform({ env: { ARGUS_CONTROL_LOCK_S: '3' } });
  let camera: RunningProcess;

  before(async () => {
    await platform.start();
    camera = await startOnlineCamera(platform, { deviceId, password });
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  /** The admin's (AK's) lock of the channel. */
  async function takeLock(): Promise<string> {
    const { status, json } = await platform.call('GET', `${base}/control-lock`);
    assert.equal(status, 200, JSON.stringify(json));
    return json.control_lock as string;
  }

  it('every direction reaches the simulated camera with a valid checksum', async () => {
    for (const direction of directions) {
      const controlLock = await takeLock();
      const { status, json } = await platform.call('POST', `${base}/ptz/angle-spin`, {
        direction,
        speed: 7,
        control_lock: controlLock,
      });
      assert.equal(status, 200, `${direction}: ${JSON.stringify(json)}`);
    }

    const ptz = (line: Record<string, unknown>) => line['event'] === 'ptz';
    await eventually(
      async () => (camera.count(ptz) >= directions.length ? true : undefined),
      15_000,
      `${directions.length} ptz events`,
    );
    const seen = camera.json().filter(ptz);
    assert.equal(seen.length, directions.length);
    for (const [i, direction] of directions.entries()) {
      assert.deepEqual(
        {
          channel: seen[i]?.['channel'],
          direction: seen[i]?.['direction'],
          speed: seen[i]?.['speed'],
          checksumOk: seen[i]?.['checksumOk'],
        },
        {
          channel: channelId,
          direction: direction === 'ZOOM_STOP' ? 'STOP' : direction,
          speed: stops.has(direction) ? 0 : 7,
          checksumOk: true,
        },
        direction,
      );
    }
  });

  it('the control lock keeps a second user out, names the holder, and expires', async () => {
    const bob = await userToken('ptz-bob', 'DEPARTMENT_MANAGER');
    const asBob = (method: string, path: string, body?: unknown) =>
      platform.request(method, path.replace('{user_id}', platform.userId), body, {
        'Access-Token': bob,
      });

    const adminLock = await takeLock();
    const refused = await asBob('GET', `${base}/control-lock`);
    assert.equal(refused.status, 409);
    assert.match(refused.json.error_msg, /^Cannot take control lock: locked by TESTAK until /);
    const borrowed = await asBob('POST', `${base}/ptz/angle-spin`, {
      direction: 'LEFT',
      speed: 3,
      control_lock: adminLock,
    });
    assert.equal(borrowed.status, 409, "the holder's token does not let another user in");
    assert.match(borrowed.json.error_msg, /locked by TESTAK/);

    // Nobody uses the admin's lock now: it expires and Bob gets the channel.
    const bobLock = await eventually(
      async () => {
        const { status, json } = await asBob('GET', `${base}/control-lock`);
        return status === 200 ? (json.control_lock as string) : undefined;
      },
      15_000,
      "the admin's lock to expire",
    );
    assert.notEqual(bobLock, adminLock);
    const stale = await platform.call('POST', `${base}/ptz/angle-spin`, {
      direction: 'UP',
      speed: 3,
      control_lock: adminLock,
    });
    assert.equal(stale.status, 409);
    assert.match(stale.json.error_msg, /locked by ptz-bob/);

    const released = await asBob('DELETE', `${base}/control-lock`);
    assert.deepEqual(released.json, { released: true });
    await takeLock();
  });

  it('a common user may not take the control lock', async () => {
    const carol = await userToken('ptz-carol', 'COMMON_USER');
    const { status } = await platform.request(
      'GET',
      base.replace('{user_id}', platform.userId) + '/control-lock',
      undefined,
      { 'Access-Token': carol },
    );
    assert.equal(status, 403);
  });

  it('angle-spin needs the live control lock and a known direction', async () => {
    const noLock = await platform.call('POST', `${base}/ptz/angle-spin`, {
      direction: 'LEFT',
      speed: 3,
      control_lock: 'not-a-lock',
    });
    assert.equal(noLock.status, 409);
    assert.match(noLock.json.error_msg, /^Cannot use control lock: it has expired/);

    const badDirection = await platform.call('POST', `${base}/ptz/angle-spin`, {
      direction: 'SIDEWAYS',
      speed: 3,
      control_lock: await takeLock(),
    });
    assert.equal(badDirection.status, 400);
    assert.match(badDirection.json.error_msg, /direction/);
  });

  it('presets round-trip: set, query, call, delete', async () => {
    for (const presetId of [3, 7]) {
      const set = await platform.call('POST', `${base}/presets`, {
        preset_id: presetId,
        control_lock: await takeLock(),
      });
      assert.equal(set.status, 200, JSON.stringify(set.json));
    }
    const listed = await platform.call('GET', `${base}/presets`);
    assert.equal(listed.status, 200, JSON.stringify(listed.json));
    assert.deepEqual(
      listed.json.presets.map((p: { preset_id: number }) => p.preset_id),
      [3, 7],
    );

    const call = await platform.call('POST', `${base}/presets/3/call`, {
      control_lock: await takeLock(),
    });
    assert.equal(call.status, 200, JSON.stringify(call.json));
    const called = await camera.waitFor(
      (l) => l['event'] === 'preset' && l['action'] === 'CALL' && l['index'] === 3,
    );
    assert.equal(called['checksumOk'], true);
    assert.equal(called['channel'], channelId);

    const lock = await takeLock();
    const deleted = await platform.call('DELETE', `${base}/presets/3?control_lock=${lock}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
    const after = await platform.call('GET', `${base}/presets`);
    assert.deepEqual(after.json, {
      total: 1,
      presets: [{ preset_id: 7, preset_name: 'Preset 7' }],
    });
  });

  it('guard arms and disarms the device through GuardCmd', async () => {
    for (const guard of ['SET', 'RESET']) {
      const { status, json } = await platform.call(
        'POST',
        `/v1/{user_id}/devices/${deviceId}/guard`,
        {
          guard,
        },
      );
      assert.equal(status, 200, JSON.stringify(json));
      assert.deepEqual(json, { device_id: deviceId, guard, result: 'OK' });
    }
    const guards = camera.json().filter((l) => l['event'] === 'guard');
    assert.deepEqual(
      guards.map((l) => l['guard']),
      ['SetGuard', 'ResetGuard'],
    );
  });

  /** Creates an account of the enterprise and logs it in (once the read model has it). */
  async function userToken(loginName: string, role: string): Promise<string> {
    const created = await platform.call('POST', '/v1/{user_id}/users', {
      login_name: loginName,
      password: 'ptz-password-1',
      name: loginName,
      role,
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    return eventually(
      async () => {
        const { status, json } = await platform.request('POST', '/v2/users/access-token', {
          login_name: loginName,
          password: 'ptz-password-1',
        });
        return status === 200 ? (json.access_token as string) : undefined;
      },
      10_000,
      `${loginName} logged in`,
    );
  }
});
