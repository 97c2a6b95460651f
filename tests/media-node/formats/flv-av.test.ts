import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { parseAdts } from '../../../media-node/formats/aac.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import {
  FLV_HEVC_FOURCC,
  FlvH264Muxer,
  FlvMuxer,
  flvHeader,
  isFlvKeyframe,
  isFlvSequenceHeader,
} from '../../../media-node/formats/flv.ts';
import {
  buildHevcDecoderConfigurationRecord,
  H265_NAL,
  h265NalType,
} from '../../../media-node/formats/h265.ts';
import type {
  AudioCodec,
  ElementaryFrame,
  VideoCodec,
} from '../../../media-node/formats/ps-demuxer.ts';
import { FLV_HELD_AUDIO_MAX_FRAMES } from '../../../media-node/formats/limits.ts';
import { muxPsAudioFrame, muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import {
  encodeAudio,
  encodeHevc,
  ffprobeStreams,
  hevcParameterSets,
  noFfmpeg,
  readHevcAccessUnits,
  tempFolder,
} from './encodes.ts';
import { fourCc, readFlv, readMetadata, readTags } from './flv-reader.ts';
import type { ReadTag } from './flv-reader.ts';
import { SRS, demuxAll, mustReadFixture, splitAt } from './support.ts';
import { skipWithoutFixture } from '../../support/fixtures.ts';
import { parseRtpPacket } from '../../../media-node/formats/rtp.ts';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (data: Uint8Array | undefined) =>
  Buffer.from(data ?? new Uint8Array(0)).toString('hex');
const temp = tempFolder();
after(temp.remove);

const CLIP = readClipFrames();
const FRAME_TICKS = 3600; // 25 fps at 90 kHz
const BASE = 90000;

// ---------------------------------------------------------------------------------------
// Inputs built in memory

/** libx265 parameter sets (Main 1280x720) and made-up slice units of the given types. */
const HEVC = {
  vps: bytes('40010c01ffff01600000030090000003000003005d928090'),
  sps: bytes(
    '42010101600000030090000003000003005da00280802d16592a4932bc05a02000000300200000030321',
  ),
  pps: bytes('4401c172b46240'),
};
const START = Uint8Array.of(0, 0, 0, 1);
const annexB = (nals: Uint8Array[]) => concatBytes(nals.flatMap((nal) => [START, nal]));
const slice = (type: number, fill = 0xab) => Uint8Array.of(type << 1, 1, fill, fill, fill);
const AUD = Uint8Array.of(H265_NAL.aud << 1, 1, 0x50);

function h264(index: number, dts: number, pts = dts): ElementaryFrame {
  const frame = CLIP[index];
  assert.ok(frame);
  return { kind: 'video', codec: 'h264', pts, dts, data: frame.data, keyframe: frame.keyframe };
}

function h265(keyframe: boolean, dts: number, pts = dts): ElementaryFrame {
  const nals = keyframe ? [AUD, HEVC.vps, HEVC.sps, HEVC.pps, slice(19)] : [AUD, slice(1)];
  return { kind: 'video', codec: 'h265', pts, dts, data: annexB(nals), keyframe };
}

function audio(codec: AudioCodec, pts: number, data: Uint8Array): ElementaryFrame {
  return { kind: 'audio', codec, pts, dts: pts, data, keyframe: true };
}

/** `count` ADTS frames (AAC-LC, mono) at the given frequency index, raw bytes `0x21 i`. */
function adtsFrames(count: number, index = 4): Uint8Array {
  const frames = Array.from({ length: count }, (_, i) => {
    const length = 9;
    const header = [
      0xff,
      0xf1,
      0x40 | (index << 2),
      0x40,
      length >> 3,
      ((length & 7) << 5) | 0x1f,
      0xfc,
    ];
    return Uint8Array.of(...header, 0x21, i);
  });
  return concatBytes(frames);
}

const push = (muxer: FlvMuxer, frames: ElementaryFrame[]) =>
  readTags(frames.flatMap((f) => muxer.push(f)));
const summary = (tags: ReadTag[]) =>
  tags.map((t) => [t.type, t.timestamp, hex(t.body.subarray(0, 2))]);

// ---------------------------------------------------------------------------------------
// H.265 (Enhanced RTMP)

test('FlvMuxer writes H.265 as Enhanced RTMP: SequenceStart with hvcC, then CodedFramesX', () => {
  const muxer = new FlvMuxer();

  const tags = push(muxer, [h265(false, 0), h265(true, 3600), h265(false, 7200)]);

  assert.deepEqual(
    tags.map((t) => [t.timestamp, hex(t.body.subarray(0, 1)), fourCc(t.body)]),
    [
      [0, '90', 'hvc1'], // ExHeader, FrameType 1, PacketType SequenceStart
      [0, '93', 'hvc1'], // keyframe, CodedFramesX
      [40, 'a3', 'hvc1'], // inter frame, CodedFramesX
    ],
  );
  const record = buildHevcDecoderConfigurationRecord(HEVC.vps, HEVC.sps, HEVC.pps);
  assert.equal(hex(tags[0]?.body.subarray(5)), hex(record));
  assert.equal(
    hex(tags[1]?.body.subarray(5)),
    '00000005' + hex(slice(19)),
    'no AUD, VPS, SPS, PPS',
  );
});

test('FlvMuxer writes H.265 frames with a composition time as CodedFrames, SI24 offset', () => {
  const muxer = new FlvMuxer();

  const tags = push(muxer, [h265(true, 0, 7200), h265(false, 3600, 3600 - 1800)]);

  assert.deepEqual(
    tags.slice(1).map((t) => hex(t.body.subarray(0, 8))),
    ['916876633100' + '0050', 'a168766331' + 'ffffec'],
  );
});

test('FlvMuxer reports H.265 size and the hvc1 FourCC in onMetaData and the header tags', () => {
  const muxer = new FlvMuxer();
  push(muxer, [h265(true, 0)]);

  const [metadata, sequence, ...rest] = readTags(muxer.headerTags());

  assert.deepEqual(readMetadata(metadata?.body ?? new Uint8Array(0)), {
    width: 1280,
    height: 720,
    videocodecid: FLV_HEVC_FOURCC,
  });
  assert.equal(hex(sequence?.body.subarray(0, 1)), '90');
  assert.deepEqual(rest, []);
  assert.deepEqual(muxer.videoSps?.codec, 'h265');
  assert.equal(hex(muxer.fileHeader()), hex(flvHeader({ video: true, audio: false })));
});

test('FlvMuxer starts over on a video codec change: new sequence header at next keyframe', () => {
  const muxer = new FlvMuxer();
  push(muxer, [h264(0, 0), h264(1, 3600)]);

  const tags = push(muxer, [h265(false, 7200), h265(true, 10800), h265(false, 14400)]);

  assert.deepEqual(
    tags.map((t) => [t.timestamp, hex(t.body.subarray(0, 1))]),
    [
      [120, '90'],
      [120, '93'],
      [160, 'a3'],
    ],
  );
  assert.equal(muxer.videoCodec, 'h265');
});

test('FlvMuxer counts an H.265 SPS it cannot parse and keeps the previous parameter sets', () => {
  const muxer = new FlvMuxer();
  push(muxer, [h265(true, 0)]);
  const broken = {
    ...h265(true, 3600),
    data: annexB([HEVC.vps, Uint8Array.of(0x42, 0x01, 0x01), HEVC.pps, slice(19)]),
  };

  const tags = push(muxer, [broken]);

  assert.deepEqual(summary(tags), [[9, 40, '9368']]);
  assert.deepEqual(muxer.stats, { rejectedParameterSets: 1, droppedAudioFrames: 0 });
});

// ---------------------------------------------------------------------------------------
// Audio

test('FlvMuxer writes AAC as SoundFormat 10: sequence header, then a tag per 1024 samples', () => {
  const muxer = new FlvMuxer();
  push(muxer, [h264(0, BASE)]);

  const tags = push(muxer, [
    audio('aac', BASE, adtsFrames(3)),
    audio('aac', BASE + 6269, adtsFrames(1)),
  ]);

  assert.deepEqual(summary(tags), [
    [8, 0, 'af00'],
    [8, 0, 'af01'],
    [8, 23, 'af01'],
    [8, 46, 'af01'],
    [8, 69, 'af01'],
  ]);
  assert.equal(hex(tags[0]?.body), 'af001208', 'AudioSpecificConfig: AAC-LC, 44.1 kHz, mono');
  assert.equal(hex(tags[2]?.body), 'af012101', 'the raw frame without its ADTS header');
});

test('FlvMuxer writes a new AAC sequence header when the configuration changes, not before', () => {
  const muxer = new FlvMuxer();
  push(muxer, [h264(0, 0)]);

  const tags = push(muxer, [
    audio('aac', 0, adtsFrames(1)),
    audio('aac', 1920, adtsFrames(1)),
    audio('aac', 3840, adtsFrames(1, 3)),
  ]);

  assert.deepEqual(
    tags.map((t) => hex(t.body.subarray(0, 2))),
    ['af00', 'af01', 'af01', 'af00', 'af01'],
  );
  assert.equal(hex(tags[3]?.body), 'af001188', '48 kHz');
  assert.equal(hex(muxer.audioSequenceHeaderTag()?.subarray(11, 15)), 'af001188');
});

test('FlvMuxer writes G.711 A/µ-law as SoundFormat 7/8, 8 kHz mono 16-bit, no seq. header', () => {
  const samples = new Uint8Array(320).fill(0xd5);
  for (const [codec, first] of [
    ['g711a', '72'],
    ['g711u', '82'],
  ] as const) {
    const muxer = new FlvMuxer();
    push(muxer, [h264(0, 0)]);

    const tags = push(muxer, [audio(codec, 0, samples), audio(codec, 3600, samples)]);

    assert.deepEqual(
      tags.map((t) => [t.timestamp, hex(t.body.subarray(0, 1)), t.body.length]),
      [
        [0, first, 321],
        [40, first, 321],
      ],
    );
    assert.equal(muxer.audioSequenceHeaderTag(), undefined);
    assert.deepEqual(readMetadata(readTags(muxer.headerTags())[0]?.body ?? new Uint8Array(0)), {
      width: 640,
      height: 360,
      videocodecid: 7,
      audiocodecid: codec === 'g711a' ? 7 : 8,
      audiosamplerate: 8000,
    });
  }
});

test('FlvMuxer holds audio until the first video keyframe, then writes held audio from it', () => {
  const muxer = new FlvMuxer();
  const samples = new Uint8Array(160);

  const before = push(muxer, [
    audio('g711a', BASE, samples),
    h264(1, BASE),
    audio('g711a', BASE + 3600, samples),
  ]);
  const tags = push(muxer, [
    h264(0, BASE + 3600),
    audio('g711a', BASE, samples),
    audio('g711a', BASE + 5400, samples),
  ]);

  assert.deepEqual(before, []);
  assert.deepEqual(summary(tags), [
    [9, 0, '1700'],
    [9, 0, '1701'],
    [8, 0, '7200'],
    [8, 0, '7200'],
    [8, 20, '7200'],
  ]);
});

test('FlvMuxer holds FLV_HELD_AUDIO_MAX_FRAMES audio PES awaiting video, drops the oldest', () => {
  const heldTimes = (count: number) => {
    const muxer = new FlvMuxer();
    const held = Array.from({ length: count }, (_, i) =>
      audio('g711u', BASE + i * 3600, new Uint8Array(8)),
    );
    const tags = push(muxer, [...held, h264(0, BASE)]);
    return tags.filter((t) => t.type === 8).map((t) => t.timestamp);
  };
  const times = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => (from + i) * 40);

  assert.deepEqual(heldTimes(FLV_HELD_AUDIO_MAX_FRAMES), times(0, FLV_HELD_AUDIO_MAX_FRAMES));
  assert.deepEqual(
    heldTimes(FLV_HELD_AUDIO_MAX_FRAMES + 1),
    times(1, FLV_HELD_AUDIO_MAX_FRAMES + 1),
  );
});

test('FlvMuxer puts audio and video on one time base, each track never going backwards', () => {
  const muxer = new FlvMuxer();
  const samples = new Uint8Array(160);

  const tags = push(muxer, [
    h264(0, BASE),
    audio('g711u', BASE + 90000, samples),
    h264(1, BASE + 3600),
    audio('g711u', BASE + 90000 - 900, samples),
    h264(2, BASE + 1800),
    audio('g711u', BASE + 91440, samples),
  ]);

  assert.deepEqual(
    tags.map((t) => [t.type, t.timestamp]),
    [
      [9, 0],
      [9, 0],
      [8, 1000],
      [9, 40],
      [8, 1000],
      [9, 40],
      [8, 1016],
    ],
  );
});

test('FlvMuxer keeps AAC times going across the 33-bit PTS wrap', () => {
  const muxer = new FlvMuxer();
  const wrap = 2 ** 33;

  const tags = push(muxer, [h264(0, wrap - 2000), audio('aac', wrap - 2000, adtsFrames(2))]);

  assert.deepEqual(
    tags.map((t) => [t.type, t.timestamp]),
    [
      [9, 0],
      [9, 0],
      [8, 0],
      [8, 0],
      [8, 23],
    ],
  );
});

test('FlvMuxer with waitForVideo false starts audio-only at its first audio frame', () => {
  const muxer = new FlvMuxer({ waitForVideo: false });

  const tags = push(muxer, [
    audio('aac', 5000, adtsFrames(1)),
    audio('aac', 5000 + 2090, adtsFrames(1)),
  ]);

  assert.deepEqual(summary(tags), [
    [8, 0, 'af00'],
    [8, 0, 'af01'],
    [8, 23, 'af01'],
  ]);
  assert.deepEqual(muxer.tracks, { video: false, audio: true });
  assert.equal(hex(muxer.fileHeader()), hex(flvHeader({ video: false, audio: true })));
  assert.deepEqual(readMetadata(readTags(muxer.headerTags())[0]?.body ?? new Uint8Array(0)), {
    audiocodecid: 10,
    audiosamplerate: 44100,
  });
});

test('FlvMuxer counts audio PES whose ADTS cannot be parsed and writes nothing for them', () => {
  const muxer = new FlvMuxer();
  push(muxer, [h264(0, 0)]);

  const tags = push(muxer, [
    audio('aac', 0, Uint8Array.of(1, 2, 3)),
    audio('aac', 0, adtsFrames(1, 15)),
  ]);

  assert.deepEqual(tags, []);
  assert.deepEqual(muxer.stats, { rejectedParameterSets: 0, droppedAudioFrames: 2 });
  assert.equal(muxer.audioCodec, undefined);
});

test(
  'FlvMuxer writes the Hikvision AAC PES of the SRS capture as a sequence header and one raw frame',
  { skip: skipWithoutFixture(`${SRS}/rtp-seq31916-audio-pes-c0.rtp`) },
  () => {
    const packet = parseRtpPacket(mustReadFixture(`${SRS}/rtp-seq31916-audio-pes-c0.rtp`));
    const muxer = new FlvMuxer({ waitForVideo: false });

    const tags = push(muxer, demuxAll([packet.payload]).frames);

    assert.deepEqual(
      tags.map((t) => [t.type, t.timestamp, hex(t.body.subarray(0, 2)), t.body.length]),
      [
        [8, 0, 'af00', 4],
        [8, 0, 'af01', 2 + 93],
      ],
    );
    assert.equal(hex(tags[0]?.body), 'af001208');
  },
);

// ---------------------------------------------------------------------------------------
// Late viewers and tag classification

test('FlvMuxer headerTags gives metadata, video and audio sequence headers to late viewers', () => {
  const muxer = new FlvMuxer();
  assert.deepEqual(muxer.headerTags(), []);
  const live = [h264(0, 0), audio('aac', 0, adtsFrames(1)), h264(1, 3600)].flatMap((f) =>
    muxer.push(f),
  );

  const header = muxer.headerTags();

  assert.deepEqual(
    readTags(header).map((t) => [t.type, t.timestamp, hex(t.body.subarray(0, 2))]),
    [
      [18, 0, '0200'],
      [9, 0, '1700'],
      [8, 0, 'af00'],
    ],
  );
  assert.deepEqual(readMetadata(readTags(header)[0]?.body ?? new Uint8Array(0)), {
    width: 640,
    height: 360,
    videocodecid: 7,
    audiocodecid: 10,
    audiosamplerate: 44100,
  });
  assert.deepEqual(live.map(isFlvSequenceHeader), [true, false, true, false, false]);
  assert.deepEqual(live.map(isFlvKeyframe), [false, true, false, false, false]);
  assert.equal(hex(muxer.fileHeader()), hex(flvHeader({ video: true, audio: true })));
});

test('isFlvSequenceHeader and isFlvKeyframe read Enhanced RTMP video tags', () => {
  const muxer = new FlvMuxer();

  const tags = [h265(true, 0), h265(false, 3600)].flatMap((f) => muxer.push(f));

  assert.deepEqual(tags.map(isFlvSequenceHeader), [true, false, false]);
  assert.deepEqual(tags.map(isFlvKeyframe), [false, true, false]);
});

test('FlvH264Muxer still ignores audio and refuses H.265', () => {
  const muxer = new FlvH264Muxer();

  assert.deepEqual(muxer.push(audio('aac', 0, adtsFrames(1))), []);
  assert.throws(
    () => muxer.push(h265(true, 0)),
    (e: unknown) => isArgusError(e, errorCodes.CODEC_UNSUPPORTED),
  );
});

// ---------------------------------------------------------------------------------------
// Through the GB/T 28181 program stream, checked by FFmpeg

interface AudioTrack {
  codec: AudioCodec;
  /** PES payloads with their PTS offsets from BASE. */
  pes: { data: Uint8Array; offset: number }[];
}

/** AAC: `perPes` ADTS frames per PES, each PES at the PTS of its first frame. */
function aacTrack(adts: Uint8Array, perPes: number): AudioTrack {
  const { config } = parseAdts(adts);
  const offsets: number[] = [];
  for (let at = 0; at < adts.length;) {
    offsets.push(at);
    at +=
      ((adts[at + 3] ?? 0) & 0x03) * 2048 + (adts[at + 4] ?? 0) * 8 + ((adts[at + 5] ?? 0) >> 5);
  }
  const pes = [];
  for (let i = 0; i < offsets.length; i += perPes) {
    const end = offsets[i + perPes] ?? adts.length;
    const offset = Math.round((i * 1024 * 90000) / config.sampleRate);
    pes.push({ data: adts.subarray(offsets[i], end), offset });
  }
  return { codec: 'aac', pes };
}

/** G.711: 40 ms (320 samples) per PES. */
function g711Track(codec: 'g711a' | 'g711u', samples: Uint8Array): AudioTrack {
  const pes = [];
  for (let at = 0; at < samples.length; at += 320) {
    pes.push({ data: samples.subarray(at, at + 320), offset: (at / 8000) * 90000 });
  }
  return { codec, pes };
}

/** Video and audio as one GB/T 28181 program stream, packs in PTS order (video first on ties). */
function programStream(
  video: { data: Uint8Array; keyframe: boolean }[],
  codec: VideoCodec,
  track: AudioTrack,
): Uint8Array {
  const packs = video.map((frame, i) => ({
    pts: BASE + i * FRAME_TICKS,
    bytes: muxPsVideoFrame(frame.data, {
      pts: BASE + i * FRAME_TICKS,
      keyframe: frame.keyframe,
      codec,
      audio: track.codec,
    }),
  }));
  for (const { data, offset } of track.pes) {
    packs.push({ pts: BASE + offset, bytes: muxPsAudioFrame(data, { pts: BASE + offset }) });
  }
  packs.sort((a, b) => a.pts - b.pts);
  return concatBytes(packs.map((pack) => pack.bytes));
}

/** Demuxes the stream cut into RTP-sized pieces and muxes the frames into one FLV file. */
function remux(ps: Uint8Array): { flv: Uint8Array; muxer: FlvMuxer; frames: ElementaryFrame[] } {
  const cuts = Array.from({ length: Math.floor(ps.length / 1400) }, (_, i) => (i + 1) * 1400);
  const { frames, demuxer } = demuxAll(splitAt(ps, cuts));
  assert.equal(demuxer.stats.droppedFrames, 0);
  const muxer = new FlvMuxer();
  const tags = frames.flatMap((frame) => muxer.push(frame));
  const flv = concatBytes([muxer.fileHeader(), muxer.metadataTag() ?? new Uint8Array(0), ...tags]);
  return { flv, muxer, frames };
}

function assertMonotonic(tags: ReadTag[]): void {
  for (const type of [8, 9]) {
    const times = tags.filter((t) => t.type === type).map((t) => t.timestamp);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      `type ${type} times never go back`,
    );
  }
}

const AUDIO_CASES = [
  { codec: 'aac', probed: 'aac', rate: 44100 },
  { codec: 'g711a', probed: 'pcm_alaw', rate: 8000 },
  { codec: 'g711u', probed: 'pcm_mulaw', rate: 8000 },
] as const;

for (const { codec, probed, rate } of AUDIO_CASES) {
  test(
    `H.264 + ${codec} → PS → PsDemuxer → FlvMuxer: ffprobe reads both streams, every frame`,
    { skip: noFfmpeg },
    () => {
      const encoded = encodeAudio(temp.path(`tone.${codec}`), codec, { seconds: 4 });
      const track = codec === 'aac' ? aacTrack(encoded, 3) : g711Track(codec, encoded);
      const audioFrames = codec === 'aac' ? parseAdts(encoded).frames.length : track.pes.length;
      const { flv, muxer } = remux(programStream(CLIP, 'h264', track));
      const path = temp.path(`h264-${codec}.flv`);
      writeFileSync(path, flv);

      const streams = ffprobeStreams(
        path,
        'codec_type,codec_name,width,height,sample_rate,channels,nb_read_frames',
        ['-count_frames'],
      );

      const video = streams.find((s) => s.codec_type === 'video');
      const sound = streams.find((s) => s.codec_type === 'audio');
      assert.deepEqual(
        [video?.codec_name, video?.width, video?.height, video?.nb_read_frames],
        ['h264', 640, 360, '100'],
      );
      assert.deepEqual(
        [sound?.codec_name, sound?.sample_rate, sound?.channels, sound?.nb_read_frames],
        [probed, String(rate), 1, String(audioFrames)],
      );
      assertMonotonic(readFlv(flv).tags);
      assert.deepEqual(muxer.stats, { rejectedParameterSets: 0, droppedAudioFrames: 0 });
    },
  );
}

test(
  'H.265 + AAC → PS → PsDemuxer → FlvMuxer carries hvcC and every access unit (own reader)',
  { skip: noFfmpeg },
  () => {
    const units = readHevcAccessUnits(
      encodeHevc(temp.path('flv.hevc'), {
        size: '640x360',
        frames: 50,
        x265: 'bframes=0:keyint=25',
      }),
    );
    const encoded = encodeAudio(temp.path('flv-tone.aac'), 'aac', { seconds: 2 });
    const first = units[0];
    assert.ok(first);

    const { flv, frames } = remux(programStream(units, 'h265', aacTrack(encoded, 2)));

    const file = readFlv(flv);
    const video = file.tags.filter((t) => t.type === 9);
    const sound = file.tags.filter((t) => t.type === 8);
    assert.deepEqual([file.video, file.audio], [true, true]);
    assert.equal(frames.filter((f) => f.kind === 'video' && f.codec === 'h265').length, 50);
    const record = buildHevcDecoderConfigurationRecord(...hevcParameterSets(first));
    assert.deepEqual(
      [hex(video[0]?.body.subarray(0, 5)), hex(video[0]?.body.subarray(5))],
      ['90' + FLV_HEVC_FOURCC.toString(16), hex(record)],
    );
    const coded = video.slice(1);
    assert.equal(coded.length, 50);
    assert.deepEqual(
      coded.flatMap((t, i) => (hex(t.body.subarray(0, 1)) === '93' ? [i] : [])),
      [0, 25],
    );
    assert.ok(coded.every((t) => ['93', 'a3'].includes(hex(t.body.subarray(0, 1)))));
    assert.deepEqual(
      coded.slice(0, 3).map((t) => t.timestamp),
      [0, 40, 80],
    );
    assert.equal(
      sound.filter((t) => hex(t.body.subarray(0, 2)) === 'af01').length,
      parseAdts(encoded).frames.length,
    );
    assertMonotonic(file.tags);
    assert.deepEqual(readMetadata(file.tags[0]?.body ?? new Uint8Array(0)), {
      width: 640,
      height: 360,
      videocodecid: FLV_HEVC_FOURCC,
      audiocodecid: 10,
      audiosamplerate: 44100,
    });

    // Back to Annex B from the FLV: FFmpeg decodes every picture.
    const path = temp.path('from-flv.hevc');
    writeFileSync(path, hevcAnnexBFromFlv(video));
    const [probed] = ffprobeStreams(path, 'codec_name,width,height,nb_read_frames', [
      '-count_frames',
    ]);
    assert.deepEqual(
      [probed?.codec_name, probed?.width, probed?.height, probed?.nb_read_frames],
      ['hevc', 640, 360, '50'],
    );
  },
);

const IN_RECORD_OR_AUD: ReadonlySet<number> = new Set([
  H265_NAL.vps,
  H265_NAL.sps,
  H265_NAL.pps,
  H265_NAL.aud,
]);

/** The parameter sets of the SequenceStart record, then each frame's length-prefixed units. */
function hevcAnnexBFromFlv(video: ReadTag[]): Uint8Array {
  const [sequence, ...coded] = video;
  assert.ok(sequence);
  const record = sequence.body.subarray(5);
  const parts: Uint8Array[] = [];
  let at = 23;
  for (let array = 0; array < (record[22] ?? 0); array++) {
    const view = new DataView(record.buffer, record.byteOffset + at);
    const length = view.getUint16(3);
    parts.push(START, record.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  for (const tag of coded) {
    // CodedFrames (PacketType 1) carry a 3-byte CompositionTime after the FourCC.
    const data = tag.body.subarray(((tag.body[0] ?? 0) & 0x0f) === 1 ? 8 : 5);
    for (let i = 0; i < data.length;) {
      const length = new DataView(data.buffer, data.byteOffset + i).getUint32(0);
      const nal = data.subarray(i + 4, i + 4 + length);
      assert.ok(!IN_RECORD_OR_AUD.has(h265NalType(nal)), 'no parameter sets or AUD in frames');
      parts.push(START, nal);
      i += 4 + length;
    }
  }
  return concatBytes(parts);
}

// ---------------------------------------------------------------------------------------
// Fuzz

test('FlvMuxer push only throws ArgusError on arbitrary frames; times never go back (fuzz)', () => {
  const video = fc
    .tuple(
      fc.constantFrom<VideoCodec>('h264', 'h265'),
      fc.array(
        fc.oneof(
          fc.constantFrom(HEVC.vps, HEVC.sps, HEVC.pps, slice(19), slice(1), AUD),
          fc.uint8Array({ maxLength: 24 }),
          fc
            .uint8Array({ maxLength: 24 })
            .map((b) => concatBytes([Uint8Array.of(0x67, 0x64, 0x00), b])),
        ),
        { maxLength: 5 },
      ),
      fc.boolean(),
    )
    .map(([codec, nals, keyframe]) => ({
      kind: 'video' as const,
      codec,
      data: annexB(nals),
      keyframe,
    }));
  const sound = fc
    .tuple(
      fc.constantFrom<AudioCodec>('aac', 'g711a', 'g711u'),
      fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 1, max: 3 }).map((n) => adtsFrames(n)),
      ),
    )
    .map(([codec, data]) => ({ kind: 'audio' as const, codec, data, keyframe: true }));
  const frame = fc
    .tuple(
      fc.oneof(video, sound),
      fc.integer({ min: 0, max: 2 ** 33 - 1 }),
      fc.integer({ min: -3600, max: 3600 }),
    )
    .map(([f, pts, skew]): ElementaryFrame => ({
      ...f,
      pts,
      dts: Math.max(0, pts - Math.abs(skew)),
    }));

  fc.assert(
    fc.property(fc.array(frame, { maxLength: 12 }), fc.boolean(), (frames, waitForVideo) => {
      const muxer = new FlvMuxer({ waitForVideo });
      const tags: Uint8Array[] = [];
      for (const f of frames) {
        try {
          tags.push(...muxer.push(f));
        } catch (error) {
          assert.ok(isArgusError(error), String(error));
        }
      }
      assertMonotonic(readTags(tags));
      readTags(muxer.headerTags());
    }),
    { numRuns: fuzzRuns(2000) },
  );
});
