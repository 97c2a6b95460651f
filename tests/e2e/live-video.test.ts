/**
 * End to end, as a camera and a viewer would drive it: the real API and media node on
 * loopback ports, the bundled simulator as the camera, ffprobe as the viewer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const deviceId = '34020000001320000001';
const password = 'cam-pass-1';

describe('live video end to end', () => {
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

  it('batch-add returns the SIP server the device must use', async () => {
    const { status, json } = await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Gate camera', device_password: password }],
    });
    assert.equal(status, 200);
    assert.equal(json.failed_num, 0);
    assert.deepEqual(json.devices[0], {
      device_id: deviceId,
      sip_server_id: '34020000002000000001',
      sip_server_domain: '3402000000',
      sip_server_host: '127.0.0.1',
      sip_server_port: platform.sipPort,
      result: { code: 'IVM.0', msg: 'Success' },
    });
    assert.equal((await device())?.device_state, 'UNREGISTERED');
  });

  it('a registered simulator is ONLINE with its channels listed', async () => {
    camera = startSimulator({ sipPort: platform.sipPort, deviceId, password, channels: 2 });
    await camera.waitFor(isEvent('registered'), 15_000, 'registration');

    const online = await eventually(
      async () => {
        const d = await device();
        return d?.device_state === 'ONLINE' && d.channel_total === 2 ? d : undefined;
      },
      15_000,
      'the device online with 2 channels',
    );
    assert.equal(online.channel_total, 2);

    const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
    assert.equal(json.total, 2);
    for (const channel of json.channels) {
      assert.equal(channel.device_id, deviceId);
      assert.match(channel.channel_id, /^\d{20}$/);
      assert.equal(channel.channel_state, 'ONLINE');
    }
  });

  it(
    'a live URL plays as H.264 HTTP-FLV; two viewers share one INVITE; BYE after both leave',
    {
      skip: ffprobeMissing,
    },
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
            },
          ],
        },
      );
      const item = json.channels[0];
      assert.deepEqual(item.result, { code: 'IVM.0', msg: 'Success' });
      const url = item.cloud_trans_connections.live_url as string;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/live\/\d{20}\/\d{20}\.flv\?token=/);

      const [first, second] = await Promise.all([probeVideo(url, 4), probeVideo(url, 4)]);
      for (const probed of [first, second]) {
        assert.equal(probed.codec_name, 'h264');
        assert.equal(probed.width, 640);
        assert.equal(probed.height, 360);
        assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);
      }
      assert.equal(camera?.count(isEvent('invite')), 1);
      await camera?.waitFor(isEvent('bye'), 10_000, 'BYE after the last viewer left');
    },
  );

  it('a live URL with a bad token is refused', async () => {
    const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
    const channelId = json.channels[0].channel_id as string;
    const media = await platform.call(
      'POST',
      '/v2/{user_id}/devices/channels/media/live-connections',
      {
        channels: [{ device_id: deviceId, channel_id: channelId }],
      },
    );
    const url = new URL(media.json.channels[0].cloud_trans_connections.live_url as string);
    url.searchParams.set('token', 'not-a-token');
    const response = await fetch(url);
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error_code, 'IVM.10000002');
  });

  it('a stopped simulator turns the device OFFLINE after missed heartbeats', async () => {
    await camera?.stop('SIGKILL');
    const offline = await eventually(
      async () => {
        const d = await device();
        return d?.device_state === 'OFFLINE' ? d : undefined;
      },
      15_000,
      'the device offline',
    );
    assert.equal(offline.device_state, 'OFFLINE');
    const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
    assert.ok(json.channels.every((c: { channel_state: string }) => c.channel_state === 'OFFLINE'));
  });
});
