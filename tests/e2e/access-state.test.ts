/**
 * `gb_access_state` end to end: for a device never seen, one with a wrong password, one that
 * refuses the Catalog query, one online, and one gone silent, `GET /v1/{user_id}/devices/
 * {device_id}` says why, with a reason and the time of the last attempt.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { buildResponse, parseCSeq } from '../../media-node/formats/sip-message.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { RawSipPeer } from '../support/raw-sip.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

interface AccessView {
  device_state: string;
  gb_access_state: string;
  gb_access_reason: string;
  gb_last_attempt_time: string | null;
  gb_locked_until_time: string | null;
}

describe('gb_access_state end to end', () => {
  const platform = new Platform({ env: { ARGUS_HEARTBEAT_S: '1', ARGUS_HEARTBEAT_MISSES: '2' } });
  const peers: RawSipPeer[] = [];
  let camera: RunningProcess | undefined;

  before(() => platform.start());
  after(async () => {
    await camera?.stop('SIGKILL');
    await Promise.all(peers.map((p) => p.close()));
    await platform.stop();
    platform.removeData();
  });

  const add = async (deviceId: string, password: string) => {
    const { json } = await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Camera', device_password: password }],
    });
    assert.equal(json.failed_num, 0);
  };
  const view = async (deviceId: string): Promise<AccessView> => {
    const { status, json } = await platform.call('GET', `/v1/{user_id}/devices/${deviceId}`);
    assert.equal(status, 200);
    return json as AccessView;
  };
  const waitState = (deviceId: string, state: string, timeoutMs = 10_000) =>
    eventually(
      async () => {
        const device = await view(deviceId);
        return device.gb_access_state === state ? device : undefined;
      },
      timeoutMs,
      `${deviceId} ${state}`,
    );
  const open = async () => {
    const peer = await RawSipPeer.open('UDP', platform.sipPort);
    peers.push(peer);
    return peer;
  };

  it('a device never seen is NOT_CONNECTED: nothing received, no attempt time', async () => {
    await add('34020000001320000041', 'never-pass');
    const device = await view('34020000001320000041');
    assert.deepEqual(device, {
      ...device,
      device_state: 'UNREGISTERED',
      gb_access_state: 'NOT_CONNECTED',
      gb_access_reason: 'nothing received',
      gb_last_attempt_time: null,
      gb_locked_until_time: null,
    });
  });

  it('an unknown device ID is 404 with an IVM error', async () => {
    const { status, json } = await platform.call(
      'GET',
      '/v1/{user_id}/devices/34020000001320000999',
    );
    assert.equal(status, 404);
    assert.match(json.error_msg, /Cannot find device: 34020000001320000999/);
  });

  it('a wrong password is AUTHENTICATION_FAILED with the time of the attempt', async () => {
    const deviceId = '34020000001320000042';
    await add(deviceId, 'right-pass');
    const peer = await open();
    await assert.rejects(peer.register(deviceId, 'wrong-pass'), /answered 403/);
    const device = await waitState(deviceId, 'AUTHENTICATION_FAILED');
    assert.equal(device.gb_access_reason, 'wrong password');
    assert.ok(Date.now() - Date.parse(device.gb_last_attempt_time ?? '') < 30_000);
    assert.equal(device.device_state, 'UNREGISTERED');
  });

  it('a device refusing the Catalog query is CATALOG_ERROR, though registered', async () => {
    const deviceId = '34020000001320000043';
    await add(deviceId, 'catalog-pass');
    const peer = await open();
    // This device answers 488 to the platform's MESSAGEs (the Catalog query), 200 to the rest.
    const send = peer.send.bind(peer);
    peer.send = (message) => {
      const refused =
        message.kind === 'response' &&
        parseCSeq(message.headers.get('CSeq') ?? '').method === 'MESSAGE' &&
        message.headers.get('From')?.includes('34020000002000000001') === true;
      const query = peer.received.at(-1);
      if (refused && query?.kind === 'request') {
        return send(buildResponse(query, 488, 'Not Acceptable Here', { toTag: 'r1' }));
      }
      return send(message);
    };
    await peer.register(deviceId, 'catalog-pass');
    const device = await waitState(deviceId, 'CATALOG_ERROR');
    assert.equal(device.gb_access_reason, 'catalog query failed: device answered 488');
    assert.equal(device.device_state, 'ONLINE');
  });

  it('an online camera is CONNECTED, and OFFLINE by missed keepalives says why', async () => {
    const deviceId = '34020000001320000044';
    await add(deviceId, 'online-pass');
    camera = startSimulator({ sipPort: platform.sipPort, deviceId, password: 'online-pass' });
    await camera.waitFor(isEvent('registered'), 15_000, 'registration');
    await platform.media.waitFor(
      (l) => l['msg'] === 'catalog received' && l['deviceId'] === deviceId,
      15_000,
      'the catalog',
    );
    const online = await waitState(deviceId, 'CONNECTED');
    assert.equal(online.device_state, 'ONLINE');

    await camera.stop('SIGKILL');
    const offline = await waitState(deviceId, 'NOT_CONNECTED');
    assert.deepEqual(
      [offline.device_state, offline.gb_access_reason],
      ['OFFLINE', 'missed keepalives'],
    );
  });
});
