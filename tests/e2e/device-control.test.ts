/**
 * The API asking a device through the media node that serves it (the control channel):
 * DeviceInfo and DeviceStatus of a simulated camera through the real processes, and the
 * node's `/internal/…` routes refusing anyone without a control token for this node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { TokenService } from '../../src/auth/tokens.ts';
import { Platform } from '../support/platform.ts';
import type { RunningProcess } from '../support/processes.ts';
import { startOnlineCamera } from '../support/simulator.ts';

const deviceId = '34020000001320000081';
const password = 'cam-pass-81';

describe('device queries through the control channel', () => {
  const secret = 'control-channel-test-secret-of-32-chars!';
  const platform = new Platform({ env: { ARGUS_SECRET: secret } });
  let camera: RunningProcess | undefined;
  let mediaUrl = '';

  before(async () => {
    await platform.start();
    const port = (await platform.media.waitFor((l) => l['msg'] === 'media node listening'))[
      'httpPort'
    ];
    mediaUrl = `http://127.0.0.1:${String(port)}`;
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  it('answers 503 while the device is not online, naming why', async () => {
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Camera', device_password: password }],
    });
    const { status, json } = await platform.call(
      'GET',
      `/v1/{user_id}/devices/${deviceId}/device-info`,
    );
    assert.equal(status, 503);
    assert.match(json.error_msg, /unregistered|offline/);
  });

  it('reads DeviceInfo and DeviceStatus from the simulated camera', async () => {
    camera = await startOnlineCamera(platform, { deviceId, password, channels: 2 });
    const info = await platform.call('GET', `/v1/{user_id}/devices/${deviceId}/device-info`);
    assert.equal(info.status, 200, JSON.stringify(info.json));
    assert.equal(info.json.manufacturer, 'Argus');
    assert.equal(info.json.model, 'Simulator');
    assert.equal(info.json.channel_num, 2);

    const status = await platform.call('GET', `/v1/{user_id}/devices/${deviceId}/device-status`);
    assert.equal(status.status, 200, JSON.stringify(status.json));
    assert.equal(status.json.online, 'ONLINE');
    assert.equal(status.json.status, 'OK');
    assert.match(status.json.device_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('answers 404 for a device of no one, without reaching a node', async () => {
    const { status } = await platform.call(
      'GET',
      '/v1/{user_id}/devices/34020000001329999999/device-info',
    );
    assert.equal(status, 404);
  });

  it("refuses the node's control routes without a control token for this node", async () => {
    const path = `${mediaUrl}/internal/devices/${deviceId}/queries/DeviceInfo`;
    const tokens = new TokenService(secret);
    const tries: [string, Record<string, string>][] = [
      ['no token', {}],
      ['a live token', { Authorization: `Bearer ${await liveToken(tokens)}` }],
      [
        "another node's token",
        {
          Authorization:
            'Bearer ' + (await tokens.issueControl({ userId: platform.userId, nodeId: 'media-9' })),
        },
      ],
    ];
    for (const [what, headers] of tries) {
      const response = await fetch(path, { method: 'POST', headers });
      assert.equal(response.status, 401, what);
    }

    const other = await tokens.issueControl({ userId: '10000000000000000999', nodeId: 'media-1' });
    const foreign = await fetch(path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${other}` },
    });
    assert.equal(foreign.status, 404, "another tenant's token does not reach the device");

    const own = await tokens.issueControl({ userId: platform.userId, nodeId: 'media-1' });
    const unknown = await fetch(`${mediaUrl}/internal/devices/${deviceId}/queries/Reboot`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${own}` },
    });
    assert.equal(unknown.status, 400, 'only the plain queries');
  });

  async function liveToken(tokens: TokenService): Promise<string> {
    return tokens.issueLive(
      {
        userId: platform.userId,
        deviceId,
        channelId: '34020000001310000001',
        streamType: 'PRIMARY_STREAM',
        transport: 'TCP',
      },
      60,
    );
  }
});
