/** After kill -9 of both processes, the devices and channels come back from the event store. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

describe('restart after kill -9', () => {
  const first = new Platform();
  let second: Platform | undefined;
  let camera: RunningProcess | undefined;
  after(async () => {
    await camera?.stop('SIGKILL');
    await first.stop('SIGKILL');
    await second?.stop();
    first.removeData();
  });

  it('keeps devices and channels', async () => {
    await first.start();
    const deviceId = '34020000001320000003';
    await first.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Yard', device_password: 'pw-yard' }],
    });
    camera = startSimulator({ sipPort: first.sipPort, deviceId, password: 'pw-yard', channels: 3 });
    await camera.waitFor(isEvent('registered'));
    const before = await eventually(
      async () => {
        const { json } = await first.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
        return json.total === 3 ? json : undefined;
      },
      15_000,
      'three channels',
    );
    await camera.stop('SIGKILL');
    await first.stop('SIGKILL');

    second = new Platform({ dataDir: first.dataDir });
    await second.start();
    const { json: devices } = await second.call('GET', '/v1/{user_id}/devices');
    assert.equal(devices.total, 1);
    assert.equal(devices.devices[0].device_id, deviceId);
    assert.equal(devices.devices[0].channel_total, 3);
    const { json: channels } = await second.call(
      'GET',
      `/v1/{user_id}/channels?device_id=${deviceId}`,
    );
    assert.deepEqual(
      channels.channels.map((c: { channel_id: string }) => c.channel_id),
      before.channels.map((c: { channel_id: string }) => c.channel_id),
    );
  });
});
