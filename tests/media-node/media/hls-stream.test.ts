import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';

import { concatBytes } from '../../../media-node/formats/bytes.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { HlsStream } from '../../../media-node/media/hls-stream.ts';
import { errorCodes } from '../../../src/errors.ts';
import { audioOnlyFrames, audioOnlyPacks, audioPayloads } from '../formats/audio-streams.ts';
import { noFfmpeg, tempFolder } from '../formats/encodes.ts';
import { clipElementaryFrames } from '../support/clip-frames.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { framesOf, probeDecoded } from '../support/remux.ts';

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

const audioWork = tempFolder();
after(() => audioWork.remove());

/** An HLS stream fed the frames of an audio-only channel. */
function audioOnlyStream(frames: ElementaryFrame[]) {
  const logger = recordingLogger();
  const hls = new HlsStream({ targetDurationS: 2, windowSize: 6, now: () => 0, logger });
  for (const frame of frames) hls.push(frame);
  return { hls, logger };
}

for (const streamMap of [true, false]) {
  test(
    `HlsStream serves AAC without video (decided by ${streamMap ? 'stream map' : 'count'}) as fMP4`,
    { skip: noFfmpeg },
    async () => {
      const payloads = audioPayloads('aac', audioWork.path(`hls-${streamMap}.aac`), 5);
      const { hls } = audioOnlyStream(
        audioOnlyFrames(audioOnlyPacks('aac', payloads, { streamMap })),
      );

      const listed = uris(await hls.playlist('', 0));
      const path = audioWork.path(`hls-${streamMap}.mp4`);
      const segments = listed.map((uri) => hls.segment(Number(/\d+/.exec(uri)?.[0])));
      writeFileSync(path, concatBytes([hls.init(0), ...segments].filter((b) => b !== undefined)));

      assert.deepEqual(listed, ['seg-0.m4s', 'seg-1.m4s']);
      const streams = probeDecoded(path);
      assert.deepEqual(
        streams.map((s) => [s.codec_type, s.codec_name, s.sample_rate]),
        [['audio', 'aac', '44100']],
      );
      // Cut at the first frame 2 s after each segment's start: 87 frames of 23.2 ms each.
      assert.equal(framesOf(streams, 'audio'), 2 * 87);
    },
  );
}

test(
  'HlsStream refuses an audio-only G.711 channel with the reason, logged once',
  { skip: noFfmpeg },
  async () => {
    const payloads = audioPayloads('g711a', audioWork.path('hls.alaw'), 1);
    const frames = audioOnlyFrames(audioOnlyPacks('g711a', payloads, { streamMap: true }));
    const { hls, logger } = audioOnlyStream([]);

    const waiting = hls.playlist('', 60_000);
    for (const frame of frames) hls.push(frame);

    const reason = 'Cannot segment audio-only HLS: fMP4 for browsers carries AAC, not g711a';
    await assert.rejects(waiting, { code: errorCodes.UNAVAILABLE, message: reason });
    await assert.rejects(hls.playlist('', 0), { message: reason });
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg),
      [reason],
    );
  },
);
