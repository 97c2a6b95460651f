/**
 * SIP over TCP end to end (RFC 3261 §18, GB/T 28181-2016 §4.2): the simulated camera keeps
 * one TCP connection to the media node; registration, keepalives, the catalog, the INVITE
 * and the BYE all travel on it, while the video itself comes over RTP/UDP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const deviceId = '34020000001320000011';
const password = 'tcp-cam-pass';

describe('SIP over TCP end to end', () => {
  const platform = new Platform({
    env: { ARGUS_HEARTBEAT_S: '1', ARGUS_HEARTBEAT_MISSES: '3', ARGUS_LIVE_LINGER_S: '1' },
  });
  let camera: RunningProcess | undefined;

  before(async () => {
    await platform.start();
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  const device = () => platform.device(deviceId);

  it('a TCP simulator registers over its connection and is ONLINE with its channels', async () => {
    const added = await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'TCP camera', device_password: password }],
    });
    assert.equal(added.json.failed_num, 0);

    camera = startSimulator({
      sipPort: platform.sipPort,
      deviceId,
      password,
      transport: 'tcp',
      channels: 3,
    });
    await camera.waitFor(isEvent('registered'), 15_000, 'registration');
    const registered = await platform.media.waitFor(
      (l) => l['msg'] === 'registered' && l['deviceId'] === deviceId,
      5000,
      'the registered log line',
    );
    assert.equal(registered['transport'], 'TCP');

    await eventually(
      async () => {
        const d = await device();
        return d?.device_state === 'ONLINE' && d.channel_total === 3 ? d : undefined;
      },
      15_000,
      'the device online with 3 channels',
    );
    const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
    assert.equal(json.total, 3);
    assert.ok(json.channels.every((c: { channel_state: string }) => c.channel_state === 'ONLINE'));
    // Keepalives come over the same connection and are answered there.
    await camera.waitFor((l) => l['event'] === 'keepalive' && l['status'] === 200, 5000);
  });

  it(
    'a live URL plays: INVITE on the TCP connection, RTP over UDP, BYE when the viewer leaves',
    { skip: ffprobeMissing },
    async () => {
      const { json: channels } = await platform.call(
        'GET',
        `/v1/{user_id}/channels?device_id=${deviceId}`,
      );
      const channelId = channels.channels[0].channel_id as string;
      const { json } = await platform.call(
        'POST',
        '/v2/{user_id}/devices/channels/media/live-connections',
        {
          channels: [
            {
              device_id: deviceId,
              channel_id: channelId,
              live_protocol: 'HTTP_FLV',
              stream_type: 'PRIMARY_STREAM',
              trans_protocol: 'UDP',
            },
          ],
        },
      );
      assert.deepEqual(json.channels[0].result, { code: 'IVM.0', msg: 'Success' });
      const url = json.channels[0].cloud_trans_connections.live_url as string;

      const probed = await probeVideo(url, 4);
      assert.equal(probed.codec_name, 'h264');
      assert.equal(probed.width, 640);
      assert.equal(probed.height, 360);
      assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);

      // The simulator has no SIP socket but its TCP connection: the INVITE came over it.
      const invite = await camera!.waitFor(isEvent('invite'), 1000, 'the INVITE');
      assert.equal(invite['channelId'], channelId);
      const started = await camera!.waitFor(isEvent('stream_started'), 1000, 'the RTP stream');
      assert.equal(started['address'], '127.0.0.1');

      await camera!.waitFor(isEvent('bye'), 10_000, 'BYE after the viewer left');
      const stopped = await platform.media.waitFor(
        (l) => l['msg'] === 'stream stopped' && l['deviceId'] === deviceId,
        10_000,
        'the stream stopped log line',
      );
      assert.equal(stopped['reason'], 'no_viewers');
      assert.ok(Number(stopped['packets']) > 0, 'RTP packets arrived over UDP');
    },
  );

  it('a killed TCP simulator turns the device OFFLINE after missed heartbeats', async () => {
    await camera?.stop('SIGKILL');
    await eventually(
      async () => {
        const d = await device();
        return d?.device_state === 'OFFLINE' ? d : undefined;
      },
      15_000,
      'the device offline',
    );
    const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
    assert.ok(json.channels.every((c: { channel_state: string }) => c.channel_state === 'OFFLINE'));
  });
});
