/**
 * Catalogs of real fleets through the real processes: 1,000 channels sent one per MESSAGE,
 * shuffled and partly duplicated, over UDP and over TCP, end with exactly 1,000 channels;
 * names with GBK-only characters (GBK bytes) and sent as UTF-8 under a GB2312 declaration
 * come out right; a catalog NOTIFY of the subscription adds, removes and turns off channels.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { channelIdAt, channelName } from '../../simulator/catalog-fleet.ts';
import { Platform } from '../support/platform.ts';
import { eventually, RunningProcess } from '../support/processes.ts';
import { isEvent } from '../support/simulator.ts';

interface Channel {
  device_id: string;
  channel_id: string;
  channel_name: string;
  channel_state: string;
}

const password = 'fleet-pass-1';

describe('catalogs of real fleets', () => {
  const platform = new Platform({ env: { ARGUS_LOG_LEVEL: 'info' } });
  const cameras: RunningProcess[] = [];

  before(() => platform.start());
  after(async () => {
    await Promise.all(cameras.map((camera) => camera.stop('SIGKILL')));
    await platform.stop();
    platform.removeData();
  });

  /** Adds the device and starts the simulator as it with `flags`. */
  async function startCamera(deviceId: string, flags: string[]): Promise<RunningProcess> {
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Fleet', device_password: password }],
    });
    const args = ['--server', `127.0.0.1:${platform.sipPort}`, '--device-id', deviceId];
    const camera = new RunningProcess(
      'simulator/cli.ts',
      [...args, '--password', password, '--heartbeat', '5', ...flags],
      {},
    );
    cameras.push(camera);
    await camera.waitFor(isEvent('registered'));
    return camera;
  }

  async function channels(deviceId: string): Promise<{ total: number; channels: Channel[] }> {
    const path = `/v1/{user_id}/channels?device_id=${deviceId}&limit=1000&offset=0`;
    const { status, json } = await platform.call('GET', path);
    assert.equal(status, 200, JSON.stringify(json));
    return json;
  }

  for (const [transport, names, deviceId] of [
    ['udp', 'gbk', '34020000001320000401'],
    ['tcp', 'utf8', '34020000001320000402'],
  ] as const) {
    it(`1,000 shuffled, duplicated channels over ${transport} (${names}): 1,000 kept`, async () => {
      const camera = await startCamera(deviceId, [
        '--transport',
        transport,
        '--channels',
        '1000',
        '--catalog-per-message',
        '1',
        '--catalog-shuffle',
        '--catalog-duplicates',
        '0.1',
        '--names',
        names,
      ]);
      const sent = await camera.waitFor(isEvent('catalog_sent'), 60_000, 'catalog sent');
      assert.ok(Number(sent['duplicated']) > 0, 'some pages were sent twice');
      assert.equal(sent['messages'], 1000 + Number(sent['duplicated']));

      const listed = await eventually(
        async () => {
          const page = await channels(deviceId);
          return page.total === 1000 ? page : undefined;
        },
        30_000,
        '1,000 channels listed',
      );
      assert.equal(listed.channels.length, 1000);
      const ids = new Set(listed.channels.map((c) => c.channel_id));
      assert.equal(ids.size, 1000);
      const byId = new Map(listed.channels.map((c) => [c.channel_id, c]));
      for (const index of [0, 1, 998, 999]) {
        const channel = byId.get(channelIdAt(deviceId, index));
        assert.equal(channel?.channel_name, channelName(index, names));
      }
      assert.equal(byId.get(channelIdAt(deviceId, 1))?.channel_name, '堃喆通道2');
      assert.equal((await platform.device(deviceId))?.channel_total, 1000);
    });
  }

  it('a catalog NOTIFY of the subscription adds, removes and turns off channels', async () => {
    const deviceId = '34020000001320000403';
    const camera = await startCamera(deviceId, ['--channels', '3', '--notify-after', '2']);
    const subscribed = await camera.waitFor(isEvent('catalog_subscribed'));
    assert.equal(subscribed['renewal'], false);
    assert.ok(Number(subscribed['expires']) > 0);

    const notified = await camera.waitFor(isEvent('catalog_notify_sent'), 15_000, 'NOTIFY');
    assert.equal(notified['status'], 200);
    const expected = {
      added: channelIdAt(deviceId, 3),
      removed: channelIdAt(deviceId, 2),
      off: channelIdAt(deviceId, 0),
    };
    const listed = await eventually(
      async () => {
        const page = await channels(deviceId);
        const ids = page.channels.map((c) => c.channel_id);
        return ids.includes(expected.added) && !ids.includes(expected.removed) ? page : undefined;
      },
      15_000,
      'the NOTIFY applied',
    );
    assert.equal(listed.total, 3);
    const byId = new Map(listed.channels.map((c) => [c.channel_id, c]));
    assert.equal(byId.get(expected.off)?.channel_state, 'OFFLINE');
    assert.equal(byId.get(channelIdAt(deviceId, 1))?.channel_state, 'ONLINE');
    assert.equal(byId.get(expected.added)?.channel_state, 'ONLINE');
  });
});
