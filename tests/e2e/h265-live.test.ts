/**
 * H.265 end to end: a simulated camera sending the H.265 clip (stream type 0x24 in its
 * program stream), the real media node, a viewer taking HLS (fMP4) segments, and ffprobe
 * decoding them. Debian's ffprobe reads no H.265 in FLV, so HLS is what is checked here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ffprobeMissing } from '../support/ffprobe.ts';
import { captureHls, channelIdsOf, decodeVideo, liveUrl } from '../support/live-capture.ts';
import { Platform } from '../support/platform.ts';
import type { RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const deviceId = '34020000001320000071';
const password = 'hevc-cam-1';

describe('H.265 live video end to end', { skip: ffprobeMissing }, () => {
  const platform = new Platform({ env: { ARGUS_LIVE_LINGER_S: '1' } });
  const work = mkdtempSync(join(tmpdir(), 'argus-h265-'));
  let camera: RunningProcess | undefined;

  before(async () => {
    await platform.start();
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'H.265 camera', device_password: password }],
    });
    camera = startSimulator({ sipPort: platform.sipPort, deviceId, password, codec: 'h265' });
    await camera.waitFor(isEvent('registered'), 30_000, 'registration');
  });
  after(async () => {
    await platform.stop();
    await camera?.stop('SIGKILL');
    platform.removeData();
    rmSync(work, { recursive: true, force: true });
  });

  it('an H.265 camera plays as HLS: ffprobe decodes hevc 640x360 without error', async () => {
    const [channelId = ''] = await channelIdsOf(platform, deviceId);
    const url = await liveUrl(platform, { deviceId, channelId }, { protocol: 'HTTP_HLS' });
    const file = join(work, 'hevc.mp4');

    const segments = await captureHls(url, 2, file);
    const video = await decodeVideo(file);

    assert.equal(video.errors, '', 'decoded without an error');
    assert.equal(video.codec, 'hevc');
    assert.deepEqual([video.width, video.height], [640, 360]);
    assert.ok(video.times.length >= 25 * segments, `${video.times.length} frames decoded`);
    assert.ok(video.keyframes >= 1);
    const playlist = await (await fetch(url)).text();
    assert.match(playlist, /#EXT-X-MAP:URI="init\.mp4/);
  });
});
