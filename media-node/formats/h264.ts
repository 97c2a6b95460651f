import { ArgusError, errorCodes } from '../../src/errors.ts';
import { BitReader, ByteWriter, findStartCode, unescapeRbsp } from './bytes.ts';

/** H.264 NAL unit types used by the media node (ISO/IEC 14496-10 Table 7-1). */
export const H264_NAL = {
  slice: 1,
  idr: 5,
  sei: 6,
  sps: 7,
  pps: 8,
  aud: 9,
} as const;

/**
 * Splits an Annex B byte stream (ISO/IEC 14496-10 Annex B) into NAL units without their
 * 3- or 4-byte start codes. Bytes before the first start code and trailing zero bytes of
 * each unit are dropped; the units are views into `au`, not copies.
 */
export function splitAnnexB(au: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  let start = findStartCode(au, 0);
  while (start >= 0) {
    const from = start + 3;
    const next = findStartCode(au, from);
    const nal = trimTrailingZeros(au.subarray(from, next < 0 ? au.length : next));
    if (nal.length > 0) nals.push(nal);
    start = next;
  }
  return nals;
}

function trimTrailingZeros(nal: Uint8Array): Uint8Array {
  let end = nal.length;
  while (end > 0 && nal[end - 1] === 0) end -= 1;
  return end === nal.length ? nal : nal.subarray(0, end);
}

/**
 * nal_unit_type of an H.264 NAL unit (ISO/IEC 14496-10 §7.3.1). Throws ArgusError
 * CODEC_MALFORMED for an empty unit.
 */
export function nalType(nal: Uint8Array): number {
  const header = nal[0];
  if (header === undefined) {
    throw new ArgusError(errorCodes.CODEC_MALFORMED, 'Cannot read NAL unit type: empty NAL unit');
  }
  return header & 0x1f;
}

/** What the media node needs from a sequence parameter set. */
export interface H264Sps {
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  width: number;
  height: number;
}

/** An SPS with the fields the AVC decoder configuration record needs for high profiles. */
export interface H264SpsDetails extends H264Sps {
  chromaFormatIdc: number;
  bitDepthLumaMinus8: number;
  bitDepthChromaMinus8: number;
}

/** profile_idc values whose SPS carries chroma_format_idc and scaling lists (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Frame size limit in macroblocks per side: beyond any level of Table A-1. */
const MAX_MBS_PER_SIDE = 1024;

/**
 * Parses seq_parameter_set_data (ISO/IEC 14496-10 §7.3.2.1.1): profile, level and the
 * displayed size after frame cropping (§7.4.2.1.1), removing emulation-prevention bytes
 * first. `nal` is the whole NAL unit, header byte included. Throws ArgusError
 * CODEC_MALFORMED when the unit is not an SPS, is truncated or declares an impossible size.
 */
export function parseSps(nal: Uint8Array): H264SpsDetails {
  if (nal.length < 4 || nalType(nal) !== H264_NAL.sps) {
    throw new ArgusError(
      errorCodes.CODEC_MALFORMED,
      `Cannot parse SPS: not an SPS NAL unit of at least 4 bytes: ${nal.length} bytes`,
    );
  }
  const reader = new BitReader(unescapeRbsp(nal.subarray(1)), 'SPS');
  const profileIdc = reader.bits(8);
  const constraintFlags = reader.bits(8);
  const levelIdc = reader.bits(8);
  reader.ue(); // seq_parameter_set_id

  const chroma = readChromaFormat(reader, profileIdc);
  skipFrameNumbering(reader);
  const size = readFrameSize(reader, chroma.chromaArrayType);
  return { profileIdc, constraintFlags, levelIdc, ...size, ...chroma.fields };
}

interface ChromaFormat {
  chromaArrayType: number;
  fields: Pick<H264SpsDetails, 'chromaFormatIdc' | 'bitDepthLumaMinus8' | 'bitDepthChromaMinus8'>;
}

function readChromaFormat(reader: BitReader, profileIdc: number): ChromaFormat {
  if (!HIGH_PROFILES.has(profileIdc)) {
    const fields = { chromaFormatIdc: 1, bitDepthLumaMinus8: 0, bitDepthChromaMinus8: 0 };
    return { chromaArrayType: 1, fields };
  }
  const chromaFormatIdc = reader.ue();
  if (chromaFormatIdc > 3)
    throw spsError(`chroma_format_idc out of range 0..3: ${chromaFormatIdc}`);
  const separateColourPlane = chromaFormatIdc === 3 ? reader.bit() : 0;
  const bitDepthLumaMinus8 = reader.ue();
  const bitDepthChromaMinus8 = reader.ue();
  if (bitDepthLumaMinus8 > 6 || bitDepthChromaMinus8 > 6) {
    throw spsError(`bit depth above 14: ${bitDepthLumaMinus8 + 8}, ${bitDepthChromaMinus8 + 8}`);
  }
  reader.skip(1); // qpprime_y_zero_transform_bypass_flag
  if (reader.bit() === 1) skipScalingMatrix(reader, chromaFormatIdc === 3 ? 12 : 8);

  const chromaArrayType = separateColourPlane === 1 ? 0 : chromaFormatIdc;
  return { chromaArrayType, fields: { chromaFormatIdc, bitDepthLumaMinus8, bitDepthChromaMinus8 } };
}

/** seq_scaling_list_present_flag[i] and scaling_list() (§7.3.2.1.1.1): parsed to be skipped. */
function skipScalingMatrix(reader: BitReader, lists: number): void {
  for (let i = 0; i < lists; i++) {
    if (reader.bit() === 0) continue;
    const size = i < 6 ? 16 : 64;
    let lastScale = 8;
    let nextScale = 8;
    for (let j = 0; j < size && nextScale !== 0; j++) {
      nextScale = (lastScale + reader.se() + 256) % 256;
      lastScale = nextScale === 0 ? lastScale : nextScale;
    }
  }
}

/** log2_max_frame_num … gaps_in_frame_num_value_allowed_flag: skipped. */
function skipFrameNumbering(reader: BitReader): void {
  reader.ue(); // log2_max_frame_num_minus4
  const picOrderCntType = reader.ue();
  if (picOrderCntType === 0) {
    reader.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    reader.skip(1); // delta_pic_order_always_zero_flag
    reader.se(); // offset_for_non_ref_pic
    reader.se(); // offset_for_top_to_bottom_field
    const cycle = reader.ue();
    if (cycle > 255) throw spsError(`num_ref_frames_in_pic_order_cnt_cycle above 255: ${cycle}`);
    for (let i = 0; i < cycle; i++) reader.se();
  } else if (picOrderCntType !== 2) {
    throw spsError(`pic_order_cnt_type out of range 0..2: ${picOrderCntType}`);
  }
  reader.ue(); // max_num_ref_frames
  reader.skip(1); // gaps_in_frame_num_value_allowed_flag
}

function readFrameSize(
  reader: BitReader,
  chromaArrayType: number,
): { width: number; height: number } {
  const widthInMbs = reader.ue() + 1;
  const heightInMapUnits = reader.ue() + 1;
  const frameMbsOnly = reader.bit();
  if (frameMbsOnly === 0) reader.skip(1); // mb_adaptive_frame_field_flag
  reader.skip(1); // direct_8x8_inference_flag
  if (widthInMbs > MAX_MBS_PER_SIDE || heightInMapUnits > MAX_MBS_PER_SIDE) {
    throw spsError(
      `frame size above ${MAX_MBS_PER_SIDE} macroblocks: ${widthInMbs}x${heightInMapUnits}`,
    );
  }

  const frameHeightInMbs = (2 - frameMbsOnly) * heightInMapUnits;
  const crop = reader.bit() === 1 ? readCropping(reader) : { left: 0, right: 0, top: 0, bottom: 0 };
  // Crop units of §7.4.2.1.1 (frame_crop_*_offset semantics, Table 6-1 SubWidthC/SubHeightC).
  const cropUnitX = chromaArrayType === 0 || chromaArrayType === 3 ? 1 : 2;
  const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * (2 - frameMbsOnly);
  const width = widthInMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = frameHeightInMbs * 16 - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) throw spsError(`cropping leaves no picture: ${width}x${height}`);
  return { width, height };
}

function readCropping(reader: BitReader): {
  left: number;
  right: number;
  top: number;
  bottom: number;
} {
  return { left: reader.ue(), right: reader.ue(), top: reader.ue(), bottom: reader.ue() };
}

function spsError(reason: string): ArgusError {
  return new ArgusError(errorCodes.CODEC_MALFORMED, `Cannot parse SPS: ${reason}`);
}

/** profile_idc values whose configuration record carries the chroma/bit-depth extension. */
const RECORD_EXTENSION_PROFILES = new Set([100, 110, 122, 144]);

/**
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1) for one SPS and one PPS (NAL
 * units without start codes), with 4-byte NAL lengths (lengthSizeMinusOne = 3). High
 * profiles get the chroma_format / bit depth extension. Throws ArgusError CODEC_MALFORMED
 * when the SPS cannot be parsed or a unit is empty or longer than 65535 bytes.
 */
export function buildAvcDecoderConfigurationRecord(sps: Uint8Array, pps: Uint8Array): Uint8Array {
  const parsed = parseSps(sps);
  if (pps.length === 0 || pps.length > 0xffff || sps.length > 0xffff) {
    const sizes = `${sps.length}, ${pps.length}`;
    throw new ArgusError(
      errorCodes.CODEC_MALFORMED,
      `Cannot build AVC configuration record: SPS/PPS sizes out of range 1..65535: ${sizes}`,
    );
  }
  const extended = RECORD_EXTENSION_PROFILES.has(parsed.profileIdc);
  const writer = new ByteWriter(11 + sps.length + pps.length + (extended ? 4 : 0));
  writer.u8(1).u8(parsed.profileIdc).u8(parsed.constraintFlags).u8(parsed.levelIdc);
  writer.u8(0xff); // reserved '111111' + lengthSizeMinusOne 3
  writer.u8(0xe1).u16(sps.length).bytesFrom(sps); // reserved '111' + one SPS
  writer.u8(1).u16(pps.length).bytesFrom(pps);
  if (extended) {
    writer.u8(0xfc | parsed.chromaFormatIdc);
    writer.u8(0xf8 | parsed.bitDepthLumaMinus8).u8(0xf8 | parsed.bitDepthChromaMinus8);
    writer.u8(0); // numOfSequenceParameterSetExt
  }
  return writer.finish();
}

/** NAL units in AVCC form: each prefixed by its length as 4 bytes big-endian (§5.3.4.2). */
export function toAvcc(nals: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const nal of nals) total += 4 + nal.length;

  const writer = new ByteWriter(total);
  for (const nal of nals) writer.u32(nal.length).bytesFrom(nal);
  return writer.finish();
}

/** True for an H.264 slice NAL (types 1..5) whose first_mb_in_slice is 0 (§7.3.3). */
export function startsPicture(nal: Uint8Array): boolean {
  const type = nal[0] === undefined ? 0 : nalType(nal);
  if (type < 1 || type > 5) return false;
  // first_mb_in_slice is ue(v) and 0 is coded as a single '1' bit.
  return ((nal[1] ?? 0) & 0x80) !== 0;
}

/**
 * The RFC 6381 `codecs` value of an H.264 stream (ISO/IEC 14496-15 §E.2), `avc1.` and the
 * profile_idc, constraint flags and level_idc bytes in hex, for example `avc1.64001f`.
 * Accepts an SPS unit or a parsed SPS; throws like parseSps.
 */
export function avcCodecString(sps: Uint8Array | H264Sps): string {
  const parsed = sps instanceof Uint8Array ? parseSps(sps) : sps;
  const hex = (byte: number) => byte.toString(16).padStart(2, '0');
  return `avc1.${hex(parsed.profileIdc)}${hex(parsed.constraintFlags)}${hex(parsed.levelIdc)}`;
}
