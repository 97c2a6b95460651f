/** A wrong password or an unknown device is refused after the challenge and changes nothing. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Platform } from '../support/platform.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

describe('registration refused', () => {
  const platform = new Platform();
  before(() => platform.start());
  after(async () => {
    await platform.stop();
    platform.removeData();
  });

  it('a wrong password gets 403 and the device stays UNREGISTERED', async () => {
    const deviceId = '34020000001320000002';
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Door', device_password: 'right-one' }],
    });

    const camera = startSimulator({ sipPort: platform.sipPort, deviceId, password: 'wrong-one' });
    const failed = await camera.waitFor(isEvent('register_failed'), 15_000, 'refusal');
    assert.equal(failed['status'], 403);
    assert.notEqual(await camera.exited(), 0);

    const { json } = await platform.call('GET', '/v1/{user_id}/devices');
    assert.equal(json.devices[0].device_state, 'UNREGISTERED');
    await platform.media.waitFor((l) => l['msg'] === 'registration refused', 5000, 'a log line');
  });

  it('an unknown device gets 403', async () => {
    const camera = startSimulator({
      sipPort: platform.sipPort,
      deviceId: '34020000001320000099',
      password: 'whatever',
    });
    const failed = await camera.waitFor(isEvent('register_failed'), 15_000, 'refusal');
    assert.equal(failed['status'], 403);
    const { json } = await platform.call('GET', '/v1/{user_id}/devices');
    assert.equal(json.total, 1);
  });
});
