import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { writeFileSync } from 'node:fs';

import { AUDIO_ONLY_AFTER_FRAMES } from '../../../media-node/formats/audio-only.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { FlvStreamHub, type Viewer } from '../../../media-node/media/flv-stream-hub.ts';
import { silentLogger } from '../../../src/logger.ts';
import { readFlv, readTags, type ReadTag } from '../formats/flv-reader.ts';
import { encodeHevc, noFfmpeg, readHevcAccessUnits, tempFolder } from '../formats/encodes.ts';
import { clipElementaryFrames } from '../support/clip-frames.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { framesOf, probeDecoded } from '../support/remux.ts';
import { audioOnlyFrames, audioOnlyPacks, audioPayloads } from '../formats/audio-streams.ts';

/** A viewer whose connection holds `queuedBytes` unsent; it keeps what it was given. */
class FakeViewer implements Viewer {
  readonly chunks: Uint8Array[] = [];
  queuedBytes = 0;
  ended = false;
  abortedFor: string | undefined;

  write(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }
  end(): void {
    this.ended = true;
  }
  abort(reason: string): void {
    this.abortedFor = reason;
  }
  /** Everything received, read as one FLV file. */
  flv() {
    return readFlv(concatBytes(this.chunks));
  }
  /** Tags received after the first `from` chunks (live tags, without a file header). */
  tagsAfter(from: number): ReadTag[] {
    return readTags(this.chunks.slice(from));
  }
}

const FRAMES = clipElementaryFrames(300);
const MIB = 1024 * 1024;

/** Pushes the frames of video frames [from, to) with the sound sent before them. */
function pushVideoFrames(hub: FlvStreamHub, from: number, to: number): void {
  let video = -1;
  for (const frame of FRAMES) {
    if (frame.kind === 'video') video++;
    const index = frame.kind === 'video' ? video : video + 1;
    if (index >= from && index < to) hub.push(frame);
  }
}

const videoTimes = (tags: ReadTag[]) => tags.filter((t) => t.type === 9).map((t) => t.timestamp);
const isKeyframeTag = (t: ReadTag) => t.type === 9 && (t.body[0] ?? 0) >> 4 === 1;

test('FlvStreamHub starts a late viewer with the headers, then the GOP since the keyframe', () => {
  const hub = new FlvStreamHub({ logger: silentLogger });
  pushVideoFrames(hub, 0, 38);
  const viewer = new FakeViewer();

  hub.attach(viewer);

  const { video, audio, tags } = viewer.flv();
  assert.deepEqual([video, audio], [true, true]);
  assert.deepEqual(
    tags.slice(0, 4).map((t) => [t.type, t.body[0], t.body[1]]),
    [
      [18, 0x02, 0x00], // onMetaData
      [9, 0x17, 0x00], // AVC sequence header
      [8, 0xaf, 0x00], // AAC sequence header
      [9, 0x17, 0x01], // the keyframe of frame 25
    ],
  );
  assert.deepEqual(
    videoTimes(tags.slice(3)),
    Array.from({ length: 13 }, (_, i) => 1000 + 40 * i),
  );
  assert.ok(tags.slice(4).every((t) => !isKeyframeTag(t)));
  assert.ok(tags.some((t) => t.type === 8 && t.body[1] === 1 && t.timestamp >= 1000));
});

test('FlvStreamHub gives a viewer who joins before the first keyframe the stream from it', () => {
  const hub = new FlvStreamHub({ logger: silentLogger });
  const viewer = new FakeViewer();

  hub.attach(viewer);
  const before = viewer.chunks.length;
  pushVideoFrames(hub, 0, 3);

  assert.equal(before, 0);
  const { tags } = viewer.flv();
  assert.deepEqual(
    tags.filter((t) => t.type === 9).map((t) => [t.timestamp, t.body[0], t.body[1]]),
    [
      [0, 0x17, 0x00],
      [0, 0x17, 0x01],
      [40, 0x27, 0x01],
      [80, 0x27, 0x01],
    ],
  );
});

test('FlvStreamHub sends live tags to every viewer as the frames come', () => {
  const hub = new FlvStreamHub({ logger: silentLogger });
  const [first, second] = [new FakeViewer(), new FakeViewer()];
  hub.attach(first);
  hub.attach(second);

  pushVideoFrames(hub, 0, 50);

  assert.deepEqual(first.flv().tags, second.flv().tags);
  assert.equal(videoTimes(first.flv().tags).length, 51); // sequence header and 50 frames
  assert.equal(hub.frames, 50);
  assert.equal(hub.bytesOut, 2 * concatBytes(first.chunks).length);
});

test('FlvStreamHub skips a slow viewer to the next keyframe, the others get every tag', () => {
  const hub = new FlvStreamHub({ logger: silentLogger });
  const [fast, slow] = [new FakeViewer(), new FakeViewer()];
  hub.attach(fast);
  hub.attach(slow);
  pushVideoFrames(hub, 0, 30);
  const [fastBefore, slowBefore] = [fast.chunks.length, slow.chunks.length];

  slow.queuedBytes = 3 * MIB;
  pushVideoFrames(hub, 30, 45);
  slow.queuedBytes = 0;
  pushVideoFrames(hub, 45, 60);

  const resumed = slow.tagsAfter(slowBefore);
  assert.equal(videoTimes(fast.tagsAfter(fastBefore)).length, 30);
  assert.equal(
    isKeyframeTag(resumed[0] ?? { type: 0, timestamp: 0, body: new Uint8Array() }),
    true,
  );
  assert.deepEqual(
    videoTimes(resumed),
    Array.from({ length: 10 }, (_, i) => 2000 + 40 * i),
  );
  const stats = hub.detach(slow);
  assert.equal(stats?.stalls, 1);
  assert.ok((stats?.skippedTags ?? 0) > 20, `skipped ${stats?.skippedTags}`);
  assert.equal(slow.abortedFor, undefined);
});

test('FlvStreamHub drops a viewer whose queue passes 8 MiB, with the reason logged', () => {
  const logger = recordingLogger();
  const hub = new FlvStreamHub({ logger });
  const [fast, slow] = [new FakeViewer(), new FakeViewer()];
  hub.attach(fast);
  hub.attach(slow);
  pushVideoFrames(hub, 0, 5);

  slow.queuedBytes = 8 * MIB + 1;
  pushVideoFrames(hub, 5, 10);

  assert.equal(slow.abortedFor, `backlog above ${8 * MIB} bytes: ${8 * MIB + 1}`);
  assert.equal(hub.viewerCount, 1);
  assert.equal(hub.detach(slow), undefined);
  const dropped = logger.lines.filter((l) => l.msg === 'viewer dropped');
  assert.equal(dropped.length, 1);
  assert.equal(dropped[0]?.level, 'warn');
  assert.equal(dropped[0]?.fields['reason'], slow.abortedFor);
  assert.equal(videoTimes(fast.flv().tags).length, 11);
});

test('FlvStreamHub drops a viewer still behind at the fifth keyframe', () => {
  const hub = new FlvStreamHub({ logger: silentLogger });
  const slow = new FakeViewer();
  hub.attach(slow);
  pushVideoFrames(hub, 0, 10);

  slow.queuedBytes = 3 * MIB;
  pushVideoFrames(hub, 10, 124);
  const stillThere = slow.abortedFor === undefined;
  pushVideoFrames(hub, 124, 126);

  assert.equal(stillThere, true, 'four keyframes skipped');
  assert.equal(slow.abortedFor, `behind through 5 keyframes: ${3 * MIB} bytes queued`);
});

test('FlvStreamHub ends every viewer when the upstream ends', () => {
  const hub = new FlvStreamHub({ logger: silentLogger });
  const viewers = [new FakeViewer(), new FakeViewer()];
  for (const viewer of viewers) hub.attach(viewer);

  hub.close();

  assert.deepEqual(
    viewers.map((v) => v.ended),
    [true, true],
  );
  assert.equal(hub.viewerCount, 0);
});

test(
  'FlvStreamHub starts a late viewer of H.265 and G.711 at the last IRAP picture',
  { skip: noFfmpeg },
  () => {
    const work = tempFolder();
    after(() => work.remove());
    const units = readHevcAccessUnits(
      encodeHevc(work.path('hub.h265'), {
        size: '320x240',
        frames: 40,
        x265: 'bframes=0:keyint=25:min-keyint=25:scenecut=0',
      }),
    );
    const hub = new FlvStreamHub({ logger: silentLogger });
    units.forEach((au, i) => {
      const pts = 90_000 + i * 3600;
      hub.push({
        kind: 'video',
        codec: 'h265',
        pts,
        dts: pts,
        data: au.data,
        keyframe: au.keyframe,
      });
      hub.push({
        kind: 'audio',
        codec: 'g711a',
        pts,
        dts: pts,
        data: new Uint8Array(320).fill(0xd5),
        keyframe: true,
      });
    });
    const viewer = new FakeViewer();

    hub.attach(viewer);

    const { video, audio, tags } = viewer.flv();
    assert.deepEqual([video, audio], [true, true]);
    const videoTags = tags.filter((t) => t.type === 9);
    // Enhanced RTMP: ExHeader | FrameType 1 | SequenceStart, then the keyframe of frame 25.
    assert.deepEqual(
      videoTags
        .slice(0, 2)
        .map((t) => [t.timestamp, (t.body[0] ?? 0) & 0xf0, (t.body[0] ?? 0) & 0x0f]),
      [
        [0, 0x90, 0],
        [1000, 0x90, 3],
      ],
    );
    assert.equal(videoTags.length, 1 + 15);
    assert.ok(
      tags.filter((t) => t.type === 8).every((t) => t.body[0] === 0x72 && t.timestamp >= 1000),
    );
  },
);

const audioWork = tempFolder();
after(() => audioWork.remove());

/** ffprobe's view of what a viewer received, written to a file. */
function probeViewer(viewer: FakeViewer, name: string) {
  const path = audioWork.path(name);
  writeFileSync(path, concatBytes(viewer.chunks));
  return probeDecoded(path);
}

for (const codec of ['aac', 'g711a'] as const) {
  test(
    `FlvStreamHub serves a ${codec} channel whose stream map lists no video at its first frame`,
    { skip: noFfmpeg },
    () => {
      const payloads = audioPayloads(codec, audioWork.path(`only.${codec}`), 3);
      const frames = audioOnlyFrames(audioOnlyPacks(codec, payloads, { streamMap: true }));
      const hub = new FlvStreamHub({ logger: silentLogger });
      const viewer = new FakeViewer();
      hub.attach(viewer);

      hub.push(frames[0] ?? assert.fail('no audio frame'));
      const atFirstFrame = viewer.chunks.length;
      for (const frame of frames.slice(1)) hub.push(frame);

      assert.ok(atFirstFrame > 0, 'the viewer started at the first audio frame');
      const { video, audio } = viewer.flv();
      assert.deepEqual([video, audio], [false, true], 'FLV header flags: audio only');
      const streams = probeViewer(viewer, `only-${codec}.flv`);
      assert.deepEqual(
        streams.map((s) => [s.codec_type, s.codec_name]),
        [['audio', codec === 'aac' ? 'aac' : 'pcm_alaw']],
      );
      assert.equal(framesOf(streams, 'audio'), payloads.length);
    },
  );
}

test(
  'FlvStreamHub takes a channel without a stream map as audio only at AUDIO_ONLY_AFTER_FRAMES',
  { skip: noFfmpeg },
  () => {
    const payloads = audioPayloads('aac', audioWork.path('counted.aac'), 3);
    const frames = audioOnlyFrames(audioOnlyPacks('aac', payloads, { streamMap: false }));
    const hub = new FlvStreamHub({ logger: silentLogger });
    const early = new FakeViewer();
    hub.attach(early);

    for (const frame of frames.slice(0, AUDIO_ONLY_AFTER_FRAMES - 1)) hub.push(frame);
    const beforeDecision = early.chunks.length;
    for (const frame of frames.slice(AUDIO_ONLY_AFTER_FRAMES - 1)) hub.push(frame);
    const late = new FakeViewer();
    hub.attach(late);

    assert.equal(beforeDecision, 0, 'nothing before the count is reached');
    const streams = probeViewer(early, 'counted.flv');
    assert.deepEqual(
      streams.map((s) => [s.codec_type, s.codec_name]),
      [['audio', 'aac']],
    );
    assert.equal(framesOf(streams, 'audio'), payloads.length, 'the held audio is not lost');
    const joined = late.flv();
    assert.deepEqual([joined.video, joined.audio], [false, true]);
    assert.deepEqual(
      joined.tags.slice(0, 2).map((t) => [t.type, t.body[0], t.body[1]]),
      [
        [18, 0x02, 0x00], // onMetaData
        [8, 0xaf, 0x00], // AAC sequence header
      ],
    );
    assert.equal(joined.tags.length, 2 + AUDIO_ONLY_AFTER_FRAMES, 'the last audio tags cached');
  },
);

test('FlvStreamHub keeps waiting for video where the stream map lists it', () => {
  const hub = new FlvStreamHub({ logger: silentLogger });
  const viewer = new FakeViewer();
  hub.attach(viewer);
  const frame = { kind: 'audio', codec: 'g711a', dts: 0, keyframe: true } as const;

  for (let i = 0; i < 2 * AUDIO_ONLY_AFTER_FRAMES; i++) {
    hub.push({ ...frame, pts: i * 3600, data: new Uint8Array(320), mapListsVideo: true });
  }

  assert.equal(viewer.chunks.length, 0);
});
