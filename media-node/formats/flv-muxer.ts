import { splitAnnexB } from './h264.ts';
import { FlvAudioTrack } from './flv-audio.ts';
import { delta33, FlvClock } from './flv-clock.ts';
import { FLV_TAG_TYPE, flvHeader, flvMetadata, flvTag } from './flv-tag.ts';
import { FlvVideoTrack } from './flv-video.ts';
import { FLV_HELD_AUDIO_MAX_FRAMES } from './limits.ts';
import type { VideoSps } from './flv-video.ts';
import type { AudioCodec, ElementaryFrame, VideoCodec } from './ps-demuxer.ts';

const PTS_MODULUS = 2 ** 33;

export interface FlvMuxerOptions {
  /**
   * Hold audio back until the first video keyframe has been written (default true), so that
   * the stream starts with a picture; the last FLV_HELD_AUDIO_MAX_FRAMES audio PES are held
   * and those not older than the keyframe written after it. False for audio-only streams.
   */
  waitForVideo?: boolean;
}

/** Counters a media node reports per interval. */
export interface FlvMuxerStats {
  /** Parameter set updates ignored because the SPS or the record could not be built. */
  rejectedParameterSets: number;
  /** Audio PES payloads dropped because their ADTS could not be parsed. */
  droppedAudioFrames: number;
}

/**
 * Stateful program-stream frames → FLV tags (FLV spec v10 §E.4; Enhanced RTMP v1 for
 * H.265). Video: H.264 (CodecID 7) or H.265 (ExHeader, FourCC 'hvc1'); a sequence header
 * whenever the parameter sets are first seen or change, then one tag per access unit with
 * CompositionTime = PTS - DTS; parameter sets and AUDs stay out of the frame tags; frames
 * before the first keyframe are dropped, and again after the video codec changes. Audio:
 * AAC (an AAC sequence header once and on change, then one tag per frame, 1024 samples
 * apart) or G.711 A-law/µ-law (one tag per PES); until the first video keyframe it is held
 * (see FlvMuxerOptions.waitForVideo).
 *
 * Audio and video share one time base, the 90 kHz times of the PS: milliseconds from the
 * first written frame's DTS, across the 33-bit wrap, never going backwards per track.
 * Device input does not make it throw: bad parameter sets and ADTS are counted in `stats`.
 *
 * A late viewer starts with fileHeader() + headerTags() + the tags since the last keyframe.
 */
export class FlvMuxer {
  private readonly clock = new FlvClock();
  private readonly audio = new FlvAudioTrack();
  private video: FlvVideoTrack | undefined;
  private videoStarted = false;
  /** False until the first video keyframe is written (or at once without waitForVideo). */
  private streamStarted: boolean;
  /** Set by startWithoutVideo(): video is ignored from then on. */
  private withoutVideo = false;
  private readonly heldAudio: ElementaryFrame[] = [];
  private audioHeaderDue = false;
  private rejectedBefore = 0;

  constructor(options: FlvMuxerOptions = {}) {
    this.streamStarted = options.waitForVideo === false;
  }

  get stats(): FlvMuxerStats {
    return {
      rejectedParameterSets: this.rejectedParameterSets,
      droppedAudioFrames: this.audio.dropped,
    };
  }

  /** Parameter set updates ignored because the SPS or the record could not be built. */
  get rejectedParameterSets(): number {
    return this.rejectedBefore + (this.video?.rejected ?? 0);
  }

  /** The latest video SPS, parsed, with its codec. */
  get videoSps(): VideoSps | undefined {
    return this.video?.sps;
  }

  get videoCodec(): VideoCodec | undefined {
    return this.video?.codec;
  }

  get audioCodec(): AudioCodec | undefined {
    return this.audio.codec;
  }

  /** Which tracks the stream has shown so far, for the FLV header flags. */
  get tracks(): { video: boolean; audio: boolean } {
    const audio = this.audio.codec !== undefined || this.heldAudio.length > 0;
    return { video: this.video !== undefined, audio };
  }

  /** The FLV file header (and PreviousTagSize0) with the flags of `tracks`. */
  fileHeader(): Uint8Array {
    return flvHeader(this.tracks);
  }

  /** True once startWithoutVideo() made this an audio-only stream. */
  get audioOnly(): boolean {
    return this.withoutVideo;
  }

  /**
   * Makes this an audio-only stream (a channel found to send no video, audio-only.ts): the
   * audio held for the first keyframe is written now, later audio at once, and video is
   * ignored from here on, as the file header given to viewers says there is none. Returns
   * the tags of the held audio.
   */
  startWithoutVideo(): Uint8Array[] {
    this.withoutVideo = true;
    return this.streamStarted ? [] : this.startStream();
  }

  /** Returns the tags for one frame, possibly none (see the class comment). */
  push(frame: ElementaryFrame): Uint8Array[] {
    return frame.kind === 'video' ? this.pushVideo(frame) : this.pushAudio(frame);
  }

  private pushVideo(frame: ElementaryFrame): Uint8Array[] {
    if (this.withoutVideo) return [];
    const track = this.videoTrack(frame.codec === 'h265' ? 'h265' : 'h264');
    const nals = frame.nals ?? splitAnnexB(frame.data);
    const configChanged = track.update(nals);
    const keyframe = frame.keyframe || track.isKeyframe(nals);
    if (!this.videoStarted && !(keyframe && track.configured)) return [];

    const ms = this.clock.toMs('video', frame.dts);
    if (ms === undefined) return [];
    const tags: Uint8Array[] = [];
    const header =
      configChanged || !this.videoStarted ? this.videoSequenceHeaderTag(ms) : undefined;
    if (header !== undefined) tags.push(header);
    this.videoStarted = true;

    const composition = Math.round(delta33(frame.pts, frame.dts) / 90);
    const tag = track.frameTag(ms, nals, keyframe, composition);
    if (tag !== undefined) tags.push(tag);
    if (!this.streamStarted) tags.push(...this.startStream());
    return tags;
  }

  private startStream(): Uint8Array[] {
    this.streamStarted = true;
    const held = this.heldAudio.splice(0);
    return held.flatMap((frame) => this.pushAudio(frame));
  }

  // A new codec starts a new track: its parameter sets and a keyframe are awaited again.
  private videoTrack(codec: VideoCodec): FlvVideoTrack {
    if (this.video?.codec === codec) return this.video;
    this.rejectedBefore += this.video?.rejected ?? 0;
    this.video = new FlvVideoTrack(codec);
    this.videoStarted = false;
    return this.video;
  }

  private pushAudio(frame: ElementaryFrame): Uint8Array[] {
    // The demuxer completes a video access unit only when the next one begins, so the audio
    // packed beside the first keyframe comes out before it: hold it, oldest dropped first.
    if (!this.streamStarted) {
      if (this.heldAudio.push(frame) > FLV_HELD_AUDIO_MAX_FRAMES) this.heldAudio.shift();
      return [];
    }
    const { configChanged, bodies } = this.audio.bodies(frame);
    this.audioHeaderDue ||= configChanged;

    const tags: Uint8Array[] = [];
    for (const { offsetTicks, body } of bodies) {
      const ms = this.clock.toMs('audio', (frame.pts + offsetTicks) % PTS_MODULUS);
      if (ms === undefined) continue;
      const header = this.audioHeaderDue ? this.audioSequenceHeaderTag(ms) : undefined;
      if (header !== undefined) tags.push(header);
      this.audioHeaderDue = false;
      tags.push(flvTag(FLV_TAG_TYPE.audio, ms, body));
    }
    return tags;
  }

  /** The video sequence header tag for the latest parameter sets, at `timestampMs`. */
  videoSequenceHeaderTag(timestampMs = 0): Uint8Array | undefined {
    const body = this.video?.sequenceHeaderBody();
    return body === undefined ? undefined : flvTag(FLV_TAG_TYPE.video, timestampMs, body);
  }

  /** The AAC sequence header tag for the latest AudioSpecificConfig (none for G.711). */
  audioSequenceHeaderTag(timestampMs = 0): Uint8Array | undefined {
    const body = this.audio.sequenceHeaderBody();
    return body === undefined ? undefined : flvTag(FLV_TAG_TYPE.audio, timestampMs, body);
  }

  /** onMetaData: video size and codec id, audio codec id and sample rate, as far as known. */
  metadataTag(): Uint8Array | undefined {
    const video = this.video?.metadata();
    const audio = this.audio.metadata();
    if (video === undefined && audio === undefined) return undefined;
    return flvMetadata({ ...video, ...audio });
  }

  /**
   * What a late viewer needs before the cached tags: metadata and the sequence headers that
   * exist.
   */
  headerTags(timestampMs = 0): Uint8Array[] {
    const tags = [
      this.metadataTag(),
      this.videoSequenceHeaderTag(timestampMs),
      this.audioSequenceHeaderTag(timestampMs),
    ];
    return tags.filter((tag): tag is Uint8Array => tag !== undefined);
  }
}
