/**
 * RTP over TCP end to end (GB/T 28181-2016 §F, RFC 4571 framing, RFC 4145 roles): the real
 * API and media node, the bundled simulator as the camera, ffprobe as the viewer. The node
 * passive (the default: the camera connects to it) and active (ARGUS_RTP_TCP_MODE=active:
 * the node connects to the camera); UDP still chosen per request with trans_protocol.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const env = { ARGUS_HEARTBEAT_S: '1', ARGUS_HEARTBEAT_MISSES: '3', ARGUS_LIVE_LINGER_S: '1' };

/** A platform with one simulated camera registered and its first channel listed. */
function cameraOn(platform: Platform, deviceId: string) {
  const state = { camera: undefined as RunningProcess | undefined, channelId: '' };
  before(async () => {
    await platform.start();
    const password = `pass-${deviceId.slice(-4)}`;
    const { json } = await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'TCP camera', device_password: password }],
    });
    assert.equal(json.failed_num, 0);
    state.camera = startSimulator({ sipPort: platform.sipPort, deviceId, password });
    state.channelId = await eventually(async () => {
      const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${deviceId}`);
      return json.channels[0]?.channel_id as string | undefined;
    });
  });
  after(async () => {
    await state.camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });
  return state;
}

async function liveUrl(
  platform: Platform,
  deviceId: string,
  channelId: string,
  transProtocol?: 'UDP' | 'TCP',
): Promise<string> {
  const channel = {
    device_id: deviceId,
    channel_id: channelId,
    live_protocol: 'HTTP_FLV',
    ...(transProtocol !== undefined && { trans_protocol: transProtocol }),
  };
  const { json } = await platform.call(
    'POST',
    '/v2/{user_id}/devices/channels/media/live-connections',
    { channels: [channel] },
  );
  assert.deepEqual(json.channels[0].result, { code: 'IVM.0', msg: 'Success' });
  return json.channels[0].cloud_trans_connections.live_url as string;
}

/** The first JSON line matching, among those printed from index `from` on. */
function lineAfter(
  process: RunningProcess,
  from: number,
  predicate: (line: Record<string, unknown>) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  return eventually(async () => process.json().slice(from).find(predicate), timeoutMs, what);
}

const message = (msg: string) => (line: Record<string, unknown>) => line['msg'] === msg;

/** Plays with two viewers at once: each decodes the clip; the camera saw one INVITE. */
async function playTwice(url: string, camera: RunningProcess, invitesBefore: number) {
  const probes = await Promise.all([probeVideo(url, 4), probeVideo(url, 4)]);
  for (const probed of probes) {
    assert.equal(probed.codec_name, 'h264');
    assert.equal(probed.width, 640);
    assert.equal(probed.height, 360);
    assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);
  }
  assert.equal(camera.count(isEvent('invite')), invitesBefore + 1, 'one INVITE for both');
}

/** A viewer that reads until the stream ends (`ended`: the bytes it got) or it leaves. */
async function openViewer(url: string): Promise<{ ended: Promise<number>; leave: () => void }> {
  const leaving = new AbortController();
  const response = await fetch(url, { signal: leaving.signal });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const ended = (async () => {
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return bytes;
      bytes += value?.length ?? 0;
    }
  })();
  return { ended, leave: () => leaving.abort() };
}

describe('RTP over TCP end to end, the node passive (the default)', () => {
  const deviceId = '34020000001320000041';
  const platform = new Platform({ env });
  const state = cameraOn(platform, deviceId);

  it(
    'a live URL plays over TCP/RTP/AVP, the camera connecting; two viewers, one INVITE, one BYE',
    { skip: ffprobeMissing },
    async () => {
      const camera = state.camera!;
      const from = platform.media.lines.length;
      const url = await liveUrl(platform, deviceId, state.channelId);
      await playTwice(url, camera, 0);

      const invite = await camera.waitFor(isEvent('invite'), 1000, 'the INVITE');
      assert.equal(invite['protocol'], 'TCP/RTP/AVP');
      assert.equal(invite['setup'], 'passive');
      const started = await camera.waitFor(isEvent('stream_started'), 1000, 'the stream');
      assert.equal(started['transport'], 'tcp-active');
      const line = await lineAfter(platform.media, from, message('stream started'), 'started');
      assert.deepEqual([line['transport'], line['setup']], ['TCP', 'passive']);

      await camera.waitFor(isEvent('bye'), 10_000, 'BYE after the last viewer left');
      const stopped = await lineAfter(platform.media, from, message('stream stopped'), 'stopped');
      assert.equal(stopped['reason'], 'no_viewers');
      assert.ok(Number(stopped['packets']) > 0 && Number(stopped['tcpBytes']) > 0);
      assert.deepEqual([stopped['payload'], stopped['malformed']], ['ps', 0]);
    },
  );

  it(
    'a stranger connecting to the passive port is refused and the stream plays on',
    { skip: ffprobeMissing },
    async () => {
      const from = platform.media.lines.length;
      const url = await liveUrl(platform, deviceId, state.channelId);
      const viewer = await openViewer(url);
      const started = await lineAfter(platform.media, from, message('stream started'), 'started');
      await lineAfter(platform.media, from, message('rtp connection accepted'), 'the camera');

      const stranger = connect({ host: '127.0.0.1', port: Number(started['port']) });
      stranger.on('error', () => {});
      stranger.write(Buffer.alloc(1000, 0x80));
      await new Promise((resolve) => stranger.once('close', resolve));

      const probed = await probeVideo(url, 4);
      assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);
      const open = await Promise.race([viewer.ended, Promise.resolve('open')]);
      assert.equal(open, 'open', 'the first viewer still streams');

      viewer.leave();
      await lineAfter(platform.media, from, message('stream stopped'), 'the stream stopped');
    },
  );

  it('trans_protocol UDP still sends RTP/AVP over UDP', { skip: ffprobeMissing }, async () => {
    const camera = state.camera!;
    const from = platform.media.lines.length;
    const fromCamera = camera.lines.length;
    const url = await liveUrl(platform, deviceId, state.channelId, 'UDP');

    const probed = await probeVideo(url, 4);
    assert.equal(probed.codec_name, 'h264');
    assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);
    const line = await lineAfter(platform.media, from, message('stream started'), 'started');
    assert.equal(line['transport'], 'UDP');
    assert.equal(line['setup'], undefined);
    const invite = await lineAfter(camera, fromCamera, isEvent('invite'), 'the INVITE');
    assert.equal(invite['protocol'], 'RTP/AVP');
    const started = await lineAfter(camera, fromCamera, isEvent('stream_started'), 'stream');
    assert.equal(started['transport'], 'udp');
    await lineAfter(platform.media, from, message('stream stopped'), 'the stream stopped');
  });

  it('a camera that dies closes its TCP connection: the stream ends and is recorded', async () => {
    const camera = state.camera!;
    const from = platform.media.lines.length;
    const url = await liveUrl(platform, deviceId, state.channelId);
    const viewer = await openViewer(url);
    await lineAfter(platform.media, from, message('rtp connection accepted'), 'the camera');

    await camera.stop('SIGKILL');
    const stopped = await lineAfter(platform.media, from, message('stream stopped'), 'stopped');
    // The reason tells the connection from the media watchdog: no need to time it.
    assert.equal(stopped['reason'], 'rtp_connection_closed');
    assert.ok((await viewer.ended) > 0, 'the viewer got video, then its response ended');

    const reasons = await eventually(async () => {
      const found = stoppedReasons(platform.dataDir);
      return found.includes('rtp_connection_closed') ? found : undefined;
    }, 5000);
    assert.ok(reasons.includes('no_viewers'));
  });
});

describe('RTP over TCP end to end, the node active (ARGUS_RTP_TCP_MODE=active)', () => {
  const deviceId = '34020000001320000042';
  const platform = new Platform({ env: { ...env, ARGUS_RTP_TCP_MODE: 'active' } });
  const state = cameraOn(platform, deviceId);

  it(
    'a live URL plays, the node connecting to the port the camera answered; one INVITE, one BYE',
    { skip: ffprobeMissing },
    async () => {
      const camera = state.camera!;
      const from = platform.media.lines.length;
      const url = await liveUrl(platform, deviceId, state.channelId, 'TCP');
      await playTwice(url, camera, 0);

      const invite = await camera.waitFor(isEvent('invite'), 1000, 'the INVITE');
      assert.deepEqual([invite['protocol'], invite['setup']], ['TCP/RTP/AVP', 'active']);
      const started = await camera.waitFor(isEvent('stream_started'), 1000, 'the stream');
      assert.equal(started['transport'], 'tcp-passive');
      const line = await lineAfter(platform.media, from, message('stream started'), 'started');
      assert.deepEqual([line['transport'], line['setup']], ['TCP', 'active']);
      await lineAfter(platform.media, from, message('rtp connection opened'), 'the connection');

      await camera.waitFor(isEvent('bye'), 10_000, 'BYE after the last viewer left');
      const stopped = await lineAfter(platform.media, from, message('stream stopped'), 'stopped');
      assert.equal(stopped['reason'], 'no_viewers');
      assert.ok(Number(stopped['packets']) > 0 && Number(stopped['tcpBytes']) > 0);
    },
  );
});

/** The reasons of the LiveStreamStopped events in the platform's event store. */
function stoppedReasons(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'argus.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT data FROM events WHERE event_type = 'LiveStreamStopped'")
      .all() as { data: string }[];
    return rows.map((row) => (JSON.parse(row.data) as { reason: string }).reason);
  } finally {
    db.close();
  }
}
