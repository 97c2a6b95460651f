/**
 * Devices in organisations and their deletion, against the real API and media node over
 * loopback: a registered device is moved into an organisation and counted online there;
 * deleted, the media node stops serving it at once (its next MESSAGE is refused as from an
 * unregistered device, its next REGISTER as from an unknown one); added again, it registers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Platform } from '../support/platform.ts';
import { eventually } from '../support/processes.ts';
import { RawSipPeer } from '../support/raw-sip.ts';

const deviceId = '34020000001320000081';
const password = 'org-pass';
const keepalive = new TextEncoder().encode(
  `<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>9</SN>` +
    `<DeviceID>${deviceId}</DeviceID><Status>OK</Status></Notify>`,
);

describe('devices in organisations end to end', () => {
  const platform = new Platform();
  let peer: RawSipPeer;

  const add = () =>
    platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Org camera', device_password: password }],
    });
  const sendKeepalive = async () => {
    const message = peer.craft({
      method: 'MESSAGE',
      deviceId,
      contentType: 'Application/MANSCDP+xml',
    });
    message.body = keepalive;
    return (await peer.request(message)).status;
  };

  before(async () => {
    await platform.start();
    assert.equal((await add()).json.failed_num, 0);
    peer = await RawSipPeer.open('UDP', platform.sipPort);
  });
  after(async () => {
    await peer.close();
    await platform.stop();
    platform.removeData();
  });

  it('a registered device moved into an organisation is counted online there', async () => {
    assert.equal((await peer.register(deviceId, password)).status, 200);
    const org = await platform.call('POST', '/v1/{user_id}/device-orgs', {
      device_org_name: 'Warehouse',
      parent_org_id: '0',
    });
    const orgId = org.json.device_org_id as string;

    const moved = await platform.call('POST', `/v1/{user_id}/device-orgs/${orgId}/move-devices`, {
      device_ids: [deviceId],
    });
    const listed = await eventually(async () => {
      const { json } = await platform.call('GET', `/v1/{user_id}/device-orgs/${orgId}/devices`);
      return json.online_total === 1 ? json : undefined;
    });

    assert.equal(moved.json.failed_num, 0);
    assert.deepEqual(
      listed.devices.map((d: any) => [d.device_id, d.device_state, d.device_org_id]),
      [[deviceId, 'ONLINE', orgId]],
    );
    const refused = await platform.call('DELETE', `/v1/{user_id}/device-orgs/${orgId}`);
    assert.equal(refused.status, 409);
    assert.equal(await sendKeepalive(), 200);
  });

  it('a deleted device is refused by the media node and registers once added again', async () => {
    const deleted = await platform.call('POST', '/v1/{user_id}/devices/batch-delete', {
      devices: [deviceId],
    });
    assert.equal(deleted.json.failed_num, 0);

    // The node follows the log: within moments the device's MESSAGEs are refused.
    await eventually(async () => ((await sendKeepalive()) === 403 ? true : undefined));
    await assert.rejects(
      peer.register(deviceId, password),
      /REGISTER with credentials answered 403/,
    );
    assert.ok(
      platform.media
        .json()
        .some((l) => l['msg'] === 'device released' && l['deviceId'] === deviceId),
      'the media node says it released the device',
    );
    const gone = await platform.call('GET', `/v1/{user_id}/devices/${deviceId}`);
    assert.equal(gone.status, 404);

    assert.equal((await add()).json.failed_num, 0);
    assert.equal((await peer.register(deviceId, password)).status, 200);
    assert.equal(await sendKeepalive(), 200);
  });
});
