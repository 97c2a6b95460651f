import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { Segmenter } from '../../../media-node/formats/hls-segmenter.ts';
import type { HlsSegment, SegmenterOutput } from '../../../media-node/formats/hls-segmenter.ts';
import { LivePlaylist } from '../../../media-node/formats/hls-playlist.ts';
import { initSegment } from '../../../media-node/formats/fmp4.ts';
import {
  buildAvcDecoderConfigurationRecord,
  splitAnnexB,
} from '../../../media-node/formats/h264.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { HLS_SEGMENT_MAX_BYTES } from '../../../media-node/formats/limits.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import type { ClipFrame } from '../../../simulator/media/clip.ts';
import { skipWithoutTool } from './support.ts';
import {
  annexB,
  avccSample,
  decodeErrors,
  findBox,
  probePacketTimes,
  probeStreams,
  readBoxes,
  readTrun,
  runFfmpeg,
  viewOf,
} from './mp4-support.ts';

const noFfprobe = skipWithoutTool('ffprobe');
const noFfmpeg = skipWithoutTool('ffmpeg') || noFfprobe;
const work = mkdtempSync(join(tmpdir(), 'argus-hls-'));
after(() => rmSync(work, { recursive: true, force: true }));

const CLIP = readClipFrames();
const FRAME_TICKS = 3600;
/** An SPS for 320x240 Baseline (from the FLV tests): a different configuration. */
const OTHER_SPS = Uint8Array.from(
  Buffer.from('6742c00dd90141fb011000000300100000030320f142a480', 'hex'),
);

function video(index: number, dts: number, pts = dts, clip: ClipFrame[] = CLIP): ElementaryFrame {
  const frame = clip[index];
  assert.ok(frame, `clip frame ${index}`);
  return { kind: 'video', codec: 'h264', pts, dts, data: frame.data, keyframe: frame.keyframe };
}

/** Runs frames through a segmenter and flushes; every output in order. */
function segmentAll(segmenter: Segmenter, frames: ElementaryFrame[]): SegmenterOutput[] {
  const outputs = frames.map((frame) => segmenter.push(frame));
  return [...outputs, segmenter.flush()].filter(
    (o) => o.init !== undefined || o.segment !== undefined,
  );
}

const segmentsOf = (outputs: SegmenterOutput[]) =>
  outputs.flatMap((o) => (o.segment === undefined ? [] : [o.segment]));

/** Base decode time and the trun of a segment's one track. */
function readSegment(segment: HlsSegment) {
  const boxes = readBoxes(segment.bytes);
  const tfdt = viewOf(findBox(boxes, 'moof/traf/tfdt').payload);
  return {
    sequenceNumber: viewOf(findBox(boxes, 'moof/mfhd').payload).getUint32(4),
    baseDecodeTime: Number(tfdt.getBigUint64(4)),
    samples: readTrun(findBox(boxes, 'moof/traf/trun')).samples,
  };
}

function clipRecord(): Uint8Array {
  const [sps, pps] = splitAnnexB(CLIP[0]?.data ?? new Uint8Array(0));
  assert.ok(sps && pps);
  return buildAvcDecoderConfigurationRecord(sps, pps);
}

test('Segmenter drops frames before the first keyframe, then returns the init segment', () => {
  const segmenter = new Segmenter({ targetDurationS: 1 });

  const before = [20, 21, 22, 23, 24].map((i) => segmenter.push(video(i, i * FRAME_TICKS)));
  const first = segmenter.push(video(25, 25 * FRAME_TICKS));

  assert.deepEqual(before, [{}, {}, {}, {}, {}]);
  assert.equal(segmenter.stats.skippedFrames, 5);
  assert.deepEqual(first, {
    init: initSegment([
      {
        id: 1,
        kind: 'video',
        codec: 'h264',
        timescale: 90000,
        width: 640,
        height: 360,
        config: clipRecord(),
      },
    ]),
  });
});

test('Segmenter cuts at the first keyframe targetDurationS after the segment start', () => {
  const frames = CLIP.map((_, i) => video(i, 90000 + i * FRAME_TICKS));

  const oneSecond = segmentsOf(segmentAll(new Segmenter({ targetDurationS: 1 }), frames));
  const longer = segmentsOf(
    segmentAll(new Segmenter({ targetDurationS: 1.5, firstSequence: 7 }), frames),
  );

  assert.deepEqual(
    oneSecond.map((s) => [
      s.sequence,
      s.durationS,
      readSegment(s).samples.length,
      readSegment(s).baseDecodeTime,
    ]),
    [
      [0, 1, 25, 0],
      [1, 1, 25, 90000],
      [2, 1, 25, 180000],
      [3, 1, 25, 270000],
    ],
  );
  assert.deepEqual(
    longer.map((s) => [s.sequence, s.durationS, readSegment(s).sequenceNumber]),
    [
      [7, 2, 8],
      [8, 2, 9],
    ],
  );
});

test('Segmenter writes AVCC samples without SPS and PPS, keyframes flagged as sync samples', () => {
  const [output] = segmentsOf(
    segmentAll(
      new Segmenter({ targetDurationS: 1 }),
      CLIP.slice(0, 3).map((_, i) => video(i, i * FRAME_TICKS)),
    ),
  );
  assert.ok(output);

  const { samples } = readSegment(output);
  const mdat = findBox(readBoxes(output.bytes), 'mdat').payload;

  assert.deepEqual(
    mdat.subarray(0, samples[0]?.size),
    avccSample(CLIP[0]?.data ?? new Uint8Array(0)),
  );
  assert.deepEqual(
    samples.map((s) => s.flags.toString(16)),
    ['2000000', '1010000', '1010000'],
  );
});

test('Segmenter writes B-frame composition offsets as PTS minus DTS', () => {
  // Decode order I P B B with PTS 2, 5, 3, 4 frames after the first DTS.
  const ptsInFrames = [2, 5, 3, 4];
  const frames = ptsInFrames.map((p, i) =>
    video(i, 1000 + i * FRAME_TICKS, 1000 + p * FRAME_TICKS),
  );

  const [segment] = segmentsOf(segmentAll(new Segmenter({ targetDurationS: 1 }), frames));
  assert.ok(segment);

  assert.deepEqual(
    readSegment(segment).samples.map((s) => s.compositionOffset / FRAME_TICKS),
    [2, 4, 1, 1],
  );
});

test('Segmenter keeps time across the 33-bit wrap and never goes backwards', () => {
  const wrap = 2 ** 33;
  const dts = [wrap - 3600, 0, 3600, 1800, 1800 + 5400, 1800 + 5400 + 20 * 90000];
  const frames = dts.map((d, i) => video(i, d));

  const [segment] = segmentsOf(segmentAll(new Segmenter({ targetDurationS: 10 }), frames));
  assert.ok(segment);

  // The step back (3600 → 1800) and the 20 s jump each last as long as the step before.
  assert.deepEqual(
    readSegment(segment).samples.map((s) => s.duration),
    [3600, 3600, 3600, 5400, 5400, 5400],
  );
  assert.equal(segment.durationS, (3 * 3600 + 3 * 5400) / 90000);
});

test('Segmenter sends a new init segment and a discontinuity when the SPS changes', () => {
  const segmenter = new Segmenter({ targetDurationS: 10 });
  const [, pps, idr] = splitAnnexB(CLIP[25]?.data ?? new Uint8Array(0));
  assert.ok(pps && idr);
  const frames = CLIP.slice(0, 30).map((_, i) => video(i, i * FRAME_TICKS));
  frames[25] = { ...video(25, 25 * FRAME_TICKS), data: annexB([OTHER_SPS, pps, idr]) };

  const outputs = segmentAll(segmenter, frames);

  assert.deepEqual(
    outputs.map((o) => [o.init !== undefined, o.segment?.sequence, o.segment?.discontinuity]),
    [
      [true, undefined, undefined],
      [true, 0, false],
      [false, 1, true],
    ],
  );
  const tkhd = viewOf(
    findBox(readBoxes(outputs[1]?.init ?? new Uint8Array(0)), 'moov/trak/tkhd').payload,
  );
  assert.deepEqual([tkhd.getUint32(76) / 65536, tkhd.getUint32(80) / 65536], [320, 240]);
  assert.equal(readSegment(outputs[1]?.segment as HlsSegment).samples.length, 25);
});

test('Segmenter counts an SPS it cannot parse and keeps the previous configuration', () => {
  const segmenter = new Segmenter({ targetDurationS: 10 });
  const [, pps, idr] = splitAnnexB(CLIP[25]?.data ?? new Uint8Array(0));
  assert.ok(pps && idr);
  const frames = CLIP.slice(0, 30).map((_, i) => video(i, i * FRAME_TICKS));
  frames[25] = {
    ...video(25, 25 * FRAME_TICKS),
    data: annexB([Uint8Array.of(0x67, 0x4d), pps, idr]),
  };

  const outputs = segmentAll(segmenter, frames);

  assert.deepEqual(
    outputs.map((o) => [o.init !== undefined, o.segment?.sequence]),
    [
      [true, undefined],
      [false, 0],
    ],
  );
  assert.equal(segmenter.stats.rejectedParameterSets, 1);
});

test('Segmenter cuts without a keyframe one byte past maxSegmentBytes, not at it', () => {
  const sizes = CLIP.slice(0, 3).map((f) => avccSample(f.data).length);
  const frames = CLIP.slice(0, 3).map((_, i) => video(i, i * FRAME_TICKS));
  const atLimit = (sizes[0] ?? 0) + (sizes[1] ?? 0);

  const fits = new Segmenter({ targetDurationS: 10, maxSegmentBytes: atLimit });
  const over = new Segmenter({ targetDurationS: 10, maxSegmentBytes: atLimit - 1 });

  assert.deepEqual(
    segmentsOf(segmentAll(fits, frames)).map((s) => readSegment(s).samples.length),
    [2, 1],
  );
  assert.deepEqual(
    segmentsOf(segmentAll(over, frames)).map((s) => readSegment(s).samples.length),
    [1, 2],
  );
  assert.deepEqual([fits.stats.forcedCuts, over.stats.forcedCuts], [1, 1]);
  assert.equal(HLS_SEGMENT_MAX_BYTES, 32 * 1024 * 1024);
});

test('Segmenter continues the timeline from the next keyframe after flush', () => {
  const segmenter = new Segmenter({ targetDurationS: 10 });
  const first = segmentAll(
    segmenter,
    CLIP.slice(0, 10).map((_, i) => video(i, i * FRAME_TICKS)),
  );

  const between = [10, 11].map((i) => segmenter.push(video(i, i * FRAME_TICKS)));
  const resumed = segmentAll(segmenter, [video(25, 12 * FRAME_TICKS), video(26, 13 * FRAME_TICKS)]);

  assert.equal(segmentsOf(first)[0]?.durationS, 0.4);
  assert.deepEqual(between, [{}, {}]);
  const [segment] = segmentsOf(resumed);
  assert.ok(segment);
  assert.deepEqual([segment.sequence, readSegment(segment).baseDecodeTime], [1, 12 * FRAME_TICKS]);
  assert.equal(resumed[0]?.init, undefined);
});

test('Segmenter counts ADTS it cannot parse and ignores G.711 audio', () => {
  const segmenter = new Segmenter({ targetDurationS: 1 });
  const audio = (codec: 'aac' | 'g711a', data: Uint8Array): ElementaryFrame => {
    return { kind: 'audio', codec, pts: 0, dts: 0, data, keyframe: true };
  };

  segmenter.push(video(0, 0));
  const outputs = [
    segmenter.push(audio('aac', new Uint8Array(9))),
    segmenter.push(audio('g711a', new Uint8Array(320))),
  ];

  assert.deepEqual(outputs, [{}, {}]);
  assert.equal(segmenter.stats.droppedAudioFrames, 1);
  assert.equal(segmenter.stats.ignoredAudioFrames, 1);
});

test('Segmenter rejects options out of range', () => {
  for (const opts of [
    { targetDurationS: 0 },
    { targetDurationS: Number.POSITIVE_INFINITY },
    { targetDurationS: 1, firstSequence: -1 },
    { targetDurationS: 1, maxSegmentBytes: 0 },
  ]) {
    assert.throws(
      () => new Segmenter(opts),
      (e: unknown) => isArgusError(e, errorCodes.VALIDATION),
      JSON.stringify(opts),
    );
  }
});

test('Segmenter segments tile the timeline on arbitrary units and times (fuzz)', () => {
  const nal = fc.tuple(
    fc.constantFrom(0x67, 0x68, 0x65, 0x41, 0x09, 0x06),
    fc.uint8Array({ maxLength: 30 }),
  );
  const frame = fc.record({
    units: fc.array(nal, { maxLength: 4 }),
    dtsStep: fc.integer({ min: -2 * 90000, max: 30 * 90000 }),
    ptsOffset: fc.integer({ min: -9000, max: 18000 }),
    keyframe: fc.boolean(),
    real: fc.integer({ min: -1, max: 99 }),
  });
  fc.assert(
    fc.property(
      fc.array(frame, { maxLength: 60 }),
      fc.integer({ min: 0, max: 2 ** 33 - 1 }),
      (frames, start) => {
        const segmenter = new Segmenter({ targetDurationS: 0.5, maxSegmentBytes: 4000 });
        let dts = start;
        const input = frames.map((f) => {
          dts = (dts + f.dtsStep + 2 ** 33) % 2 ** 33;
          const data =
            f.real >= 0
              ? (CLIP[f.real]?.data ?? new Uint8Array(0))
              : annexB(f.units.map(([h, body]) => Uint8Array.of(h, ...body)));
          return {
            kind: 'video',
            codec: 'h264',
            dts,
            pts: (dts + f.ptsOffset + 2 ** 33) % 2 ** 33,
            data,
            keyframe: f.keyframe,
          } as const;
        });

        const segments = segmentsOf(segmentAll(segmenter, input)).map(readSegment);

        for (let i = 1; i < segments.length; i++) {
          const previous = segments[i - 1];
          const end =
            (previous?.baseDecodeTime ?? 0) +
            (previous?.samples ?? []).reduce((n, s) => n + s.duration, 0);
          assert.equal(segments[i]?.baseDecodeTime, end);
        }
        assert.ok(segments.every((s) => s.samples.every((sample) => sample.duration > 0)));
      },
    ),
    { numRuns: fuzzRuns(500) },
  );
});

/** Writes init-N.mp4, segN.m4s and index.m3u8 for `frames` into a new folder; returns its path. */
function writeHls(name: string, frames: ElementaryFrame[], targetDurationS: number): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const segmenter = new Segmenter({ targetDurationS });
  const playlist = new LivePlaylist({
    targetDurationS: Math.ceil(targetDurationS),
    windowSize: 1000,
    initUri: 'init-0.mp4',
  });
  let inits = 0;
  let nextInitUri: string | undefined;
  for (const output of [...frames.map((f) => segmenter.push(f)), segmenter.flush()]) {
    if (output.segment !== undefined) {
      const { bytes, durationS, sequence, discontinuity } = output.segment;
      writeFileSync(join(dir, `seg${sequence}.m4s`), bytes);
      const map = nextInitUri === undefined ? {} : { initUri: nextInitUri };
      playlist.addSegment({
        uri: `seg${sequence}.m4s`,
        durationS,
        sequence,
        discontinuity,
        ...map,
      });
      nextInitUri = undefined;
    }
    if (output.init !== undefined) {
      const uri = `init-${inits}.mp4`;
      writeFileSync(join(dir, uri), output.init);
      nextInitUri = inits === 0 ? undefined : uri;
      inits += 1;
    }
  }
  playlist.end();
  writeFileSync(join(dir, 'index.m3u8'), playlist.render());
  return join(dir, 'index.m3u8');
}

test(
  'ffprobe reads the clip through Segmenter and LivePlaylist as 640x360 H.264, 100 frames',
  { skip: noFfmpeg },
  () => {
    const path = writeHls(
      'clip',
      CLIP.map((_, i) => video(i, 2 ** 33 - 45000 + i * FRAME_TICKS)),
      1,
    );

    assert.deepEqual(probeStreams(path), [
      { codec_name: 'h264', width: 640, height: 360, nb_read_frames: '100' },
    ]);
    assert.deepEqual(decodeErrors(path), { status: 0, stderr: '' });
    assert.equal(probePacketTimes(path).at(-1)?.[1], 3.96);
  },
);

test(
  'ffprobe reads a B-frame encode through Segmenter with every frame in presentation order',
  { skip: noFfmpeg },
  () => {
    const mp4 = join(work, 'bframes.mp4');
    const annexBPath = join(work, 'bframes.h264');
    runFfmpeg([
      ...[
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25',
        '-frames:v',
        '100',
        '-pix_fmt',
        'yuv420p',
      ],
      ...[
        '-c:v',
        'libx264',
        '-profile:v',
        'main',
        '-bf',
        '2',
        '-g',
        '25',
        '-keyint_min',
        '25',
        '-sc_threshold',
        '0',
      ],
      mp4,
    ]);
    runFfmpeg(['-i', mp4, '-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', annexBPath]);
    const times = probePacketTimes(mp4);
    const clip = readClipFrames(annexBPath);
    const ticks = (s: number) => Math.round(s * 90000) + 90000;
    const frames = clip.map((_, i) =>
      video(i, ticks(times[i]?.[1] ?? NaN), ticks(times[i]?.[0] ?? NaN), clip),
    );

    const path = writeHls('bframes', frames, 1);

    assert.equal(clip.length, 100);
    assert.ok(
      frames.some((f) => f.pts !== f.dts),
      'the encode has B-frames',
    );
    assert.deepEqual(probeStreams(path), [
      { codec_name: 'h264', width: 640, height: 360, nb_read_frames: '100' },
    ]);
    assert.deepEqual(decodeErrors(path), { status: 0, stderr: '' });
    const firstDts = times[0]?.[1] ?? 0;
    assert.deepEqual(
      probePacketTimes(path).map(([pts]) => Math.round(pts * 100)),
      times.map(([pts]) => Math.round((pts - firstDts) * 100)),
    );
  },
);
