/**
 * The fault matrix through the real processes: simulated cameras that lose, reorder and
 * duplicate RTP packets, send SSRC 0 or program streams without a stream map, over UDP and
 * over TCP; a viewer records a few seconds of HTTP-FLV (HLS for one case) and ffprobe
 * decodes it. Every case must decode without an error, with as many frames as the time
 * covered allows, less at most one GOP per packet the node saw lost; and the media node must
 * still serve a clean stream afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ffprobeMissing } from '../support/ffprobe.ts';
import {
  captureFlv,
  captureHls,
  channelIdsOf,
  decodeVideo,
  listedStream,
  liveUrl,
  type DecodedVideo,
  type ListedStream,
} from '../support/live-capture.ts';
import { Platform } from '../support/platform.ts';
import type { RunningProcess } from '../support/processes.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

/** The clip's frame rate and GOP (simulator/media/README.md). */
const FPS = 25;
const GOP_FRAMES = 25;
/** How long each viewer records. */
const CAPTURE_MS = 3000;

interface FaultyCamera {
  deviceId: string;
  fault?: string;
  channels?: number;
}

/** Seed 11 drops packets 43, 67 and 89 of every call: losses within the first two seconds. */
const lossy: FaultyCamera = {
  deviceId: '34020000001320000061',
  fault: 'loss=1,seed=11',
  channels: 2,
};
const reordering: FaultyCamera = { deviceId: '34020000001320000062', fault: 'reorder=8,seed=3' };
const duplicating: FaultyCamera = { deviceId: '34020000001320000063', fault: 'duplicate=5,seed=5' };
const ssrc0: FaultyCamera = { deviceId: '34020000001320000064', fault: 'ssrc0' };
const noPsm: FaultyCamera = { deviceId: '34020000001320000065', fault: 'no-psm' };
const clean: FaultyCamera = { deviceId: '34020000001320000066' };
const cameras = [lossy, reordering, duplicating, ssrc0, noPsm, clean];

interface FaultCase {
  name: string;
  camera: FaultyCamera;
  /** Index of the camera's channel (a camera serves one transport per channel at a time). */
  channel?: number;
  transport: 'UDP' | 'TCP';
  protocol?: 'HTTP_HLS';
  /** What the node must have seen of the fault, so that the case cannot pass without it. */
  saw: (stream: ListedStream) => void;
}

const cases: FaultCase[] = [
  {
    name: '1 % seeded loss over UDP',
    camera: lossy,
    transport: 'UDP',
    saw: (s) => assert.ok(Number(s.counters['lost']) > 0, 'packets lost'),
  },
  {
    name: '1 % seeded loss over TCP',
    camera: lossy,
    channel: 1,
    transport: 'TCP',
    saw: (s) => assert.ok(Number(s.counters['lost']) > 0, 'packets lost'),
  },
  {
    name: 'packets reordered within 8 over UDP',
    camera: reordering,
    transport: 'UDP',
    saw: (s) => assert.ok(Number(s.counters['reordered']) > 0, 'packets reordered'),
  },
  {
    name: '5 % duplicated packets over TCP',
    camera: duplicating,
    transport: 'TCP',
    saw: (s) => assert.ok(Number(s.counters['duplicates']) > 0, 'duplicates dropped'),
  },
  {
    name: 'SSRC 0 over TCP',
    camera: ssrc0,
    transport: 'TCP',
    saw: (s) => assert.equal(s.ssrc, 0),
  },
  {
    name: 'no system header or stream map over UDP, viewed as HLS',
    camera: noPsm,
    transport: 'UDP',
    protocol: 'HTTP_HLS',
    saw: (s) => assert.equal(s.transport, 'UDP'),
  },
];

/**
 * The decoded frames fit the time they cover: no error, the clip's size, presentation times
 * rising (no duplicate went out twice, no reordered packet broke a frame), at most one frame
 * per 40 ms, and at least that less one GOP per packet lost.
 */
function assertFramesFit(video: DecodedVideo, lost: number, codec = 'h264'): void {
  assert.equal(video.errors, '', 'ffprobe decoded without an error');
  assert.equal(video.codec, codec);
  assert.deepEqual([video.width, video.height], [640, 360]);
  assert.ok(video.times.length >= FPS, `${video.times.length} frames decoded, at least 1 s`);
  assert.ok(video.keyframes >= 1, 'a keyframe first');
  for (let i = 1; i < video.times.length; i++) {
    const [before, now] = [video.times[i - 1] ?? 0, video.times[i] ?? 0];
    assert.ok(now > before, `frame ${i} at ${now} s after frame ${i - 1} at ${before} s`);
  }
  const covered = Math.round(((video.times.at(-1) ?? 0) - (video.times[0] ?? 0)) * FPS) + 1;
  assert.ok(video.times.length <= covered, `${video.times.length} frames in ${covered} slots`);
  const floor = covered - GOP_FRAMES * lost;
  assert.ok(video.times.length >= floor, `${video.times.length} frames, ${lost} lost: >= ${floor}`);
}

describe('fault matrix end to end', { skip: ffprobeMissing }, () => {
  const platform = new Platform({ env: { ARGUS_LIVE_LINGER_S: '1' } });
  const running: RunningProcess[] = [];
  const channelsOf = new Map<FaultyCamera, string[]>();
  const work = mkdtempSync(join(tmpdir(), 'argus-faults-'));

  before(async () => {
    await platform.start();
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: cameras.map((c) => ({
        device_id: c.deviceId,
        device_name: c.fault ?? 'clean',
        device_password: `pw-${c.deviceId.slice(-4)}`,
      })),
    });
    for (const camera of cameras) {
      const simulator = startSimulator({
        sipPort: platform.sipPort,
        deviceId: camera.deviceId,
        password: `pw-${camera.deviceId.slice(-4)}`,
        channels: camera.channels ?? 1,
        ...(camera.fault !== undefined && { fault: camera.fault }),
      });
      running.push(simulator);
    }
    await Promise.all(running.map((s) => s.waitFor(isEvent('registered'), 30_000, 'registered')));
    for (const camera of cameras) {
      channelsOf.set(camera, await channelIdsOf(platform, camera.deviceId, camera.channels ?? 1));
    }
  });
  after(async () => {
    // The platform first: its BYEs to live cameras are answered, not left to time out.
    await platform.stop();
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
    platform.removeData();
    rmSync(work, { recursive: true, force: true });
  });

  /** Records the channel as `fault.protocol` says, and what the node saw of the stream. */
  async function watch(fault: Omit<FaultCase, 'saw' | 'name'>, file: string) {
    const channelId = channelsOf.get(fault.camera)?.[fault.channel ?? 0] ?? '';
    const channel = { deviceId: fault.camera.deviceId, channelId };
    const url = await liveUrl(platform, channel, {
      transport: fault.transport,
      ...(fault.protocol !== undefined && { protocol: fault.protocol }),
    });
    if (fault.protocol === 'HTTP_HLS') await captureHls(url, 1, file);
    else await captureFlv(url, CAPTURE_MS, file);
    return { stream: await listedStream(url, channel), video: await decodeVideo(file) };
  }

  for (const [index, fault] of cases.entries()) {
    it(`a stream with ${fault.name} decodes without error`, async () => {
      const file = join(work, `case-${index}.${fault.protocol === 'HTTP_HLS' ? 'mp4' : 'flv'}`);

      const { stream, video } = await watch(fault, file);

      assert.equal(stream.transport, fault.transport);
      fault.saw(stream);
      assertFramesFit(video, Number(stream.counters['lost']));
    });
  }

  it('the media node is still up and serves a clean stream after the faults', async () => {
    const file = join(work, 'clean.flv');

    const { stream, video } = await watch({ camera: clean, transport: 'TCP' }, file);

    assert.equal(platform.media.child.exitCode, null, 'the media node runs');
    assert.deepEqual([stream.counters['lost'], stream.counters['malformed']], [0, 0]);
    assertFramesFit(video, 0);
    assert.ok(video.times.length >= 2 * FPS, `${video.times.length} frames of a clean stream`);
  });
});
