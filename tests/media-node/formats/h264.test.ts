import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  avcCodecString,
  buildAvcDecoderConfigurationRecord,
  nalType,
  parseSps,
  splitAnnexB,
  startsPicture,
  toAvcc,
} from '../../../media-node/formats/h264.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { skipWithoutFixture } from '../../support/fixtures.ts';
import { HIK, SRS, mustReadFixture } from './support.ts';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const isMalformed = (error: unknown) => isArgusError(error, errorCodes.CODEC_MALFORMED);

test('splitAnnexB splits on 3- and 4-byte start codes, drops leading bytes, trailing zeros', () => {
  const au = bytes('ffee' + '00000001' + '6742' + '000001' + '68ce0000' + '00000001' + '6588');

  assert.deepEqual(
    splitAnnexB(au).map((nal) => Buffer.from(nal).toString('hex')),
    ['6742', '68ce', '6588'],
  );
});

test('splitAnnexB returns nothing for bytes without a start code', () => {
  assert.deepEqual(splitAnnexB(bytes('6742000000')), []);
  assert.deepEqual(splitAnnexB(new Uint8Array(0)), []);
});

test('nalType reads nal_unit_type and rejects an empty unit', () => {
  assert.equal(nalType(bytes('67')), 7);
  assert.equal(nalType(bytes('41')), 1);
  assert.throws(() => nalType(new Uint8Array(0)), isMalformed);
});

test('startsPicture is true for a slice with first_mb_in_slice 0 only', () => {
  assert.equal(startsPicture(bytes('6588')), true);
  assert.equal(startsPicture(bytes('4140')), false, 'first_mb_in_slice 1');
  assert.equal(startsPicture(bytes('6742')), false, 'SPS');
});

/** SPS units and what FFmpeg (ffprobe, trace_headers) reports for them. */
const SPS_CASES: { name: string; sps: string; expected: Record<string, number> }[] = [
  {
    name: 'x264 constrained baseline 320x240',
    sps: '6742c00dd90141fb011000000300100000030320f142a480',
    expected: { profileIdc: 66, levelIdc: 13, width: 320, height: 240 },
  },
  {
    name: 'x264 high 4:2:2 1280x720',
    sps: '677a001fbcd9405005bb011000000300100000030320f1831960',
    expected: { profileIdc: 122, width: 1280, height: 720, chromaFormatIdc: 2 },
  },
  {
    name: 'x264 high 4:4:4 642x362, cropped with 1-pixel crop units',
    sps: '67f4001e919b281485fc7cf808800000030080000019078b16cb',
    expected: { profileIdc: 244, width: 642, height: 362, chromaFormatIdc: 3 },
  },
  {
    name: 'x264 high interlaced 720x576 (frame_mbs_only_flag 0)',
    sps: '6764001eacd940b424d8088000000300800000190f8a14cb',
    expected: { profileIdc: 100, width: 720, height: 576 },
  },
  {
    name: 'x264 high 10 1920x1080',
    sps: '676e0028a6cd940780227e5c0440000003004000000c83c60c6580',
    expected: {
      profileIdc: 110,
      width: 1920,
      height: 1080,
      bitDepthLumaMinus8: 2,
      bitDepthChromaMinus8: 2,
    },
  },
  {
    // Hand-built, checked with FFmpeg's trace_headers: scaling lists (one explicit, one
    // "use default"), pic_order_cnt_type 1 with a cycle of 2, MBAFF, bottom crop of 8 lines.
    name: 'high with scaling lists, POC type 1, field coding and cropping',
    sps: '67640028ad912492492492408454391a6501e0113f68',
    expected: { profileIdc: 100, levelIdc: 40, width: 1920, height: 1080 },
  },
];

for (const { name, sps, expected } of SPS_CASES) {
  test(`parseSps reads ${name}`, () => {
    const parsed = parseSps(bytes(sps));

    for (const [field, value] of Object.entries(expected)) {
      assert.equal(parsed[field as keyof typeof parsed], value, field);
    }
  });
}

test('parseSps reads the clip SPS (main, 640x360 cropped from 368, emulation prevention)', () => {
  const [first] = readClipFrames();
  const sps = splitAnnexB(first?.data ?? new Uint8Array(0))[0] ?? new Uint8Array(0);

  assert.ok(Buffer.from(sps).includes(Buffer.from('000003', 'hex')));
  assert.deepEqual(parseSps(sps), {
    profileIdc: 77,
    constraintFlags: 0x40,
    levelIdc: 30,
    width: 640,
    height: 360,
    chromaFormatIdc: 1,
    bitDepthLumaMinus8: 0,
    bitDepthChromaMinus8: 0,
  });
});

/**
 * The SPS NAL unit inside a PS capture: the bytes after `00 00 01 67` up to the next start code.
 */
function spsInCapture(capture: Uint8Array): Uint8Array {
  const sps = splitAnnexB(capture).find((nal) => nal[0] === 0x67);
  assert.ok(sps, 'the capture holds an SPS');
  return sps;
}

test(
  'parseSps reads the Hikvision 1080p SPS of the lal capture',
  { skip: skipWithoutFixture(`${HIK}/hik-seq291-idr-start.ps`) },
  () => {
    const sps = parseSps(spsInCapture(mustReadFixture(`${HIK}/hik-seq291-idr-start.ps`)));

    assert.deepEqual([sps.profileIdc, sps.levelIdc, sps.width, sps.height], [77, 42, 1920, 1080]);
  },
);

test(
  'parseSps reads the Hikvision 2560x1440 SPS of the SRS capture',
  { skip: skipWithoutFixture(`${SRS}/hik-seq31813-head260.bin`) },
  () => {
    const sps = parseSps(spsInCapture(mustReadFixture(`${SRS}/hik-seq31813-head260.bin`)));

    assert.deepEqual([sps.profileIdc, sps.levelIdc, sps.width, sps.height], [77, 50, 2560, 1440]);
  },
);

test('parseSps rejects a unit that is not an SPS and a truncated SPS', () => {
  const clipSps = bytes('674d401ed900a02ff97011000003000100000300320f162e48');

  assert.throws(
    () => parseSps(bytes('68ebccb2')),
    (e: unknown) => isMalformed(e) && /not an SPS/.test((e as Error).message),
  );
  assert.throws(
    () => parseSps(clipSps.subarray(0, 6)),
    (e: unknown) => isMalformed(e) && /read past the end/.test((e as Error).message),
  );
});

/** A baseline SPS of the given size in macroblocks, written bit by bit (§7.3.2.1.1). */
function baselineSps(widthInMbs: number, heightInMbs: number): Uint8Array {
  const bits: number[] = [];
  const u = (count: number, value: number) => {
    for (let i = count - 1; i >= 0; i--) bits.push(Math.floor(value / 2 ** i) % 2);
  };
  const ue = (value: number) => {
    const length = Math.floor(Math.log2(value + 1));
    u(length, 0);
    u(length + 1, value + 1);
  };
  // profile 66, constraint flags, level 30, sps id, log2_max_frame_num, POC type 2, one
  // reference, no gaps; size; frame_mbs_only, direct_8x8, no cropping, no VUI; stop bit.
  for (const [count, value] of [
    [8, 66],
    [8, 0],
    [8, 30],
  ])
    u(count ?? 0, value ?? 0);
  for (const value of [0, 0, 2, 1]) ue(value);
  u(1, 0);
  ue(widthInMbs - 1);
  ue(heightInMbs - 1);
  for (const bit of [1, 1, 0, 0, 1]) u(1, bit);
  while (bits.length % 8 !== 0) bits.push(0);
  const rbsp = Array.from({ length: bits.length / 8 }, (_, i) =>
    parseInt(bits.slice(i * 8, i * 8 + 8).join(''), 2),
  );
  return Uint8Array.of(0x67, ...rbsp);
}

test('parseSps accepts 1024 macroblocks per side and rejects 1025', () => {
  assert.deepEqual(
    [parseSps(baselineSps(1024, 1024)).width, parseSps(baselineSps(1024, 1024)).height],
    [16384, 16384],
  );
  assert.throws(
    () => parseSps(baselineSps(1025, 1)),
    (e: unknown) => isMalformed(e) && /above 1024 macroblocks/.test((e as Error).message),
  );
  assert.throws(() => parseSps(baselineSps(1, 1025)), isMalformed);
});

test('parseSps on arbitrary bytes returns a size or throws CODEC_MALFORMED (fuzz)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
      try {
        const sps = parseSps(Uint8Array.of(0x67, ...tail));
        assert.ok(sps.width > 0 && sps.height > 0);
      } catch (error) {
        assert.ok(isMalformed(error), String(error));
      }
    }),
    { numRuns: fuzzRuns(3000) },
  );
});

test('buildAvcDecoderConfigurationRecord writes header, 4-byte lengths, one SPS, one PPS', () => {
  const sps = bytes('674d401ed900a02ff97011000003000100000300320f162e48');
  const pps = bytes('68ebccb2');

  const record = buildAvcDecoderConfigurationRecord(sps, pps);

  const expected =
    '014d401eff' + 'e10019' + Buffer.from(sps).toString('hex') + '010004' + '68ebccb2';
  assert.equal(Buffer.from(record).toString('hex'), expected);
});

test('buildAvcDecoderConfigurationRecord adds chroma format and bit depths when high', () => {
  const sps = bytes('676e0028a6cd940780227e5c0440000003004000000c83c60c6580');

  const record = buildAvcDecoderConfigurationRecord(sps, bytes('68ebccb2'));

  assert.equal(Buffer.from(record.subarray(-4)).toString('hex'), 'fdfafa00');
  assert.equal(record.length, 11 + sps.length + 4 + 4);
});

test('buildAvcDecoderConfigurationRecord rejects an empty PPS', () => {
  assert.throws(
    () =>
      buildAvcDecoderConfigurationRecord(
        bytes('6742c00dd90141fb011000000300100000030320f142a480'),
        new Uint8Array(0),
      ),
    isMalformed,
  );
});

test('toAvcc prefixes each unit with its length in 4 bytes', () => {
  assert.equal(
    Buffer.from(toAvcc([bytes('6742'), bytes('65888899')])).toString('hex'),
    '000000026742' + '0000000465888899',
  );
  assert.equal(toAvcc([]).length, 0);
});

test('avcCodecString writes profile_idc, constraint flags and level_idc in hex (RFC 6381)', () => {
  const [first] = readClipFrames();
  const sps = splitAnnexB(first?.data ?? new Uint8Array(0))[0] ?? new Uint8Array(0);

  assert.equal(avcCodecString(sps), 'avc1.4d401e');
  assert.equal(
    avcCodecString(bytes('6764001eacd940b424d8088000000300800000190f8a14cb')),
    'avc1.64001e',
  );
  assert.equal(
    avcCodecString({ profileIdc: 100, constraintFlags: 0, levelIdc: 31, width: 1280, height: 720 }),
    'avc1.64001f',
  );
  assert.throws(() => avcCodecString(bytes('6742')), isMalformed);
});
