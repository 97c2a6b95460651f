import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  buildHevcDecoderConfigurationRecord,
  h265NalType,
  hevcCodecString,
  isHevcKeyframe,
  parseHevcSps,
} from '../../../media-node/formats/h265.ts';
import type { HevcSps } from '../../../media-node/formats/h265.ts';
import {
  encodeHevc,
  ffmpeg,
  ffprobeStreams,
  hevcParameterSets,
  noFfmpeg,
  readHevcAccessUnits,
  tempFolder,
} from './encodes.ts';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');
const isMalformed = (error: unknown) => isArgusError(error, errorCodes.CODEC_MALFORMED);
const temp = tempFolder();
after(temp.remove);

/** Parameter sets written by libx265 3.5 (Debian 12), hex without start codes. */
const X265 = {
  main720: {
    vps: '40010c01ffff01600000030090000003000003005d928090',
    sps: '42010101600000030090000003000003005da00280802d16592a4932bc05a02000000300200000030321',
    pps: '4401c172b46240',
  },
  // Coded as 1920x1088 with an 8-line conformance window; two temporal sub-layers.
  main10Sublayers1080: {
    sps:
      '4201020220000003009000000300000300780000a003c08010e4d965662b349265780b404000000300' +
      '4000000642',
  },
  rext444: {
    sps: '4201010408000003009e0800000300003c9001610090b2c9524995e02d010000030001000003001908',
  },
};

test('h265NalType reads nal_unit_type from the 2-byte header and rejects a shorter unit', () => {
  assert.equal(h265NalType(bytes('4001')), 32);
  assert.equal(h265NalType(bytes('2601')), 19);
  assert.equal(h265NalType(bytes('0201')), 1);
  assert.throws(() => h265NalType(bytes('40')), isMalformed);
  assert.throws(() => h265NalType(new Uint8Array(0)), isMalformed);
});

test('isHevcKeyframe is true for IRAP units (BLA, IDR, CRA: types 16..21) only', () => {
  const unit = (type: number) => Uint8Array.of(type << 1, 1, 0xaf);

  for (const type of [16, 17, 18, 19, 20, 21]) assert.equal(isHevcKeyframe([unit(type)]), true);
  for (const type of [0, 1, 9, 15, 22, 32, 33, 34, 35, 39]) {
    assert.equal(isHevcKeyframe([unit(type)]), false, `type ${type}`);
  }
  assert.equal(isHevcKeyframe([unit(35), unit(32), unit(19)]), true);
  assert.equal(isHevcKeyframe([Uint8Array.of(0x26)]), false, 'a 1-byte unit is not read');
});

test('parseHevcSps reads profile_tier_level, chroma, size and bit depth (x265 Main 720p)', () => {
  const sps = parseHevcSps(bytes(X265.main720.sps));

  assert.deepEqual(
    { ...sps, generalConstraintIndicatorFlags: hex(sps.generalConstraintIndicatorFlags) },
    {
      generalProfileSpace: 0,
      generalTierFlag: 0,
      generalProfileIdc: 1,
      generalProfileCompatibilityFlags: 0x60000000,
      generalConstraintIndicatorFlags: '900000000000',
      generalLevelIdc: 93,
      chromaFormatIdc: 1,
      width: 1280,
      height: 720,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      maxSubLayers: 1,
      temporalIdNesting: true,
    },
  );
});

test('parseHevcSps skips sub-layer flags and crops the window (Main 10 1920x1088 → 1080)', () => {
  const sps = parseHevcSps(bytes(X265.main10Sublayers1080.sps));

  assert.deepEqual(
    [sps.generalProfileIdc, sps.generalLevelIdc, sps.maxSubLayers, sps.temporalIdNesting],
    [2, 120, 2, false],
  );
  assert.deepEqual(
    [sps.width, sps.height, sps.bitDepthLuma, sps.bitDepthChroma],
    [1920, 1080, 10, 10],
  );
});

test('parseHevcSps reads a 4:4:4 range-extensions SPS', () => {
  const sps = parseHevcSps(bytes(X265.rext444.sps));

  assert.deepEqual(
    [sps.generalProfileIdc, sps.chromaFormatIdc, sps.width, sps.height, sps.generalLevelIdc],
    [4, 3, 352, 288, 60],
  );
});

test('parseHevcSps rejects another unit type, a short unit and a truncated SPS', () => {
  const sps = bytes(X265.main720.sps);

  assert.throws(() => parseHevcSps(bytes(X265.main720.pps)), isMalformed);
  assert.throws(() => parseHevcSps(bytes('4201')), isMalformed);
  // Cut inside profile_tier_level, and inside the picture size.
  assert.throws(() => parseHevcSps(sps.subarray(0, 10)), isMalformed);
  assert.throws(() => parseHevcSps(sps.subarray(0, 18)), isMalformed);
});

test('parseHevcSps rejects sps_max_sub_layers_minus1 7 and a picture size of zero', () => {
  const sps = bytes(X265.main720.sps);
  const sevenSubLayers = Uint8Array.from(sps);
  sevenSubLayers[2] = 0x0f; // vps id 0, sps_max_sub_layers_minus1 7, nesting 1

  assert.throws(
    () => parseHevcSps(sevenSubLayers),
    (e: unknown) => isMalformed(e) && /sps_max_sub_layers_minus1 above 6: 7/.test(String(e)),
  );
  // After the 12-byte profile_tier_level: sps id ue '1', chroma ue '010', width ue '1' (0).
  const zeroWidth = concat(sps.subarray(0, 15), bytes('ac'), bytes('ffffff'));
  assert.throws(
    () => parseHevcSps(zeroWidth),
    (e: unknown) => isMalformed(e) && /picture size is zero/.test(String(e)),
  );
});

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

test('buildHevcDecoderConfigurationRecord writes the 14496-15 record: VPS, SPS, PPS arrays', () => {
  const { vps, sps, pps } = X265.main720;

  const record = buildHevcDecoderConfigurationRecord(bytes(vps), bytes(sps), bytes(pps));

  // version 1, Main, compatibility 0x60000000, constraints, level 93, reserved bits with
  // min_spatial_segmentation_idc and parallelismType 0, 4:2:0, 8 bits, avgFrameRate 0,
  // one temporal layer nested, lengthSizeMinusOne 3.
  assert.equal(hex(record.subarray(0, 22)), '0101600000009000000000005df000fcfdf8f800000f');
  assert.equal(record[22], 3, 'numOfArrays');
  assert.equal(
    hex(record.subarray(23)),
    `a00001${lengthHex(vps)}${vps}a10001${lengthHex(sps)}${sps}a20001${lengthHex(pps)}${pps}`,
    'array_completeness 1, one unit per array',
  );
});

function lengthHex(unitHex: string): string {
  return (unitHex.length / 2).toString(16).padStart(4, '0');
}

test('buildHevcDecoderConfigurationRecord takes temporal layers and nesting from the SPS', () => {
  const { vps, pps } = X265.main720;

  const record = buildHevcDecoderConfigurationRecord(
    bytes(vps),
    bytes(X265.main10Sublayers1080.sps),
    bytes(pps),
  );

  // bitDepthLumaMinus8 and bitDepthChromaMinus8 2; numTemporalLayers 2, not nested,
  // lengthSizeMinusOne 3.
  assert.deepEqual([record[17], record[18], record[21]], [0xfa, 0xfa, 0x13]);
});

test('buildHevcDecoderConfigurationRecord rejects units out of order, empty or too long', () => {
  const { vps, sps, pps } = X265.main720;

  assert.throws(
    () => buildHevcDecoderConfigurationRecord(bytes(pps), bytes(sps), bytes(vps)),
    (e: unknown) => isMalformed(e) && /unit 0 is not a VPS\/SPS\/PPS/.test(String(e)),
  );
  assert.throws(
    () => buildHevcDecoderConfigurationRecord(bytes(vps), bytes(sps), new Uint8Array(0)),
    isMalformed,
  );
  const longPps = new Uint8Array(0x10000);
  longPps.set(bytes(pps));
  assert.throws(
    () => buildHevcDecoderConfigurationRecord(bytes(vps), bytes(sps), longPps),
    isMalformed,
  );
  assert.throws(
    () => buildHevcDecoderConfigurationRecord(bytes(vps), bytes(pps), bytes(pps)),
    isMalformed,
  );
});

test('hevcCodecString follows 14496-15 Annex E (flags reversed, trailing zeros left out)', () => {
  assert.equal(hevcCodecString(bytes(X265.main720.sps)), 'hvc1.1.6.L93.90');
  assert.equal(hevcCodecString(bytes(X265.main10Sublayers1080.sps)), 'hvc1.2.4.L120.90');
  assert.equal(hevcCodecString(bytes(X265.rext444.sps)), 'hvc1.4.10.L60.9E.8');
});

test('hevcCodecString writes profile space letters, the high tier and all-zero constraints', () => {
  const base = parseHevcSps(bytes(X265.main720.sps));
  const variant = (fields: Partial<HevcSps>) => hevcCodecString({ ...base, ...fields });

  assert.equal(
    variant({ generalConstraintIndicatorFlags: bytes('b00000000000') }),
    'hvc1.1.6.L93.B0',
  );
  assert.equal(
    variant({ generalProfileSpace: 1, generalTierFlag: 1, generalLevelIdc: 120 }),
    'hvc1.A1.6.H120.90',
  );
  assert.equal(variant({ generalConstraintIndicatorFlags: new Uint8Array(6) }), 'hvc1.1.6.L93');
  assert.equal(
    variant({ generalProfileCompatibilityFlags: 0x80000001 }),
    'hvc1.1.80000001.L93.90',
    'flag 0 becomes bit 0 and flag 31 bit 31',
  );
});

const ENCODES = [
  { name: 'Main 1280x720', size: '1280x720', pixFmt: 'yuv420p', x265: 'bframes=0' },
  { name: 'Main 1920x1080 (coded 1088)', size: '1920x1080', pixFmt: 'yuv420p', x265: 'bframes=0' },
  {
    name: 'Main 10 1920x1080 with temporal sub-layers',
    size: '1920x1080',
    pixFmt: 'yuv420p10le',
    x265: 'bframes=2:temporal-layers=1',
  },
  { name: 'Rext 4:4:4 352x288', size: '352x288', pixFmt: 'yuv444p', x265: 'bframes=0' },
];
const PROFILE_IDC: Record<string, number> = { Main: 1, 'Main 10': 2, Rext: 4 };

for (const encode of ENCODES) {
  test(
    `parseHevcSps agrees with ffprobe on an x265 ${encode.name} encode`,
    { skip: noFfmpeg },
    () => {
      const path = encodeHevc(temp.path(`${encode.size}-${encode.pixFmt}.hevc`), {
        ...encode,
        frames: 3,
      });
      const [probed] = ffprobeStreams(path, 'profile,level,width,height,pix_fmt');
      const [first] = readHevcAccessUnits(path);
      assert.ok(probed && first);

      const sps = parseHevcSps(hevcParameterSets(first)[1]);

      assert.deepEqual(
        [sps.generalProfileIdc, sps.generalLevelIdc, sps.width, sps.height],
        [PROFILE_IDC[String(probed.profile)], probed.level, probed.width, probed.height],
      );
      assert.equal(sps.bitDepthLuma, String(probed.pix_fmt).includes('10') ? 10 : 8);
    },
  );
}

test(
  'buildHevcDecoderConfigurationRecord matches the hvcC header FFmpeg writes into MP4',
  { skip: noFfmpeg },
  () => {
    const path = encodeHevc(temp.path('record.hevc'), { size: '1920x1080', frames: 2 });
    const mp4 = temp.path('record.mp4');
    ffmpeg(['-i', path, '-c', 'copy', '-tag:v', 'hvc1', mp4]);
    const [first] = readHevcAccessUnits(path);
    assert.ok(first);

    const record = buildHevcDecoderConfigurationRecord(...hevcParameterSets(first));

    const theirs = hvcCBox(new Uint8Array(readFileSync(mp4)));
    assert.equal(hex(record.subarray(0, 22)), hex(theirs.subarray(0, 22)));
    for (const unit of hevcParameterSets(first)) {
      assert.ok(Buffer.from(theirs).includes(Buffer.from(unit)), 'FFmpeg lists the same unit');
    }
  },
);

/** The payload of the first `hvcC` box in an MP4 file. */
function hvcCBox(mp4: Uint8Array): Uint8Array {
  const at = Buffer.from(mp4).indexOf('hvcC');
  assert.ok(at >= 4, 'the MP4 has an hvcC box');
  const size = new DataView(mp4.buffer, mp4.byteOffset + at - 4).getUint32(0);
  return mp4.subarray(at + 4, at - 4 + size);
}

test('parseHevcSps only throws ArgusError CODEC_MALFORMED on arbitrary bytes (fuzz)', () => {
  const sps = bytes(X265.main720.sps);
  const unit = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ maxLength: 64 }).map((body) => concat(bytes('4201'), body)),
    fc
      .tuple(fc.nat(sps.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 }))
      .map(([at, noise]) => {
        const mutated = Uint8Array.from(sps);
        mutated.set(noise.subarray(0, sps.length - at), at);
        return mutated;
      }),
  );

  fc.assert(
    fc.property(unit, (nal) => {
      try {
        const parsed = parseHevcSps(nal);
        assert.ok(parsed.width > 0 && parsed.height > 0);
        hevcCodecString(parsed);
      } catch (error) {
        assert.ok(isMalformed(error), String(error));
      }
    }),
    { numRuns: fuzzRuns(3000) },
  );
});
