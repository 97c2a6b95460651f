import { errorCodes, isArgusError } from '../../src/errors.ts';
import { ByteWriter } from './bytes.ts';
import { buildAvcDecoderConfigurationRecord, H264_NAL, nalType, parseSps, toAvcc } from './h264.ts';
import type { H264Sps } from './h264.ts';
import {
  buildHevcDecoderConfigurationRecord,
  H265_NAL,
  h265NalType,
  isHevcKeyframe,
  parseHevcSps,
} from './h265.ts';
import type { HevcSps } from './h265.ts';
import type { FlvMetadata } from './flv-tag.ts';
import type { VideoCodec } from './ps-demuxer.ts';

/** CodecID of H.264 video tags (FLV spec v10 §E.4.3.1). */
export const FLV_AVC_CODEC_ID = 7;
/** FourCC of H.265 in Enhanced RTMP/FLV video tags ('hvc1'), also its onMetaData videocodecid. */
export const FLV_HEVC_FOURCC = 0x68766331;

/** The latest parsed SPS of a video track, by codec. */
export type VideoSps = { codec: 'h264'; sps: H264Sps } | { codec: 'h265'; sps: HevcSps };

/** What differs between H.264 and H.265 in FLV. */
interface CodecRules {
  typeOf(nal: Uint8Array): number;
  /** Parameter set types, in the order the configuration record takes them; SPS first. */
  parameterTypes: readonly number[];
  /** Units left out of frame tags: parameter sets (they live in the record) and AUDs. */
  dropped: ReadonlySet<number>;
  isKeyframe(nals: Uint8Array[]): boolean;
  parseSps(sps: Uint8Array): VideoSps;
  buildRecord(units: Uint8Array[]): Uint8Array;
  sequenceHeaderBody(record: Uint8Array): Uint8Array;
  frameBody(keyframe: boolean, compositionMs: number, data: Uint8Array): Uint8Array;
  videocodecid: number;
}

const AVC_RULES: CodecRules = {
  typeOf: nalType,
  parameterTypes: [H264_NAL.sps, H264_NAL.pps],
  dropped: new Set([H264_NAL.sps, H264_NAL.pps, H264_NAL.aud]),
  isKeyframe: (nals) => nals.some((nal) => nalType(nal) === H264_NAL.idr),
  parseSps: (sps) => ({ codec: 'h264', sps: parseSps(sps) }),
  buildRecord: ([sps, pps]) => buildAvcDecoderConfigurationRecord(orEmpty(sps), orEmpty(pps)),
  // FrameType 1, CodecID 7, AVCPacketType 0, CompositionTime 0 (FLV spec v10 §E.4.3.1).
  sequenceHeaderBody: (record) => withPrefix([0x10 | FLV_AVC_CODEC_ID, 0, 0, 0, 0], record),
  frameBody: (keyframe, compositionMs, data) => {
    const body = new ByteWriter(5 + data.length);
    body.u8(((keyframe ? 1 : 2) << 4) | FLV_AVC_CODEC_ID).u8(1); // AVCPacketType 1: NALUs
    body.u24(compositionMs & 0xffffff); // SI24 CompositionTime
    return body.bytesFrom(data).finish();
  },
  videocodecid: FLV_AVC_CODEC_ID,
};

/** IsExHeader bit of an Enhanced RTMP video tag; its low 4 bits are then a PacketType. */
const EX_HEADER = 0x80;
const PACKET_TYPE = { sequenceStart: 0, codedFrames: 1, codedFramesX: 3 } as const;

const HEVC_RULES: CodecRules = {
  typeOf: (nal) => (nal.length < 2 ? -1 : h265NalType(nal)),
  parameterTypes: [H265_NAL.sps, H265_NAL.vps, H265_NAL.pps],
  dropped: new Set([H265_NAL.vps, H265_NAL.sps, H265_NAL.pps, H265_NAL.aud]),
  isKeyframe: isHevcKeyframe,
  parseSps: (sps) => ({ codec: 'h265', sps: parseHevcSps(sps) }),
  buildRecord: ([sps, vps, pps]) =>
    buildHevcDecoderConfigurationRecord(orEmpty(vps), orEmpty(sps), orEmpty(pps)),
  sequenceHeaderBody: (record) =>
    withPrefix([EX_HEADER | 0x10 | PACKET_TYPE.sequenceStart], withFourCc(record)),
  // CodedFramesX leaves out a CompositionTime of 0 (Enhanced RTMP v1, ExVideoTagBody).
  frameBody: (keyframe, compositionMs, data) => {
    const frameType = (keyframe ? 1 : 2) << 4;
    if (compositionMs === 0) {
      return withPrefix([EX_HEADER | frameType | PACKET_TYPE.codedFramesX], withFourCc(data));
    }
    const body = new ByteWriter(8 + data.length);
    body.u8(EX_HEADER | frameType | PACKET_TYPE.codedFrames).u32(FLV_HEVC_FOURCC);
    body.u24(compositionMs & 0xffffff); // SI24 CompositionTime
    return body.bytesFrom(data).finish();
  },
  videocodecid: FLV_HEVC_FOURCC,
};

function withFourCc(data: Uint8Array): Uint8Array {
  return new ByteWriter(4 + data.length).u32(FLV_HEVC_FOURCC).bytesFrom(data).finish();
}

function withPrefix(prefix: number[], data: Uint8Array): Uint8Array {
  const writer = new ByteWriter(prefix.length + data.length);
  for (const byte of prefix) writer.u8(byte);
  return writer.bytesFrom(data).finish();
}

function orEmpty(unit: Uint8Array | undefined): Uint8Array {
  return unit ?? new Uint8Array(0);
}

/**
 * The parameter sets of one video codec and the FLV video tag bodies built from them:
 * H.264 as FLV spec v10 §E.4.3.1 (CodecID 7), H.265 as Enhanced RTMP (ExHeader, FourCC
 * 'hvc1'). Parameter sets that cannot be used are counted in `rejected`, never thrown.
 */
export class FlvVideoTrack {
  /** Parameter set updates ignored because the SPS or the record could not be built. */
  rejected = 0;
  private readonly rules: CodecRules;
  private units: (Uint8Array | undefined)[] = [];
  private parsed: VideoSps | undefined;
  private record: Uint8Array | undefined;

  constructor(readonly codec: VideoCodec) {
    this.rules = codec === 'h264' ? AVC_RULES : HEVC_RULES;
  }

  /** The latest SPS, parsed. */
  get sps(): VideoSps | undefined {
    return this.parsed;
  }

  /** True once a configuration record could be built. */
  get configured(): boolean {
    return this.record !== undefined;
  }

  /** True where a unit is an IDR (H.264) or IRAP (H.265) picture. */
  isKeyframe(nals: Uint8Array[]): boolean {
    return this.rules.isKeyframe(nals);
  }

  /**
   * Keeps the last parameter set of each type in `nals`; true where the configuration
   * record changed. An SPS that cannot be parsed, or a record that cannot be built, is
   * counted in `rejected` and the previous configuration kept.
   */
  update(nals: Uint8Array[]): boolean {
    const { parameterTypes, typeOf } = this.rules;
    const fresh = parameterTypes.map((type, i) => {
      const unit = nals.findLast((nal) => typeOf(nal) === type);
      return unit !== undefined && !sameBytes(unit, this.units[i]) ? unit : undefined;
    });
    if (fresh.every((unit) => unit === undefined)) return false;

    try {
      return this.apply(fresh.map((unit, i) => unit?.slice() ?? this.units[i]));
    } catch (error) {
      if (!isArgusError(error, errorCodes.CODEC_MALFORMED)) throw error;
      this.rejected += 1;
      return false;
    }
  }

  private apply(units: (Uint8Array | undefined)[]): boolean {
    const [sps] = units;
    const spsChanged = sps !== undefined && sps !== this.units[0];
    const parsed = spsChanged ? this.rules.parseSps(sps) : this.parsed;
    const complete = units.every((unit) => unit !== undefined);
    const record = complete ? this.rules.buildRecord(units.map(orEmpty)) : undefined;
    this.units = units;
    this.parsed = parsed;
    this.record = record;
    return record !== undefined;
  }

  /** The sequence header tag body for the latest record, or undefined before one exists. */
  sequenceHeaderBody(): Uint8Array | undefined {
    return this.record === undefined ? undefined : this.rules.sequenceHeaderBody(this.record);
  }

  /**
   * The tag body for one frame, in length-prefixed form without parameter sets and AUDs;
   * undefined where nothing else is left. `compositionMs` is clamped to the SI24 range.
   */
  frameBody(nals: Uint8Array[], keyframe: boolean, compositionMs: number): Uint8Array | undefined {
    const units = nals.filter((nal) => !this.rules.dropped.has(this.rules.typeOf(nal)));
    if (units.length === 0) return undefined;
    const composition = Math.max(
      -MAX_COMPOSITION_MS - 1,
      Math.min(MAX_COMPOSITION_MS, compositionMs),
    );
    return this.rules.frameBody(keyframe, composition, toAvcc(units));
  }

  /** Size and codec id for onMetaData, once an SPS was parsed. */
  metadata(): FlvMetadata | undefined {
    const sps = this.parsed?.sps;
    if (sps === undefined) return undefined;
    return { width: sps.width, height: sps.height, videocodecid: this.rules.videocodecid };
  }
}

const MAX_COMPOSITION_MS = 0x7fffff;

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
