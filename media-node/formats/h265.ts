import { ArgusError, errorCodes } from '../../src/errors.ts';
import { BitReader, ByteWriter, unescapeRbsp } from './bytes.ts';

export { splitAnnexB } from './h264.ts';

/** H.265 NAL unit types used by the media node (ITU-T H.265 Table 7-1). */
export const H265_NAL = {
  /** IRAP pictures: BLA_W_LP 16 … CRA_NUT 21 (IDR_W_RADL 19, IDR_N_LP 20). */
  irapFirst: 16,
  irapLast: 21,
  vps: 32,
  sps: 33,
  pps: 34,
  aud: 35,
} as const;

/**
 * nal_unit_type of an H.265 NAL unit (ITU-T H.265 §7.3.1.2: forbidden_zero_bit, then 6 bits
 * of type). Throws ArgusError CODEC_MALFORMED for a unit shorter than its 2-byte header.
 */
export function h265NalType(nal: Uint8Array): number {
  const header = nal[0];
  if (header === undefined || nal.length < 2) {
    throw new ArgusError(
      errorCodes.CODEC_MALFORMED,
      `Cannot read H.265 NAL unit type: unit shorter than 2 bytes: ${nal.length}`,
    );
  }
  return (header >> 1) & 0x3f;
}

/** True where one of the units is an IRAP picture (types 16..21, ITU-T H.265 §3.73). */
export function isHevcKeyframe(nals: readonly Uint8Array[]): boolean {
  return nals.some((nal) => {
    const type = nal.length < 2 ? -1 : h265NalType(nal);
    return type >= H265_NAL.irapFirst && type <= H265_NAL.irapLast;
  });
}

/** What the media node needs from an H.265 sequence parameter set. */
export interface HevcSps {
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag 0 in the most significant bit. */
  generalProfileCompatibilityFlags: number;
  /** The 48 bits from general_progressive_source_flag on, as 6 bytes. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  chromaFormatIdc: number;
  /** Displayed size: pic_width/height_in_luma_samples minus the conformance window. */
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** sps_max_sub_layers_minus1 + 1. */
  maxSubLayers: number;
  temporalIdNesting: boolean;
}

/** Side limit in luma samples: sqrt(8 × MaxLumaPs) of level 6.2 (ITU-T H.265 §A.4.1). */
const MAX_LUMA_SIDE = 16888;

/**
 * Parses seq_parameter_set_rbsp (ITU-T H.265 §7.3.2.2.1) as far as the bit depths:
 * profile_tier_level with its sub-layers (§7.3.3), chroma format, picture size and the
 * conformance window (§7.4.3.2.1), after removing emulation-prevention bytes. `nal` is the
 * whole unit, 2-byte header included. Throws ArgusError CODEC_MALFORMED when the unit is not
 * an SPS, is truncated or declares an impossible size or bit depth.
 */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  if (nal.length < 4 || h265NalType(nal) !== H265_NAL.sps) {
    throw spsError(`not an SPS NAL unit of at least 4 bytes: ${nal.length} bytes`);
  }
  const reader = new BitReader(unescapeRbsp(nal.subarray(2)), 'H.265 SPS');
  reader.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = reader.bits(3);
  const temporalIdNesting = reader.bit() === 1;
  if (maxSubLayersMinus1 > 6) {
    throw spsError(`sps_max_sub_layers_minus1 above 6: ${maxSubLayersMinus1}`);
  }

  const profile = readProfileTierLevel(reader, maxSubLayersMinus1);
  reader.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = reader.ue();
  if (chromaFormatIdc > 3)
    throw spsError(`chroma_format_idc out of range 0..3: ${chromaFormatIdc}`);
  const separateColourPlane = chromaFormatIdc === 3 && reader.bit() === 1;

  const size = readPictureSize(reader, separateColourPlane ? 0 : chromaFormatIdc);
  const bitDepthLuma = reader.ue() + 8;
  const bitDepthChroma = reader.ue() + 8;
  if (bitDepthLuma > 16 || bitDepthChroma > 16) {
    throw spsError(`bit depth above 16: ${bitDepthLuma}, ${bitDepthChroma}`);
  }
  const maxSubLayers = maxSubLayersMinus1 + 1;
  return {
    ...profile,
    chromaFormatIdc,
    ...size,
    bitDepthLuma,
    bitDepthChroma,
    maxSubLayers,
    temporalIdNesting,
  };
}

type GeneralProfile = Pick<
  HevcSps,
  | 'generalProfileSpace'
  | 'generalTierFlag'
  | 'generalProfileIdc'
  | 'generalProfileCompatibilityFlags'
  | 'generalConstraintIndicatorFlags'
  | 'generalLevelIdc'
>;

/**
 * profile_tier_level(1, maxNumSubLayersMinus1) (§7.3.3): general fields kept, sub-layers
 * skipped.
 */
function readProfileTierLevel(reader: BitReader, maxNumSubLayersMinus1: number): GeneralProfile {
  const generalProfileSpace = reader.bits(2);
  const generalTierFlag = reader.bit();
  const generalProfileIdc = reader.bits(5);
  const generalProfileCompatibilityFlags = reader.bits(32);
  const generalConstraintIndicatorFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) generalConstraintIndicatorFlags[i] = reader.bits(8);
  const generalLevelIdc = reader.bits(8);

  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxNumSubLayersMinus1; i++) {
    profilePresent.push(reader.bit() === 1);
    levelPresent.push(reader.bit() === 1);
  }
  // reserved_zero_2bits for each absent sub-layer
  if (maxNumSubLayersMinus1 > 0) reader.skip(2 * (8 - maxNumSubLayersMinus1));
  for (let i = 0; i < maxNumSubLayersMinus1; i++) {
    // sub_layer profile: space, tier, idc, 32 compatibility flags, 48 constraint bits.
    if (profilePresent[i] === true) reader.skip(88);
    if (levelPresent[i] === true) reader.skip(8); // sub_layer_level_idc
  }
  return {
    generalProfileSpace,
    generalTierFlag,
    generalProfileIdc,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags,
    generalLevelIdc,
  };
}

function readPictureSize(
  reader: BitReader,
  chromaArrayType: number,
): { width: number; height: number } {
  const codedWidth = reader.ue();
  const codedHeight = reader.ue();
  if (codedWidth === 0 || codedHeight === 0) {
    throw spsError(`picture size is zero: ${codedWidth}x${codedHeight}`);
  }
  if (codedWidth > MAX_LUMA_SIDE || codedHeight > MAX_LUMA_SIDE) {
    throw spsError(`picture size above ${MAX_LUMA_SIDE} samples: ${codedWidth}x${codedHeight}`);
  }

  const windowed = reader.bit() === 1; // conformance_window_flag
  const window = windowed
    ? { left: reader.ue(), right: reader.ue(), top: reader.ue(), bottom: reader.ue() }
    : { left: 0, right: 0, top: 0, bottom: 0 };
  // SubWidthC and SubHeightC of Table 6-1 scale the conf_win_*_offset values (§7.4.3.2.1).
  const subWidth = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeight = chromaArrayType === 1 ? 2 : 1;
  const width = codedWidth - subWidth * (window.left + window.right);
  const height = codedHeight - subHeight * (window.top + window.bottom);
  if (width <= 0 || height <= 0) {
    throw spsError(`conformance window leaves no picture: ${width}x${height}`);
  }
  return { width, height };
}

function spsError(reason: string): ArgusError {
  return new ArgusError(errorCodes.CODEC_MALFORMED, `Cannot parse H.265 SPS: ${reason}`);
}

const RECORD_HEADER_BYTES = 23;

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) for one VPS, SPS and PPS (NAL
 * units without start codes), each in its own complete array, with 4-byte NAL lengths
 * (lengthSizeMinusOne = 3). min_spatial_segmentation_idc, parallelismType and the frame
 * rate fields are written as 0 (unknown), which the record allows. Throws ArgusError
 * CODEC_MALFORMED when the SPS cannot be parsed, a unit is not of its type, or a unit is
 * longer than 65535 bytes.
 */
export function buildHevcDecoderConfigurationRecord(
  vps: Uint8Array,
  sps: Uint8Array,
  pps: Uint8Array,
): Uint8Array {
  const parsed = parseHevcSps(sps);
  const units = [vps, sps, pps];
  checkRecordUnits(units);

  let size = RECORD_HEADER_BYTES;
  for (const unit of units) size += 5 + unit.length;
  const writer = new ByteWriter(size);
  writeRecordHeader(writer, parsed);
  writer.u8(units.length); // numOfArrays
  for (const unit of units) {
    // array_completeness 1 (the parameter sets are all here, as 'hvc1' requires), reserved 0.
    writer
      .u8(0x80 | h265NalType(unit))
      .u16(1)
      .u16(unit.length)
      .bytesFrom(unit);
  }
  return writer.finish();
}

function checkRecordUnits(units: Uint8Array[]): void {
  const expected = [H265_NAL.vps, H265_NAL.sps, H265_NAL.pps];
  units.forEach((unit, i) => {
    const type = unit.length < 2 ? -1 : h265NalType(unit);
    if (type !== expected[i] || unit.length > 0xffff) {
      throw new ArgusError(
        errorCodes.CODEC_MALFORMED,
        `Cannot build HEVC configuration record: unit ${i} is not a VPS/SPS/PPS ` +
          `of 2..65535 bytes: type ${type}, ${unit.length} bytes`,
      );
    }
  });
}

function writeRecordHeader(writer: ByteWriter, sps: HevcSps): void {
  writer.u8(1); // configurationVersion
  writer.u8((sps.generalProfileSpace << 6) | (sps.generalTierFlag << 5) | sps.generalProfileIdc);
  writer.u32(sps.generalProfileCompatibilityFlags);
  writer.bytesFrom(sps.generalConstraintIndicatorFlags);
  writer.u8(sps.generalLevelIdc);
  writer.u16(0xf000); // reserved '1111', min_spatial_segmentation_idc 0
  writer.u8(0xfc); // reserved '111111', parallelismType 0
  writer.u8(0xfc | sps.chromaFormatIdc);
  writer.u8(0xf8 | (sps.bitDepthLuma - 8)).u8(0xf8 | (sps.bitDepthChroma - 8));
  writer.u16(0); // avgFrameRate
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3.
  writer.u8((sps.maxSubLayers << 3) | (sps.temporalIdNesting ? 0x04 : 0) | 0x03);
}

/**
 * The RFC 6381 `codecs` value of an H.265 stream (ISO/IEC 14496-15 §E.3), for example
 * `hvc1.1.6.L93.B0`: profile space letter and profile_idc, the compatibility flags in
 * reverse bit order as hex, tier L/H with level_idc, then the constraint bytes in hex with
 * trailing zero bytes left out. Accepts an SPS unit or a parsed SPS; throws like parseHevcSps.
 */
export function hevcCodecString(sps: Uint8Array | HevcSps): string {
  const parsed = sps instanceof Uint8Array ? parseHevcSps(sps) : sps;
  const space = ['', 'A', 'B', 'C'][parsed.generalProfileSpace] ?? '';
  let reversed = 0;
  for (let j = 0; j < 32; j++) {
    reversed = reversed * 2 + ((parsed.generalProfileCompatibilityFlags >>> j) & 1);
  }
  const tier = parsed.generalTierFlag === 1 ? 'H' : 'L';
  const constraints = [...parsed.generalConstraintIndicatorFlags];
  while (constraints.at(-1) === 0) constraints.pop();

  const fields = [
    'hvc1',
    `${space}${parsed.generalProfileIdc}`,
    reversed.toString(16).toUpperCase(),
    `${tier}${parsed.generalLevelIdc}`,
    ...constraints.map((byte) => byte.toString(16).toUpperCase()),
  ];
  return fields.join('.');
}
