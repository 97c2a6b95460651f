import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PsDemuxer } from '../../media-node/formats/ps-demuxer.ts';
import { clipFramePacks } from '../../simulator/clip-packs.ts';
import { ConfigError, readConfig } from '../../simulator/config.ts';
import { readClipAudio, withClipAudio } from '../../simulator/media/clip-audio.ts';
import { readClipFrames } from '../../simulator/media/clip.ts';

const CLIP = readClipFrames();

test('readClipAudio reads 125 ADTS frames of AAC and 100 units of A-law, 4 s each', () => {
  const aac = readClipAudio('aac');
  const alaw = readClipAudio('g711a');

  assert.deepEqual([aac.frames.length, aac.frames.length * aac.ticksPerFrame], [125, 360_000]);
  assert.ok(aac.frames.every((frame) => frame[0] === 0xff && ((frame[1] ?? 0) & 0xf6) === 0xf0));
  assert.deepEqual([alaw.frames.length, alaw.frames.length * alaw.ticksPerFrame], [100, 360_000]);
  assert.ok(alaw.frames.every((frame) => frame.length === 320));
});

test('withClipAudio gives each audio unit to the first frame not earlier than it', () => {
  const frames = withClipAudio(CLIP, 'aac');

  const units = frames.flatMap((frame, i) => (frame.audio ?? []).map((u) => [i, u.offsetTicks]));
  assert.equal(units.length, 125);
  assert.ok(units.every(([, offset]) => (offset ?? 1) <= 0 && (offset ?? 0) > -3600));
  assert.deepEqual(
    frames[0]?.audio?.map((u) => u.offsetTicks),
    [0, -2880],
  );
  assert.deepEqual(withClipAudio(CLIP, 'none'), CLIP);
});

test('clipFramePacks sends sound and picture in PTS order, the codec in the stream map', () => {
  const frames = withClipAudio(CLIP, 'g711a');
  const demuxer = new PsDemuxer();

  const out = frames.flatMap((frame, i) =>
    clipFramePacks(frame, 90_000 + i * 3600).flatMap(({ pack }) => demuxer.push(pack)),
  );
  out.push(...demuxer.flush());

  const audio = out.filter((f) => f.kind === 'audio');
  const video = out.filter((f) => f.kind === 'video');
  assert.deepEqual([video.length, audio.length], [100, 100]);
  assert.ok(audio.every((f) => f.codec === 'g711a' && f.data.length === 320));
  const packs = withClipAudio(CLIP, 'aac').flatMap((frame, i) => clipFramePacks(frame, i * 3600));
  const times = packs.map((p) => p.pts);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.deepEqual(
    packs.slice(0, 3).map((p) => [p.pts, p.pack[17] === 0xbb ? 'video keyframe' : 'audio']),
    [
      [-2880, 'audio'],
      [0, 'video keyframe'],
      [0, 'audio'],
    ],
  );
});

test('the simulator sends AAC unless --audio says g711a or none', () => {
  const base = ['--server', '127.0.0.1', '--device-id', '34020000001320000001', '--password', 'p'];

  const audio = (extra: string[]) => readConfig([...base, ...extra], {})?.audio;

  assert.deepEqual(
    [audio([]), audio(['--audio', 'g711a']), audio(['--audio', 'NONE'])],
    ['aac', 'g711a', 'none'],
  );
  assert.throws(() => audio(['--audio', 'opus']), ConfigError);
});
