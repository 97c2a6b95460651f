/**
 * Service packages on the real processes: the operator grants the enterprise a MANAGE
 * package with a quota of 1; of a simulated camera's two channels, the one bound to it plays
 * over HTTP-FLV and the other is refused, naming the missing package; binding the second
 * too is refused, naming the package and its limit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { captureFlv, channelIdsOf } from '../support/live-capture.ts';
import { Platform } from '../support/platform.ts';
import type { RunningProcess } from '../support/processes.ts';
import { startOnlineCamera } from '../support/simulator.ts';

const deviceId = '34020000001320000091';
const password = 'cam-pass-91';
const bindings = '/v1/{user_id}/devices/channels/resources';

describe('service packages on the real platform', () => {
  const platform = new Platform();
  const scratch = mkdtempSync(join(tmpdir(), 'argus-packages-'));
  let camera: RunningProcess | undefined;
  let operatorKey = '';
  let channels: string[] = [];

  before(async () => {
    await platform.start();
    const line = platform.api.lines.find((l) => l.includes('Operator key'));
    operatorKey = /(op-[0-9a-f]+)/.exec(line ?? '')?.[1] ?? '';
    camera = await startOnlineCamera(platform, { deviceId, password, channels: 2 });
    channels = await channelIdsOf(platform, deviceId, 2);
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('watches only the channel bound to the MANAGE package the operator granted', async () => {
    const [bound, other] = channels as [string, string];
    const granted = await platform.request(
      'POST',
      '/operator/packages',
      {
        user_id: platform.userId,
        resource_type: 'MANAGE',
        resource_name: 'One camera',
        channel_quota: 1,
        resource_id: 'manage-1',
      },
      { 'Operator-Key': operatorKey },
    );
    assert.equal(granted.status, 200, JSON.stringify(granted.json));
    const item = (channelId: string) => ({
      device_id: deviceId,
      channel_id: channelId,
      resource_id: 'manage-1',
    });

    const binding = await platform.call('POST', bindings, { channels: [item(bound), item(other)] });
    const live = await platform.call(
      'POST',
      '/v2/{user_id}/devices/channels/media/live-connections',
      {
        channels: [bound, other].map((channelId) => ({
          device_id: deviceId,
          channel_id: channelId,
        })),
      },
    );

    assert.equal(binding.json.failed_num, 1, JSON.stringify(binding.json));
    assert.match(
      binding.json.channels[1].result.msg,
      /"One camera" \(resource manage-1\) allows 1 channel$/,
    );
    const [watched, refused] = live.json.channels;
    assert.equal(watched.result.code, 'IVM.0', JSON.stringify(watched));
    assert.equal(refused.result.code, 'IVM.10000003');
    assert.match(refused.result.msg, /no MANAGE package in force is bound to channel/);
    const bytes = await captureFlv(
      watched.cloud_trans_connections.live_url as string,
      1500,
      join(scratch, 'bound.flv'),
    );
    assert.ok(bytes > 1000, `only ${bytes} bytes of FLV`);
  });
});
