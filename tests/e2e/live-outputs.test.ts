/**
 * The media node's outputs end to end: the real API and media node, the simulator sending
 * H.264 with AAC (or G.711 A-law) in its program stream, and ffprobe reading what viewers
 * get over HTTP-FLV, WS-FLV and HLS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import WebSocket from 'ws';

import { ffprobeMissing, probeStreams, type ProbedStream } from '../support/ffprobe.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const aacCamera = { deviceId: '34020000001320000011', password: 'aac-cam-1' };
const alawCamera = { deviceId: '34020000001320000012', password: 'alaw-cam-1' };
type Protocol = 'HTTP_FLV' | 'WS_FLV' | 'HTTP_HLS';

describe(
  'live outputs end to end: HTTP-FLV, WS-FLV and HLS with audio',
  { skip: ffprobeMissing },
  () => {
    const platform = new Platform({ env: { ARGUS_LIVE_LINGER_S: '1' } });
    const cameras: RunningProcess[] = [];
    const work = mkdtempSync(join(tmpdir(), 'argus-outputs-'));

    before(async () => {
      await platform.start();
      await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
        devices: [aacCamera, alawCamera].map((c) => ({
          device_id: c.deviceId,
          device_name: 'Outputs',
          device_password: c.password,
        })),
      });
      cameras.push(
        startSimulator({ sipPort: platform.sipPort, ...aacCamera }),
        startSimulator({ sipPort: platform.sipPort, ...alawCamera, audio: 'g711a' }),
      );
      for (const camera of cameras)
        await camera.waitFor(isEvent('registered'), 15_000, 'registration');
    });
    after(async () => {
      await Promise.all(cameras.map((camera) => camera.stop('SIGKILL')));
      await platform.stop();
      platform.removeData();
      rmSync(work, { recursive: true, force: true });
    });

    /** A live URL of the camera's first channel, once the channel is listed. */
    async function liveUrl(deviceId: string, protocol: Protocol): Promise<string> {
      const channelId = await eventually(
        async () => {
          const { json } = await platform.call(
            'GET',
            `/v1/{user_id}/channels?device_id=${deviceId}`,
          );
          return json.channels?.[0]?.channel_id as string | undefined;
        },
        15_000,
        'the channel listed',
      );
      const { json } = await platform.call(
        'POST',
        '/v2/{user_id}/devices/channels/media/live-connections',
        {
          channels: [{ device_id: deviceId, channel_id: channelId, live_protocol: protocol }],
        },
      );
      assert.deepEqual(json.channels[0].result, { code: 'IVM.0', msg: 'Success' });
      return json.channels[0].cloud_trans_connections.live_url as string;
    }

    const byType = (streams: ProbedStream[]) => ({
      video: streams.find((s) => s.codec_type === 'video'),
      audio: streams.find((s) => s.codec_type === 'audio'),
    });

    function assertClip(streams: ProbedStream[], audioCodec: string, minFrames = 50): void {
      const { video, audio } = byType(streams);
      assert.equal(video?.codec_name, 'h264');
      assert.deepEqual([video?.width, video?.height], [640, 360]);
      assert.ok(
        Number(video?.nb_read_frames) >= minFrames,
        `decoded ${video?.nb_read_frames} frames`,
      );
      assert.equal(audio?.codec_name, audioCodec);
      assert.ok(Number(audio?.nb_read_frames) > 0, `decoded ${audio?.nb_read_frames} audio frames`);
    }

    it("HTTP-FLV carries the camera's H.264 and AAC", async () => {
      const url = await liveUrl(aacCamera.deviceId, 'HTTP_FLV');

      const streams = await probeStreams(url, 4);

      assertClip(streams, 'aac');
      assert.equal(byType(streams).audio?.sample_rate, '32000');
    });

    it('HTTP-FLV carries G.711 A-law from a camera that sends it', async () => {
      const url = await liveUrl(alawCamera.deviceId, 'HTTP_FLV');

      const streams = await probeStreams(url, 4);

      assertClip(streams, 'pcm_alaw');
    });

    it('WS-FLV sends the same FLV as binary messages', async () => {
      const url = await liveUrl(aacCamera.deviceId, 'WS_FLV');
      assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/live\/\d{20}\/\d{20}\.flv\?token=/);

      const bytes = await readWebSocket(url, 4500);
      const file = join(work, 'ws.flv');
      writeFileSync(file, bytes);

      assert.equal(new TextDecoder().decode(bytes.subarray(0, 3)), 'FLV');
      assertClip(await probeStreams(file, 10), 'aac', 75);
    });

    it('WS-FLV refuses a bad token before the handshake', async () => {
      const url = new URL(await liveUrl(aacCamera.deviceId, 'WS_FLV'));
      url.searchParams.set('token', 'not-a-token');

      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url.toString());
        ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        ws.on('open', () => reject(new Error('the handshake completed')));
        ws.on('error', () => undefined);
      });

      assert.equal(status, 401);
    });

    it('HLS plays as fMP4 segments with H.264 and AAC; the token rides on every URI', async () => {
      const url = await liveUrl(aacCamera.deviceId, 'HTTP_HLS');
      const token = new URL(url).searchParams.get('token') ?? '';

      const playlist = await (await fetch(url)).text();
      const streams = await probeStreams(url, 4);

      assert.match(playlist, /^#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n/);
      assert.ok(playlist.includes(`#EXT-X-MAP:URI="init.mp4?token=${encodeURIComponent(token)}"`));
      const segments = playlist.split('\n').filter((line) => line.startsWith('seg-'));
      assert.ok(segments.length >= 1);
      assert.ok(segments.every((line) => line.endsWith(`.m4s?token=${encodeURIComponent(token)}`)));
      assertClip(streams, 'aac');

      const bare = new URL(segments[0] ?? '', url);
      bare.search = '';
      assert.equal((await fetch(bare)).status, 401);
    });

    it('HLS counts as no viewer once its requests stop: BYE after the linger', async () => {
      const camera = cameras[0];
      const byes = camera?.count(isEvent('bye')) ?? 0;
      const url = await liveUrl(aacCamera.deviceId, 'HTTP_HLS');
      assert.equal((await fetch(url)).status, 200);

      await eventually(
        async () => ((camera?.count(isEvent('bye')) ?? 0) > byes ? true : undefined),
        20_000,
        'BYE after the HLS requests stopped',
      );
    });
  },
);

/** The binary messages of a WebSocket for `ms`, joined. */
function readWebSocket(url: string, ms: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const ws = new WebSocket(url);
    const timer = setTimeout(() => ws.close(1000, 'enough'), ms);
    ws.on('message', (data, isBinary) => {
      if (isBinary) chunks.push(data);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(new Uint8Array(Buffer.concat(chunks)));
    });
    ws.on('error', reject);
  });
}
