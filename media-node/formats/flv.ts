import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { H264Sps } from './h264.ts';
import { FlvMuxer } from './flv-muxer.ts';
import type { ElementaryFrame } from './ps-demuxer.ts';

/**
 * FLV output (FLV spec v10 Annex E, Enhanced RTMP v1): the tag writers, the general muxer
 * for H.264, H.265, AAC and G.711, and the H.264-only muxer the stream hub started with.
 */
export {
  FLV_TAG_TYPE,
  flvHeader,
  flvMetadata,
  flvTag,
  isFlvKeyframe,
  isFlvSequenceHeader,
} from './flv-tag.ts';
export type { FlvMetadata } from './flv-tag.ts';
export { FlvMuxer } from './flv-muxer.ts';
export type { FlvMuxerOptions, FlvMuxerStats } from './flv-muxer.ts';
export { FLV_AVC_CODEC_ID, FLV_HEVC_FOURCC } from './flv-video.ts';
export type { VideoSps } from './flv-video.ts';
export { FLV_SOUND_FORMAT_AAC } from './flv-audio.ts';

/**
 * FlvMuxer restricted to H.264 video (FLV spec v10 §E.4.3, ISO/IEC 14496-15 §5.2.4): audio
 * frames are ignored, and H.265 is refused. Keeps the latest sequence header and metadata,
 * so a late viewer can be started with flvHeader + metadataTag() + sequenceHeaderTag() +
 * the tags since the last keyframe.
 */
export class FlvH264Muxer extends FlvMuxer {
  /** The latest SPS, parsed. */
  get sps(): H264Sps | undefined {
    const parsed = this.videoSps;
    return parsed?.codec === 'h264' ? parsed.sps : undefined;
  }

  /**
   * Returns the tags for one frame (none for audio or before the first keyframe). Throws
   * ArgusError CODEC_UNSUPPORTED for a video codec other than H.264 (the caller chose the
   * wrong muxer).
   */
  override push(frame: ElementaryFrame): Uint8Array[] {
    if (frame.kind !== 'video') return [];
    if (frame.codec !== 'h264') {
      throw new ArgusError(
        errorCodes.CODEC_UNSUPPORTED,
        `Cannot mux FLV: video codec is not H.264: ${frame.codec}`,
      );
    }
    return super.push(frame);
  }

  /** The AVC sequence header tag for the latest SPS/PPS, at `timestampMs` (default 0). */
  sequenceHeaderTag(timestampMs = 0): Uint8Array | undefined {
    return this.videoSequenceHeaderTag(timestampMs);
  }
}
