import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { initSegment, mediaSegment } from '../../../media-node/formats/fmp4.ts';
import type {
  AudioTrackInfo,
  Fmp4Fragment,
  Fmp4Sample,
  TrackInfo,
  VideoTrackInfo,
} from '../../../media-node/formats/fmp4.ts';
import {
  buildAvcDecoderConfigurationRecord,
  splitAnnexB,
  toAvcc,
} from '../../../media-node/formats/h264.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { skipWithoutTool } from './support.ts';
import {
  avccSample,
  decodeErrors,
  findBox,
  h265AccessUnits,
  h265Type,
  outline,
  probePacketTimes,
  probeStreams,
  readAdts,
  readBoxes,
  readTrun,
  runFfmpeg,
  viewOf,
} from './mp4-support.ts';

const noFfprobe = skipWithoutTool('ffprobe');
const noFfmpeg = skipWithoutTool('ffmpeg') || noFfprobe;
const work = mkdtempSync(join(tmpdir(), 'argus-fmp4-'));
after(() => rmSync(work, { recursive: true, force: true }));

const CLIP = readClipFrames();
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const isMalformed = (error: unknown) => isArgusError(error, errorCodes.CODEC_MALFORMED);

function clipTrack(): VideoTrackInfo {
  const [sps, pps] = splitAnnexB(CLIP[0]?.data ?? new Uint8Array(0));
  assert.ok(sps && pps);
  const config = buildAvcDecoderConfigurationRecord(sps, pps);
  return { id: 1, kind: 'video', codec: 'h264', timescale: 90000, width: 640, height: 360, config };
}

const AUDIO: AudioTrackInfo = {
  id: 2,
  kind: 'audio',
  codec: 'aac',
  timescale: 48000,
  sampleRate: 48000,
  channels: 2,
  config: Uint8Array.of(0x11, 0x90), // AAC LC, 48 kHz, 2 channels
};

/** Clip frames [from, to) as fMP4 samples of 3600 ticks (25 fps). */
function clipSamples(from: number, to: number): Fmp4Sample[] {
  return CLIP.slice(from, to).map((frame) => ({
    data: avccSample(frame.data),
    duration: 3600,
    keyframe: frame.keyframe,
    compositionOffset: 0,
  }));
}

/** One media segment per GOP of the clip, each starting at its keyframe. */
function clipSegments(): Uint8Array[] {
  return [0, 25, 50, 75].map((first, i) =>
    mediaSegment(i + 1, [
      { trackId: 1, baseDecodeTime: first * 3600, samples: clipSamples(first, first + 25) },
    ]),
  );
}

test('initSegment writes ftyp and a moov of mvhd, one video trak and mvex', () => {
  const boxes = readBoxes(initSegment([clipTrack()]));

  assert.deepEqual(outline(boxes), [
    'ftyp',
    [
      'moov',
      [
        'mvhd',
        [
          'trak',
          [
            'tkhd',
            [
              'mdia',
              [
                'mdhd',
                'hdlr',
                [
                  'minf',
                  [
                    'vmhd',
                    ['dinf', [['dref', ['url ']]]],
                    ['stbl', [['stsd', [['avc1', ['avcC']]]], 'stts', 'stsc', 'stsz', 'stco']],
                  ],
                ],
              ],
            ],
          ],
        ],
        ['mvex', ['trex']],
      ],
    ],
  ]);
  assert.equal(new TextDecoder().decode(findBox(boxes, 'ftyp').payload), 'iso6\0\0\0\0iso6mp41');
});

test('initSegment writes the track id, size, timescale, handler and avcC record', () => {
  const track = clipTrack();
  const boxes = readBoxes(initSegment([track]));

  const tkhd = viewOf(findBox(boxes, 'moov/trak/tkhd').payload);
  const mdhd = viewOf(findBox(boxes, 'moov/trak/mdia/mdhd').payload);
  const hdlr = findBox(boxes, 'moov/trak/mdia/hdlr').payload;
  const avc1 = viewOf(findBox(boxes, 'moov/trak/mdia/minf/stbl/stsd/avc1').payload);
  const avcC = findBox(boxes, 'moov/trak/mdia/minf/stbl/stsd/avc1/avcC');
  const trex = viewOf(findBox(boxes, 'moov/mvex/trex').payload);
  const mvhd = viewOf(findBox(boxes, 'moov/mvhd').payload);

  assert.deepEqual([tkhd.getUint32(0), tkhd.getUint32(12)], [0x000003, 1]); // flags, track_ID
  assert.deepEqual([tkhd.getUint32(76) / 65536, tkhd.getUint32(80) / 65536], [640, 360]);
  assert.deepEqual([mdhd.getUint32(12), mdhd.getUint16(20)], [90000, 0x55c4]);
  assert.equal(new TextDecoder().decode(hdlr.subarray(8, 12)), 'vide');
  assert.deepEqual([avc1.getUint16(6), avc1.getUint16(24), avc1.getUint16(26)], [1, 640, 360]);
  assert.deepEqual(avcC.payload, track.config);
  assert.deepEqual([trex.getUint32(4), trex.getUint32(8)], [1, 1]); // track_ID, description 1
  assert.equal(mvhd.getUint32(96), 2); // next_track_ID
});

test('initSegment writes mp4a with an esds carrying the AudioSpecificConfig', () => {
  const boxes = readBoxes(initSegment([clipTrack(), AUDIO]));
  const audioTrak = findBox(boxes, 'moov').children.filter((b) => b.type === 'trak')[1];
  assert.ok(audioTrak);

  const mp4a = viewOf(findBox(audioTrak.children, 'mdia/minf/stbl/stsd/mp4a').payload);
  const esds = findBox(audioTrak.children, 'mdia/minf/stbl/stsd/mp4a/esds').payload;

  assert.deepEqual(outline(findBox(audioTrak.children, 'mdia/minf').children).slice(0, 1), [
    'smhd',
  ]);
  assert.deepEqual(
    [mp4a.getUint16(16), mp4a.getUint16(18), mp4a.getUint32(24) / 65536],
    [2, 16, 48000],
  );
  // ES_Descriptor(ES_ID 2) > DecoderConfigDescriptor(0x40, AudioStream) > DecoderSpecificInfo
  // (1190), SLConfigDescriptor(predefined 2): ISO/IEC 14496-1 §7.2.6.
  assert.equal(
    hex(esds),
    '00000000' + '0319' + '000200' + '0411' + '4015' + '00'.repeat(11) + '05021190' + '060102',
  );
  assert.equal(viewOf(findBox(boxes, 'moov/mvhd').payload).getUint32(96), 3);
  assert.equal(
    new TextDecoder().decode(findBox(audioTrak.children, 'mdia/hdlr').payload.subarray(8, 12)),
    'soun',
  );
});

test('initSegment writes an H.265 track as hvc1 with its hvcC record', () => {
  const config = Uint8Array.of(1, 2, 3, 4, 5);
  const boxes = readBoxes(initSegment([{ ...clipTrack(), codec: 'h265', config }]));

  assert.deepEqual(findBox(boxes, 'moov/trak/mdia/minf/stbl/stsd/hvc1/hvcC').payload, config);
});

test('initSegment rejects no tracks, bad or repeated ids, empty configs, bad sizes', () => {
  const video = clipTrack();
  const cases: [string, TrackInfo[], string][] = [
    ['no tracks', [], 'Cannot build fMP4 init segment: no tracks'],
    [
      'repeated id',
      [video, { ...AUDIO, id: 1 }],
      'Cannot build fMP4 init segment: track ids repeat: 1, 1',
    ],
    [
      'id 0',
      [{ ...video, id: 0 }],
      'Cannot build fMP4 init segment: track id out of range 1..4294967295: 0',
    ],
    [
      'empty config',
      [{ ...video, config: new Uint8Array(0) }],
      'Cannot build fMP4 init segment: track 1 has an empty config',
    ],
    [
      'width 0',
      [{ ...video, width: 0 }],
      'Cannot build fMP4 init segment: width out of range 1..65535: 0',
    ],
    [
      'height 65536',
      [{ ...video, height: 65536 }],
      'Cannot build fMP4 init segment: height out of range 1..65535: 65536',
    ],
    [
      '0 channels',
      [{ ...AUDIO, channels: 0 }],
      'Cannot build fMP4 init segment: channel count out of range 1..65535: 0',
    ],
    [
      'rate 44100.5',
      [{ ...AUDIO, sampleRate: 44100.5 }],
      'Cannot build fMP4 init segment: sample rate out of range 1..4294967295: 44100.5',
    ],
  ];
  for (const [name, tracks, message] of cases) {
    assert.throws(
      () => initSegment(tracks),
      (error: unknown) => isMalformed(error) && (error as Error).message === message,
      name,
    );
  }
});

test('mediaSegment writes moof and mdat, each trun offset at its first sample', () => {
  const video = clipSamples(0, 3);
  const audio: Fmp4Sample[] = [1, 2].map((n) => ({
    data: new Uint8Array(10 * n).fill(n),
    duration: 1024,
    keyframe: true,
    compositionOffset: 0,
  }));

  const segment = mediaSegment(7, [
    { trackId: 1, baseDecodeTime: 0, samples: video },
    { trackId: 2, baseDecodeTime: 96000, samples: audio },
  ]);

  const boxes = readBoxes(segment);
  assert.deepEqual(outline(boxes), [
    ['moof', ['mfhd', ['traf', ['tfhd', 'tfdt', 'trun']], ['traf', ['tfhd', 'tfdt', 'trun']]]],
    'mdat',
  ]);
  assert.equal(viewOf(findBox(boxes, 'moof/mfhd').payload).getUint32(4), 7);
  const [videoTraf, audioTraf] = findBox(boxes, 'moof').children.filter((b) => b.type === 'traf');
  assert.ok(videoTraf && audioTraf);
  const tfhd = viewOf(findBox(audioTraf.children, 'tfhd').payload);
  assert.deepEqual([tfhd.getUint32(0), tfhd.getUint32(4)], [0x020000, 2]); // default-base-is-moof
  const videoRun = readTrun(findBox(videoTraf.children, 'trun'));
  const audioRun = readTrun(findBox(audioTraf.children, 'trun'));
  assert.deepEqual([videoRun.version, videoRun.flags], [1, 0x000f01]);
  assert.deepEqual(
    segment.subarray(videoRun.dataOffset, videoRun.dataOffset + (video[0]?.data.length ?? 0)),
    video[0]?.data,
  );
  assert.deepEqual(
    segment.subarray(audioRun.dataOffset, audioRun.dataOffset + 30),
    concatBytes(audio.map((s) => s.data)),
  );
  assert.deepEqual(
    videoRun.samples.map((s) => [s.duration, s.size, s.flags.toString(16)]),
    video.map((s, i) => [3600, s.data.length, i === 0 ? '2000000' : '1010000']),
  );
  assert.equal(
    findBox(boxes, 'mdat').payload.length,
    video.reduce((n, s) => n + s.data.length, 0) + 30,
  );
});

test('mediaSegment writes negative composition offsets and decode times past 2^32', () => {
  const samples: Fmp4Sample[] = [7200, -3600, 0].map((compositionOffset) => ({
    data: Uint8Array.of(0, 0, 0, 1, 0x41),
    duration: 3600,
    keyframe: false,
    compositionOffset,
  }));
  const baseDecodeTime = 2 ** 33 + 5;

  const boxes = readBoxes(mediaSegment(1, [{ trackId: 1, baseDecodeTime, samples }]));

  const tfdt = viewOf(findBox(boxes, 'moof/traf/tfdt').payload);
  assert.deepEqual([tfdt.getUint8(0), tfdt.getBigUint64(4)], [1, BigInt(baseDecodeTime)]);
  assert.deepEqual(
    readTrun(findBox(boxes, 'moof/traf/trun')).samples.map((s) => s.compositionOffset),
    [7200, -3600, 0],
  );
});

test('mediaSegment rejects empty fragments, repeated tracks, numbers out of range', () => {
  const sample: Fmp4Sample = {
    data: new Uint8Array(4),
    duration: 1,
    keyframe: true,
    compositionOffset: 0,
  };
  const fragment: Fmp4Fragment = { trackId: 1, baseDecodeTime: 0, samples: [sample] };
  const cases: [string, number, Fmp4Fragment[], string][] = [
    ['no fragments', 1, [], 'no fragments'],
    ['no samples', 1, [{ ...fragment, samples: [] }], 'track 1 has no samples'],
    ['repeated track', 1, [fragment, fragment], 'track ids repeat: 1, 1'],
    ['sequence -1', -1, [fragment], 'sequence number out of range 0..4294967295: -1'],
    [
      'negative time',
      1,
      [{ ...fragment, baseDecodeTime: -1 }],
      'track 1 base decode time out of range 0..9007199254740991: -1',
    ],
    [
      'duration 2^32',
      1,
      [{ ...fragment, samples: [{ ...sample, duration: 2 ** 32 }] }],
      'track 1 sample duration out of range 0..4294967295: 4294967296',
    ],
    [
      'offset 2^31',
      1,
      [{ ...fragment, samples: [{ ...sample, compositionOffset: 2 ** 31 }] }],
      'track 1 composition offset out of range -2147483648..2147483647: 2147483648',
    ],
  ];
  for (const [name, sequence, fragments, reason] of cases) {
    assert.throws(
      () => mediaSegment(sequence, fragments),
      (error: unknown) =>
        isMalformed(error) &&
        (error as Error).message === `Cannot build fMP4 media segment: ${reason}`,
      name,
    );
  }
});

test('mediaSegment samples read back from trun and mdat as written (property)', () => {
  const sample = fc.record({
    data: fc.uint8Array({ maxLength: 64 }),
    duration: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    keyframe: fc.boolean(),
    compositionOffset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  });
  const fragments = fc.uniqueArray(
    fc.record({
      trackId: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
      baseDecodeTime: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      samples: fc.array(sample, { minLength: 1, maxLength: 8 }),
    }),
    { selector: (f) => f.trackId, minLength: 1, maxLength: 3 },
  );

  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fragments, (sequence, written) => {
      const segment = mediaSegment(sequence, written);
      const trafs = findBox(readBoxes(segment), 'moof').children.filter((b) => b.type === 'traf');

      const read = trafs.map((traf) => {
        const run = readTrun(findBox(traf.children, 'trun'));
        let at = run.dataOffset;
        return {
          trackId: viewOf(findBox(traf.children, 'tfhd').payload).getUint32(4),
          baseDecodeTime: Number(viewOf(findBox(traf.children, 'tfdt').payload).getBigUint64(4)),
          samples: run.samples.map((s) => {
            at += s.size;
            return {
              data: segment.slice(at - s.size, at),
              duration: s.duration,
              keyframe: s.flags === 0x02000000,
              compositionOffset: s.compositionOffset,
            };
          }),
        };
      });
      const plain = written.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s })) }));
      assert.deepEqual(read, plain);
    }),
    { numRuns: fuzzRuns(300) },
  );
});

test(
  'ffprobe reads init + clip segments as 640x360 H.264, 100 frames, last at 3.96 s',
  { skip: noFfmpeg },
  () => {
    const path = join(work, 'clip.mp4');

    writeFileSync(path, concatBytes([initSegment([clipTrack()]), ...clipSegments()]));

    assert.deepEqual(probeStreams(path), [
      { codec_name: 'h264', width: 640, height: 360, nb_read_frames: '100' },
    ]);
    assert.deepEqual(probePacketTimes(path).at(-1), [3.96, 3.96]);
    assert.deepEqual(decodeErrors(path), { status: 0, stderr: '' });
  },
);

test(
  'ffprobe reads an H.265 init segment made from an ffmpeg hvcC, with samples of the same encode',
  { skip: noFfmpeg },
  () => {
    const source = join(work, 'clip.hevc');
    const remuxed = join(work, 'reference-hevc.mp4');
    runFfmpeg([
      ...[
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:rate=25',
        '-frames:v',
        '30',
        '-pix_fmt',
        'yuv420p',
      ],
      ...[
        '-c:v',
        'libx265',
        '-x265-params',
        'log-level=error:keyint=10:bframes=0',
        '-f',
        'hevc',
        source,
      ],
    ]);
    runFfmpeg(['-r', '25', '-f', 'hevc', '-i', source, '-c', 'copy', '-tag:v', 'hvc1', remuxed]);
    const hvcC = findBox(
      readBoxes(new Uint8Array(readFileSync(remuxed))),
      'moov/trak/mdia/minf/stbl/stsd/hvc1/hvcC',
    ).payload;
    const units = h265AccessUnits(new Uint8Array(readFileSync(source)));
    const samples = units.map((unit) => ({
      data: toAvcc(unit.nals.filter((nal) => h265Type(nal) < 32 || h265Type(nal) > 35)),
      duration: 3600,
      keyframe: unit.keyframe,
      compositionOffset: 0,
    }));
    const path = join(work, 'hevc.mp4');

    const track: VideoTrackInfo = {
      id: 1,
      kind: 'video',
      codec: 'h265',
      timescale: 90000,
      width: 320,
      height: 240,
      config: hvcC,
    };
    writeFileSync(
      path,
      concatBytes([
        initSegment([track]),
        mediaSegment(1, [{ trackId: 1, baseDecodeTime: 0, samples }]),
      ]),
    );

    assert.equal(units.length, 30);
    assert.deepEqual(probeStreams(path), [
      { codec_name: 'hevc', width: 320, height: 240, nb_read_frames: '30' },
    ]);
    assert.deepEqual(decodeErrors(path), { status: 0, stderr: '' });
  },
);

test(
  'ffprobe reads H.264 and AAC tracks of one segment, each with its own data offset',
  { skip: noFfmpeg },
  () => {
    const source = join(work, 'tone.aac');
    runFfmpeg([
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4'],
      ...['-ac', '2', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', source],
    ]);
    const adts = readAdts(new Uint8Array(readFileSync(source)));
    const audio: AudioTrackInfo = {
      ...AUDIO,
      config: adts.config,
      sampleRate: adts.sampleRate,
      timescale: adts.sampleRate,
      channels: adts.channels,
    };
    const audioSamples = adts.frames.map((data) => ({
      data,
      duration: 1024,
      keyframe: true,
      compositionOffset: 0,
    }));
    const path = join(work, 'av.mp4');

    writeFileSync(
      path,
      concatBytes([
        initSegment([clipTrack(), audio]),
        mediaSegment(1, [
          { trackId: 1, baseDecodeTime: 0, samples: clipSamples(0, 100) },
          { trackId: 2, baseDecodeTime: 0, samples: audioSamples },
        ]),
      ]),
    );

    assert.equal(hex(adts.config), '1190');
    assert.deepEqual(probeStreams(path), [
      { codec_name: 'h264', width: 640, height: 360, nb_read_frames: '100' },
      { codec_name: 'aac', nb_read_frames: String(adts.frames.length) },
    ]);
    assert.deepEqual(decodeErrors(path), { status: 0, stderr: '' });
  },
);
