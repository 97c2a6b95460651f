import { ByteWriter } from './bytes.ts';
import { FLV_TAG_TYPE, flvTagOfUnits } from './flv-tag.ts';
import type { FlvMetadata } from './flv-tag.ts';
import type { VideoCodec } from './ps-demuxer.ts';
import { VideoConfig } from './video-config.ts';
import type { VideoSps } from './video-config.ts';

export type { VideoSps } from './video-config.ts';

/** CodecID of H.264 video tags (FLV spec v10 §E.4.3.1). */
export const FLV_AVC_CODEC_ID = 7;
/** FourCC of H.265 in Enhanced RTMP/FLV video tags ('hvc1'), also its onMetaData videocodecid. */
export const FLV_HEVC_FOURCC = 0x68766331;

/** What differs between H.264 and H.265 in FLV video tags. */
interface CodecRules {
  sequenceHeaderBody(record: Uint8Array): Uint8Array;
  /** The bytes of a frame's body before its length-prefixed NAL units. */
  frameHead(keyframe: boolean, compositionMs: number): Uint8Array;
  videocodecid: number;
}

const AVC_RULES: CodecRules = {
  // FrameType 1, CodecID 7, AVCPacketType 0, CompositionTime 0 (FLV spec v10 §E.4.3.1).
  sequenceHeaderBody: (record) => withPrefix([0x10 | FLV_AVC_CODEC_ID, 0, 0, 0, 0], record),
  frameHead: (keyframe, compositionMs) => {
    const head = new ByteWriter(5);
    head.u8(((keyframe ? 1 : 2) << 4) | FLV_AVC_CODEC_ID).u8(1); // AVCPacketType 1: NALUs
    return head.u24(compositionMs & 0xffffff).finish(); // SI24 CompositionTime
  },
  videocodecid: FLV_AVC_CODEC_ID,
};

/** IsExHeader bit of an Enhanced RTMP video tag; its low 4 bits are then a PacketType. */
const EX_HEADER = 0x80;
const PACKET_TYPE = { sequenceStart: 0, codedFrames: 1, codedFramesX: 3 } as const;

const HEVC_RULES: CodecRules = {
  sequenceHeaderBody: (record) =>
    withPrefix([EX_HEADER | 0x10 | PACKET_TYPE.sequenceStart], withFourCc(record)),
  // CodedFramesX leaves out a CompositionTime of 0 (Enhanced RTMP v1, ExVideoTagBody).
  frameHead: (keyframe, compositionMs) => {
    const frameType = (keyframe ? 1 : 2) << 4;
    if (compositionMs === 0) {
      const head = new ByteWriter(5).u8(EX_HEADER | frameType | PACKET_TYPE.codedFramesX);
      return head.u32(FLV_HEVC_FOURCC).finish();
    }
    const head = new ByteWriter(8);
    head.u8(EX_HEADER | frameType | PACKET_TYPE.codedFrames).u32(FLV_HEVC_FOURCC);
    return head.u24(compositionMs & 0xffffff).finish(); // SI24 CompositionTime
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

/**
 * The FLV video tag bodies of one codec, from its parameter sets (VideoConfig): H.264 as FLV
 * spec v10 §E.4.3.1 (CodecID 7), H.265 as Enhanced RTMP (ExHeader, FourCC 'hvc1').
 * Parameter sets that cannot be used are counted in `rejected`, never thrown.
 */
export class FlvVideoTrack {
  private readonly rules: CodecRules;
  private readonly config: VideoConfig;

  constructor(readonly codec: VideoCodec) {
    this.rules = codec === 'h264' ? AVC_RULES : HEVC_RULES;
    this.config = new VideoConfig(codec);
  }

  /** Parameter set updates ignored because the SPS or the record could not be built. */
  get rejected(): number {
    return this.config.rejected;
  }

  /** The latest SPS, parsed. */
  get sps(): VideoSps | undefined {
    return this.config.sps;
  }

  /** True once a configuration record could be built. */
  get configured(): boolean {
    return this.config.record !== undefined;
  }

  /** True where a unit is an IDR (H.264) or IRAP (H.265) picture. */
  isKeyframe(nals: Uint8Array[]): boolean {
    return this.config.isKeyframe(nals);
  }

  /** Keeps the latest parameter sets (VideoConfig.update); true where the record changed. */
  update(nals: Uint8Array[]): boolean {
    return this.config.update(nals);
  }

  /** The sequence header tag body for the latest record, or undefined before one exists. */
  sequenceHeaderBody(): Uint8Array | undefined {
    const record = this.config.record;
    return record === undefined ? undefined : this.rules.sequenceHeaderBody(record);
  }

  /**
   * The whole video tag of one frame at `timestampMs`, its NAL units length-prefixed without
   * parameter sets and AUDs; undefined where nothing else is left. `compositionMs` is
   * clamped to the SI24 range. Throws like flvTag.
   */
  frameTag(
    timestampMs: number,
    nals: Uint8Array[],
    keyframe: boolean,
    compositionMs: number,
  ): Uint8Array | undefined {
    const units = this.config.sampleUnits(nals);
    if (units.length === 0) return undefined;
    const composition = Math.max(
      -MAX_COMPOSITION_MS - 1,
      Math.min(MAX_COMPOSITION_MS, compositionMs),
    );
    const head = this.rules.frameHead(keyframe, composition);
    return flvTagOfUnits(FLV_TAG_TYPE.video, timestampMs, head, units);
  }

  /** Size and codec id for onMetaData, once an SPS was parsed. */
  metadata(): FlvMetadata | undefined {
    const sps = this.config.sps?.sps;
    if (sps === undefined) return undefined;
    return { width: sps.width, height: sps.height, videocodecid: this.rules.videocodecid };
  }
}

const MAX_COMPOSITION_MS = 0x7fffff;
