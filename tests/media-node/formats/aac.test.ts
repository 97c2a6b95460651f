import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  AAC_SAMPLES_PER_FRAME,
  aacCodecString,
  audioSpecificConfig,
  parseAdts,
} from '../../../media-node/formats/aac.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { parseRtpPacket } from '../../../media-node/formats/rtp.ts';
import { skipWithoutFixture } from '../../support/fixtures.ts';
import { encodeAudio, ffprobeStreams, noFfmpeg, tempFolder } from './encodes.ts';
import { SRS, demuxAll, mustReadFixture } from './support.ts';

const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');
const isMalformed = (error: unknown) => isArgusError(error, errorCodes.CODEC_MALFORMED);
const temp = tempFolder();
after(temp.remove);

const LC_44100_MONO = {
  objectType: 2,
  samplingFrequencyIndex: 4,
  sampleRate: 44100,
  channelConfiguration: 1,
};

/**
 * An ADTS frame (ISO/IEC 13818-7 §6.2) around `raw`: MPEG-4 ID, layer 0, the given profile
 * (object type - 1), frequency index and channels, buffer fullness 0x7FF, with a CRC field
 * where `crc` is set (its value is not checked by the parser).
 */
function adts(
  raw: Uint8Array,
  opts: {
    objectType?: number;
    index?: number;
    channels?: number;
    crc?: boolean;
    blocks?: number;
  } = {},
): Uint8Array {
  const headerLength = opts.crc === true ? 9 : 7;
  const length = headerLength + raw.length;
  const profile = (opts.objectType ?? 2) - 1;
  const index = opts.index ?? 4;
  const channels = opts.channels ?? 1;
  const header = [
    0xff,
    opts.crc === true ? 0xf0 : 0xf1,
    (profile << 6) | (index << 2) | (channels >> 2),
    ((channels & 0x03) << 6) | (length >> 11),
    (length >> 3) & 0xff,
    ((length & 0x07) << 5) | 0x1f,
    0xfc | ((opts.blocks ?? 1) - 1),
    ...(opts.crc === true ? [0x12, 0x34] : []),
  ];
  return concatBytes([Uint8Array.from(header), raw]);
}

const raw = (length: number, fill: number) => new Uint8Array(length).fill(fill);

test('parseAdts splits several frames of one PES and strips their headers', () => {
  const data = concatBytes([adts(raw(20, 1)), adts(raw(30, 2)), adts(raw(5, 3))]);

  const parsed = parseAdts(data);

  assert.deepEqual(parsed.config, LC_44100_MONO);
  assert.deepEqual(parsed.frames.map(hex), [hex(raw(20, 1)), hex(raw(30, 2)), hex(raw(5, 3))]);
  assert.equal(parsed.skippedBytes, 0);
});

test('parseAdts reads headers with a CRC (protection_absent 0) as 9 bytes', () => {
  const data = concatBytes([adts(raw(20, 1), { crc: true }), adts(raw(10, 2))]);

  const parsed = parseAdts(data);

  assert.deepEqual(parsed.frames.map(hex), [hex(raw(20, 1)), hex(raw(10, 2))]);
});

test('parseAdts skips garbage before, between and after frames, and a truncated last frame', () => {
  const garbage = Uint8Array.of(0x00, 0xff, 0x12, 0xff, 0xf1);
  const truncated = adts(raw(40, 9)).subarray(0, 20);
  const data = concatBytes([garbage, adts(raw(8, 1)), garbage, adts(raw(8, 2)), truncated]);

  const parsed = parseAdts(data);

  assert.deepEqual(parsed.frames.map(hex), [hex(raw(8, 1)), hex(raw(8, 2))]);
  assert.equal(parsed.skippedBytes, 2 * garbage.length + truncated.length);
});

test('parseAdts reads the MPEG-2 ID, object type, frequency index and channels of frame 1', () => {
  const mpeg2 = adts(raw(4, 0), { objectType: 1, index: 3, channels: 2 });
  mpeg2[1] = 0xf9; // ID 1 (MPEG-2)

  assert.deepEqual(parseAdts(mpeg2).config, {
    objectType: 1,
    samplingFrequencyIndex: 3,
    sampleRate: 48000,
    channelConfiguration: 2,
  });
});

test('parseAdts leaves out frames of another configuration or with several raw_data_blocks', () => {
  const other = adts(raw(6, 2), { index: 3 });
  const twoBlocks = adts(raw(6, 3), { blocks: 2 });
  const data = concatBytes([adts(raw(6, 1)), other, twoBlocks, adts(raw(6, 4))]);

  const parsed = parseAdts(data);

  assert.deepEqual(parsed.frames.map(hex), [hex(raw(6, 1)), hex(raw(6, 4))]);
  assert.equal(parsed.skippedBytes, other.length + twoBlocks.length);
});

test('parseAdts rejects bytes without a complete frame, and channel_configuration 0 alone', () => {
  assert.throws(() => parseAdts(new Uint8Array(0)), isMalformed);
  assert.throws(() => parseAdts(Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f)), isMalformed);
  assert.throws(() => parseAdts(adts(raw(10, 1)).subarray(0, 12)), isMalformed);
  assert.throws(
    () => parseAdts(adts(raw(10, 1), { channels: 0 })),
    (e: unknown) => isArgusError(e, errorCodes.CODEC_UNSUPPORTED),
  );
});

test('parseAdts rejects a reserved frequency index and a frame_length below its header', () => {
  const reserved = adts(raw(10, 1), { index: 13 });
  const short = adts(raw(10, 1));
  short[4] = 0x00;
  short[5] = 0xdf; // frame_length 6

  assert.throws(() => parseAdts(reserved), isMalformed);
  assert.throws(() => parseAdts(short), isMalformed);
});

test(
  'parseAdts reads the Hikvision AAC PES of the SRS capture: one AAC-LC 44.1 kHz mono frame',
  { skip: skipWithoutFixture(`${SRS}/rtp-seq31916-audio-pes-c0.rtp`) },
  () => {
    const packet = parseRtpPacket(mustReadFixture(`${SRS}/rtp-seq31916-audio-pes-c0.rtp`));
    const [audio] = demuxAll([packet.payload]).frames;
    assert.ok(audio);

    const parsed = parseAdts(audio.data);

    assert.deepEqual(parsed.config, LC_44100_MONO);
    assert.deepEqual(
      parsed.frames.map((frame) => frame.length),
      [93],
    );
    assert.equal(parsed.skippedBytes, 0);
  },
);

for (const { sampleRate, channels } of [
  { sampleRate: 44100, channels: 1 },
  { sampleRate: 48000, channels: 2 },
]) {
  test(
    `parseAdts reads every frame of FFmpeg's AAC at ${sampleRate} Hz, ${channels} channel(s)`,
    { skip: noFfmpeg },
    () => {
      const path = temp.path(`tone-${sampleRate}.aac`);
      const data = encodeAudio(path, 'aac', { seconds: 2, sampleRate, channels });
      const [probed] = ffprobeStreams(path, 'sample_rate,channels,nb_read_frames', [
        '-count_frames',
      ]);
      assert.ok(probed);

      const parsed = parseAdts(data);

      assert.equal(parsed.frames.length, Number(probed.nb_read_frames));
      assert.deepEqual(
        [parsed.config.objectType, parsed.config.sampleRate, parsed.config.channelConfiguration],
        [2, Number(probed.sample_rate), probed.channels],
      );
      assert.equal(parsed.skippedBytes, 0);
      const rawBytes = parsed.frames.reduce((sum, frame) => sum + frame.length, 0);
      assert.equal(rawBytes, data.length - 7 * parsed.frames.length);
    },
  );
}

test('audioSpecificConfig writes object type, frequency index and channels in 2 bytes', () => {
  assert.equal(hex(audioSpecificConfig(LC_44100_MONO)), '1208');
  assert.equal(
    hex(
      audioSpecificConfig({
        objectType: 2,
        samplingFrequencyIndex: 3,
        sampleRate: 48000,
        channelConfiguration: 2,
      }),
    ),
    '1190',
  );
  assert.equal(
    hex(
      audioSpecificConfig({
        objectType: 2,
        samplingFrequencyIndex: 11,
        sampleRate: 8000,
        channelConfiguration: 1,
      }),
    ),
    '1588',
  );
});

test('audioSpecificConfig rejects object types needing the escape code, uncoded rates', () => {
  const isUnsupported = (e: unknown) => isArgusError(e, errorCodes.CODEC_UNSUPPORTED);

  assert.throws(() => audioSpecificConfig({ ...LC_44100_MONO, objectType: 31 }), isUnsupported);
  assert.throws(
    () => audioSpecificConfig({ ...LC_44100_MONO, samplingFrequencyIndex: 15 }),
    isUnsupported,
  );
});

test('aacCodecString is mp4a.40 and the object type; an AAC frame holds 1024 samples', () => {
  assert.equal(aacCodecString(LC_44100_MONO), 'mp4a.40.2');
  assert.equal(aacCodecString({ ...LC_44100_MONO, objectType: 1 }), 'mp4a.40.1');
  assert.equal(AAC_SAMPLES_PER_FRAME, 1024);
});

test('parseAdts only throws ArgusError on any bytes; frames lie inside the input (fuzz)', () => {
  const frame = fc
    .tuple(fc.uint8Array({ maxLength: 30 }), fc.boolean(), fc.integer({ min: 0, max: 15 }))
    .map(([body, crc, index]) => adts(body, { crc, index }));
  const input = fc.array(fc.oneof(frame, fc.uint8Array({ maxLength: 20 })), { maxLength: 8 });

  fc.assert(
    fc.property(input, (parts) => {
      const data = concatBytes(parts);
      try {
        const parsed = parseAdts(data);
        const rawBytes = parsed.frames.reduce((sum, f) => sum + f.length, 0);
        assert.ok(rawBytes + parsed.skippedBytes <= data.length);
        for (const f of parsed.frames) assert.equal(f.buffer, data.buffer);
      } catch (error) {
        assert.ok(isArgusError(error), String(error));
      }
    }),
    { numRuns: fuzzRuns(3000) },
  );
});
