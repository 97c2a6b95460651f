/**
 * Sharing on the real processes: a personal account adds a simulated camera and shares it for
 * live viewing with another personal account, who (with their own token, on the owner's
 * path) gets a live URL the media node serves FLV from, is refused PTZ and playback, and is
 * refused live the moment the share is revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const deviceId = '34020000001320000091';
const password = 'cam-pass-91';

describe('sharing a camera end to end', () => {
  const platform = new Platform();
  let camera: RunningProcess | undefined;
  let owner = { userId: '', token: '' };
  let grantee = { userId: '', token: '' };
  let channelId = '';

  async function personal(login: string, operatorKey: string) {
    const password = `${login}-password`;
    const created = await platform.request(
      'POST',
      '/operator/personal-accounts',
      { login_name: login, password, name: login },
      { 'Operator-Key': operatorKey },
    );
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const token = await platform.request('POST', '/v2/users/access-token', {
      login_name: login,
      password,
    });
    assert.equal(token.status, 200, JSON.stringify(token.json));
    return { userId: created.json.user_id as string, token: token.json.access_token as string };
  }

  const as = (who: { token: string }, method: string, path: string, body?: unknown) =>
    platform.request(method, path.replace('{owner}', owner.userId), body, {
      'Access-Token': who.token,
    });

  const live = () =>
    as(grantee, 'POST', '/v2/{owner}/devices/channels/media/live-connections', {
      channels: [{ device_id: deviceId, channel_id: channelId }],
    });

  before(async () => {
    await platform.start();
    const line = platform.api.lines.find((l) => l.includes('Operator key'));
    const operatorKey = /(op-[0-9a-f]+)/.exec(line ?? '')?.[1] ?? '';
    owner = await personal('olga-owner', operatorKey);
    grantee = await personal('gina-grantee', operatorKey);

    const added = await as(owner, 'POST', '/v1/{owner}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Porch', device_password: password }],
    });
    assert.equal(added.json.failed_num, 0, JSON.stringify(added.json));
    camera = startSimulator({ sipPort: platform.sipPort, deviceId, password, channels: 1 });
    await camera.waitFor(isEvent('registered'));
    const listed = await eventually(
      async () => {
        const { json } = await as(owner, 'GET', `/v1/{owner}/channels?device_id=${deviceId}`);
        return json.total === 1 && json.channels[0].channel_state === 'ONLINE' ? json : undefined;
      },
      15_000,
      'the channel listed online',
    );
    channelId = listed.channels[0].channel_id as string;
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  it('a grantee with live watches the shared camera and is refused PTZ and playback', async () => {
    const shared = await as(owner, 'POST', `/v1/{owner}/devices/${deviceId}/shares`, {
      login_name: 'gina-grantee',
      permissions: ['live'],
    });
    assert.equal(shared.status, 200, JSON.stringify(shared.json));

    const { status, json } = await live();
    assert.equal(status, 200, JSON.stringify(json));
    const item = json.channels[0];
    assert.equal(item.result.code, 'IVM.0', JSON.stringify(item));
    const response = await fetch(item.cloud_trans_connections.live_url as string);
    assert.equal(response.status, 200);
    const reader = response.body?.getReader();
    const first = await reader?.read();
    await reader?.cancel();
    assert.equal(
      Buffer.from(first?.value ?? [])
        .subarray(0, 3)
        .toString(),
      'FLV',
    );

    const lock = await as(
      grantee,
      'GET',
      `/v1/{owner}/devices/${deviceId}/channels/${channelId}/control-lock`,
    );
    assert.equal(lock.status, 403, JSON.stringify(lock.json));
    const playback = await as(
      grantee,
      'POST',
      '/v2/{owner}/devices/channels/media/playback-connections',
      {
        channels: [
          {
            device_id: deviceId,
            channel_id: channelId,
            start_time: new Date(Date.now() - 3_600_000).toISOString(),
            end_time: new Date().toISOString(),
          },
        ],
      },
    );
    assert.equal(playback.status, 403, JSON.stringify(playback.json));
  });

  it('a revoked share is refused at once', async () => {
    const revoked = await as(
      owner,
      'DELETE',
      `/v1/{owner}/devices/${deviceId}/shares/gina-grantee`,
    );
    assert.equal(revoked.status, 200, JSON.stringify(revoked.json));
    const { status, json } = await live();
    assert.equal(status, 403, JSON.stringify(json));
    const mine = await as(grantee, 'GET', `/v1/${grantee.userId}/shared-devices`);
    assert.deepEqual(mine.json.devices, []);
  });
});
