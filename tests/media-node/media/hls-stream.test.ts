import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HlsStream } from '../../../media-node/media/hls-stream.ts';
import { clipElementaryFrames } from '../support/clip-frames.ts';

const FRAMES = clipElementaryFrames(700);

/** An HLS stream on a clock the test moves, fed the clip's first `videoFrames` frames. */
function streamOf(videoFrames: number, options: { windowSize?: number } = {}) {
  const clock = { now: 1_000 };
  const hls = new HlsStream({
    targetDurationS: 2,
    windowSize: options.windowSize ?? 6,
    now: () => clock.now,
  });
  let video = 0;
  for (const frame of FRAMES) {
    if (frame.kind === 'video' && video++ === videoFrames) break;
    hls.push(frame);
  }
  return { hls, clock };
}

const uris = (playlist: string | undefined) =>
  (playlist ?? '').split('\n').filter((line) => line !== '' && !line.startsWith('#EXT'));

test('HlsStream lists 2 s segments with the query on every URI, the init first', async () => {
  const { hls } = streamOf(226);

  const playlist = await hls.playlist('token=abc', 0);

  assert.deepEqual(uris(playlist), [
    'seg-0.m4s?token=abc',
    'seg-1.m4s?token=abc',
    'seg-2.m4s?token=abc',
    'seg-3.m4s?token=abc',
  ]);
  assert.match(playlist ?? '', /#EXT-X-MAP:URI="init\.mp4\?token=abc"\n/);
  assert.match(playlist ?? '', /#EXTINF:2\.000,\n/);
  assert.ok((hls.init(0)?.length ?? 0) > 0);
  assert.equal(hls.init(1), undefined);
  assert.ok((hls.segment(3)?.length ?? 0) > 0);
});

test('HlsStream keeps the window and three segments behind it, no more', async () => {
  const { hls } = streamOf(50 * 12 + 1, { windowSize: 3 });

  const listed = uris(await hls.playlist('t=1', 0));

  assert.deepEqual(listed, ['seg-9.m4s?t=1', 'seg-10.m4s?t=1', 'seg-11.m4s?t=1']);
  assert.deepEqual(
    [5, 6, 9, 11].map((n) => hls.segment(n) !== undefined),
    [false, true, true, true],
  );
});

test('HlsStream waits for the first segment, and answers undefined when none comes', async () => {
  const { hls } = streamOf(10);

  const waiting = hls.playlist('t=1', 5_000);
  for (const frame of FRAMES.slice(0, 200)) if (frame.pts >= 900_000 + 10 * 3600) hls.push(frame);
  const empty = streamOf(0).hls.playlist('t=1', 10);

  assert.deepEqual(uris(await waiting), ['seg-0.m4s?t=1']);
  assert.equal(await empty, undefined);
});

test('HlsStream answers a waiting request when the stream ends', async () => {
  const { hls } = streamOf(10);

  const waiting = hls.playlist('t=1', 60_000);
  hls.end();

  assert.equal(await waiting, undefined);
});

test('HlsStream counts the time since the last request, none while one waits', async () => {
  const { hls, clock } = streamOf(0);

  clock.now += 5_000;
  const idle = hls.idleMs();
  const waiting = hls.playlist('t=1', 60_000);
  const whileWaiting = hls.idleMs();
  hls.end();
  await waiting;
  hls.touch();

  assert.deepEqual([idle, whileWaiting, hls.idleMs()], [5_000, 0, 0]);
});

test('HlsStream remembers the tokens it admitted, the newest 256', () => {
  const { hls } = streamOf(0);

  for (let i = 0; i < 300; i++) hls.admit(`token-${i}`);

  assert.deepEqual(
    ['token-0', 'token-43', 'token-44', 'token-299', 'other'].map((t) => hls.admitted(t)),
    [false, false, true, true, false],
  );
});
