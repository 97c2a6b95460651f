import { ArgusError, errorCodes } from '../../src/errors.ts';
import { delta33 } from './flv-clock.ts';
import { initSegment, mediaSegment } from './fmp4.ts';
import type { Fmp4Fragment, Fmp4Sample, TrackInfo } from './fmp4.ts';
import { splitAnnexB, toAvcc } from './h264.ts';
import { HlsAudioTrack } from './hls-audio.ts';
import type { HlsAudioStats } from './hls-audio.ts';
import { HLS_HELD_AUDIO_MAX_FRAMES, HLS_SEGMENT_MAX_BYTES } from './limits.ts';
import type { ElementaryFrame, VideoCodec } from './ps-demuxer.ts';
import { VideoConfig } from './video-config.ts';

/** Options of a Segmenter. */
export interface SegmenterOptions {
  /** A segment is cut at the first keyframe at least this long after its start. */
  targetDurationS: number;
  /** Sequence number of the first segment (default 0). */
  firstSequence?: number;
  /** A segment this large is cut at the next frame, keyframe or not (HLS_SEGMENT_MAX_BYTES). */
  maxSegmentBytes?: number;
}

/** One fMP4 media segment and what the playlist needs to list it. */
export interface HlsSegment {
  bytes: Uint8Array;
  durationS: number;
  sequence: number;
  /** The first segment of a new init segment: list it after EXT-X-DISCONTINUITY. */
  discontinuity: boolean;
}

/**
 * What one frame produced. Where both are present, `segment` is the last one of the previous
 * init segment and `init` applies to the segments returned after it. An `init` alone while no
 * segment followed the previous one replaces it (a track was learnt in the first segment).
 */
export interface SegmenterOutput {
  init?: Uint8Array;
  segment?: HlsSegment;
}

/** Counters a media node reports per interval. */
export interface SegmenterStats extends HlsAudioStats {
  /** Frames dropped while waiting for a keyframe with known parameter sets. */
  skippedFrames: number;
  /** Parameter set updates ignored because the SPS or the record could not be built. */
  rejectedParameterSets: number;
  /** Segments cut without a keyframe because they reached maxSegmentBytes. */
  forcedCuts: number;
  /** Audio PES of a codec fMP4 segments do not carry here (G.711). */
  ignoredAudioFrames: number;
}

const TIMESCALE = 90000;
const VIDEO_TRACK_ID = 1;
const AUDIO_TRACK_ID = 2;
/** A DTS step beyond this (or not forward) is a device clock jump, not elapsed time. */
const MAX_FRAME_STEP = 10 * TIMESCALE;
const DEFAULT_FRAME_STEP = TIMESCALE / 25;
const MAX_COMPOSITION_OFFSET = 0x7fffffff;

interface PendingSample {
  data: Uint8Array;
  /** Decode time on the segmenter's timeline (90 kHz from the first frame). */
  ticks: number;
  keyframe: boolean;
  compositionOffset: number;
}

interface OpenSegment {
  startTicks: number;
  samples: PendingSample[];
  bytes: number;
  discontinuity: boolean;
  /** It opened with a new init segment, which may still be rebuilt until it is returned. */
  opensInit: boolean;
}

/**
 * Cuts H.264 or H.265 frames (Annex B access units with 90 kHz PTS/DTS, as PsDemuxer emits
 * them) and AAC audio into HLS fMP4 segments (RFC 8216 §3.3): each starts at a keyframe and
 * is cut at the first keyframe at least `targetDurationS` after its start. The init segment
 * holds the video track (avcC, ISO/IEC 14496-15 §5.3.3, or hvcC for `hvc1`, §8.3.3) and,
 * once ADTS was seen, an AAC track; it is sent again, with a discontinuity, when the
 * parameter sets, the video codec or the AudioSpecificConfig change. Video samples are
 * length-prefixed NAL units without parameter sets and AUDs; each segment carries the audio
 * frames received while it was open as a second fragment (hls-audio.ts). G.711 is ignored.
 *
 * Decode times count from the first frame's DTS, survive the 33-bit wrap and never go
 * backwards: a step that is not forward or longer than 10 s is taken as the previous frame
 * duration. Audio times follow the video timeline from the latest video frame. Composition
 * offsets (PTS - DTS) carry B-frame reordering. Frames before the first keyframe with
 * parameter sets are dropped and counted. A channel without video (startAudioOnly()) is
 * segmented from its AAC alone, on the audio's own timeline, cut every `targetDurationS`;
 * G.711 without video cannot be served (`problem`). Memory is bounded by maxSegmentBytes plus one
 * frame, and the audio limits of limits.ts.
 */
export class Segmenter {
  readonly stats: SegmenterStats;
  private readonly targetTicks: number;
  private readonly maxSegmentBytes: number;
  private readonly audio = new HlsAudioTrack(AUDIO_TRACK_ID);
  private video = new VideoConfig('h264');
  private rejectedBefore = 0;
  private heldAudio: ElementaryFrame[] = [];
  private nextSequence: number;
  private segment: OpenSegment | undefined;
  private initPending = false;
  private initsSent = 0;
  private lastDts: number | undefined;
  private lastTicks = 0;
  private lastStep = DEFAULT_FRAME_STEP;
  private audioOnly = false;
  private refusal: string | undefined;

  /** Throws ArgusError VALIDATION where an option is out of range. */
  constructor(opts: SegmenterOptions) {
    if (!(opts.targetDurationS > 0 && Number.isFinite(opts.targetDurationS))) {
      throw optionError(`target duration is not a positive number: ${opts.targetDurationS}`);
    }
    this.targetTicks = opts.targetDurationS * TIMESCALE;
    this.nextSequence = opts.firstSequence ?? 0;
    this.maxSegmentBytes = opts.maxSegmentBytes ?? HLS_SEGMENT_MAX_BYTES;
    if (!Number.isSafeInteger(this.nextSequence) || this.nextSequence < 0) {
      throw optionError(`first sequence is not a whole number ≥ 0: ${this.nextSequence}`);
    }
    if (!Number.isSafeInteger(this.maxSegmentBytes) || this.maxSegmentBytes < 1) {
      throw optionError(`max segment bytes is not a whole number ≥ 1: ${this.maxSegmentBytes}`);
    }
    const counters = { skippedFrames: 0, rejectedParameterSets: 0, forcedCuts: 0 };
    this.stats = Object.assign(this.audio.stats, { ...counters, ignoredAudioFrames: 0 });
  }

  /** Why this stream gives no segments, once that is known (G.711 without video). */
  get problem(): string | undefined {
    return this.refusal;
  }

  /** Takes the next frame in decode order. Device input does not make it throw. */
  push(frame: ElementaryFrame): SegmenterOutput {
    if (this.audioOnly) return this.pushAudioOnly(frame);
    if (frame.kind === 'audio') return this.pushAudio(frame);
    return this.pushVideo(frame);
  }

  /**
   * Makes this an audio-only stream (a channel found to send no video, audio-only.ts): the
   * init segment holds the AAC track alone, segments are cut every `targetDurationS` of
   * audio, and video is dropped from here on. Returns what the audio held for the first
   * keyframe produced, in order.
   */
  startAudioOnly(): SegmenterOutput[] {
    this.audioOnly = true;
    return this.heldAudio.splice(0).map((frame) => this.pushAudioOnly(frame));
  }

  /**
   * Ends the segment in progress (its last frame lasting as long as the one before) and
   * returns it. Later frames continue the same timeline from the next keyframe.
   */
  flush(): SegmenterOutput {
    if (this.segment === undefined) return {};
    const segment = this.close(this.segment, this.lastTicks + this.lastStep);
    this.segment = undefined;
    return { segment };
  }

  private pushVideo(frame: ElementaryFrame): SegmenterOutput {
    const out: SegmenterOutput = this.switchCodec(frame.codec === 'h265' ? 'h265' : 'h264');
    const nals = frame.nals ?? splitAnnexB(frame.data);
    this.initPending ||= this.updateConfig(nals);
    const units = this.video.sampleUnits(nals);
    const keyframe = frame.keyframe || this.video.isKeyframe(units);
    const canOpen = keyframe && this.video.record !== undefined;
    if (units.length === 0 || (this.segment === undefined && !canOpen)) {
      if (units.length > 0) this.stats.skippedFrames += 1;
      return out;
    }

    const ticks = this.advance(frame.dts);
    const data = toAvcc(units);
    if (this.segment !== undefined && this.mustCut(this.segment, keyframe, ticks, data.length)) {
      out.segment = this.close(this.segment, ticks);
      this.segment = undefined;
    }
    if (this.segment === undefined) this.open(out, ticks, canOpen);
    const sample = { data, ticks, keyframe, compositionOffset: offsetOf(frame) };
    this.segment?.samples.push(sample);
    if (this.segment !== undefined) this.segment.bytes += data.length;
    return out;
  }

  // A new video codec starts a new configuration: the open segment ends where it is.
  private switchCodec(codec: VideoCodec): SegmenterOutput {
    if (this.video.codec === codec) return {};
    this.rejectedBefore += this.video.rejected;
    this.video = new VideoConfig(codec);
    return this.flush();
  }

  private updateConfig(nals: Uint8Array[]): boolean {
    const changed = this.video.update(nals);
    this.stats.rejectedParameterSets = this.rejectedBefore + this.video.rejected;
    return changed;
  }

  private open(out: SegmenterOutput, ticks: number, canOpen: boolean): void {
    const firstEver = this.initsSent === 0;
    if (this.initPending && canOpen) {
      if (firstEver) this.releaseHeldAudio();
      out.init = this.takeInit();
    }
    // A later init segment starts a new timeline of parameters (RFC 8216 §4.3.2.3).
    const opensInit = out.init !== undefined;
    const discontinuity = opensInit && this.initsSent > 1;
    this.segment = { startTicks: ticks, samples: [], bytes: 0, discontinuity, opensInit };
  }

  private pushAudio(frame: ElementaryFrame): SegmenterOutput {
    if (frame.codec !== 'aac') {
      this.stats.ignoredAudioFrames += 1;
      return {};
    }
    if (this.lastDts === undefined) {
      // No timeline yet: kept until the first keyframe opens one (newest kept).
      if (this.heldAudio.push(frame) > HLS_HELD_AUDIO_MAX_FRAMES) this.heldAudio.shift();
      return {};
    }
    if (!this.audio.push(frame.data, this.ticksOf(frame.pts))) return {};
    // The first segment of an init has not been returned: its init can still take the track.
    if (this.segment?.opensInit === true) return { init: this.buildInit() };
    this.initPending = true;
    return {};
  }

  private pushAudioOnly(frame: ElementaryFrame): SegmenterOutput {
    if (frame.kind === 'video') {
      this.stats.skippedFrames += 1;
      return {};
    }
    if (frame.codec !== 'aac') return this.refuseAudio(frame.codec);

    const out: SegmenterOutput = {};
    const ticks = this.advance(frame.pts);
    if (this.segment !== undefined && ticks - this.segment.startTicks >= this.targetTicks) {
      out.segment = this.close(this.segment, ticks);
      this.segment = undefined;
    }
    // A new AudioSpecificConfig drops the samples of the old one, the open segment's too.
    if (this.audio.push(frame.data, ticks)) {
      this.initPending = true;
      this.segment = undefined;
    }
    if (this.segment === undefined && this.audio.configured) this.openAudioOnly(out, ticks);
    return out;
  }

  private openAudioOnly(out: SegmenterOutput, ticks: number): void {
    if (this.initPending || this.initsSent === 0) out.init = this.takeInit();
    const opensInit = out.init !== undefined;
    const discontinuity = opensInit && this.initsSent > 1;
    this.segment = { startTicks: ticks, samples: [], bytes: 0, discontinuity, opensInit };
  }

  // fMP4 has no G.711 sample entry that browsers (Media Source Extensions) decode.
  private refuseAudio(codec: ElementaryFrame['codec']): SegmenterOutput {
    this.stats.ignoredAudioFrames += 1;
    this.refusal ??= `Cannot segment audio-only HLS: fMP4 for browsers carries AAC, not ${codec}`;
    return {};
  }

  private releaseHeldAudio(): void {
    for (const frame of this.heldAudio.splice(0)) {
      this.audio.push(frame.data, this.ticksOf(frame.pts));
    }
  }

  /** A 90 kHz PES time on the timeline, measured from the latest video frame. */
  private ticksOf(pts: number): number {
    return this.lastDts === undefined ? 0 : this.lastTicks + delta33(pts, this.lastDts);
  }

  // Decode time of a frame on the timeline, from its 33-bit DTS.
  private advance(dts: number): number {
    if (this.lastDts !== undefined) {
      const step = delta33(dts, this.lastDts);
      this.lastStep = step > 0 && step <= MAX_FRAME_STEP ? step : this.lastStep;
      this.lastTicks += this.lastStep;
    }
    this.lastDts = dts;
    return this.lastTicks;
  }

  private mustCut(segment: OpenSegment, keyframe: boolean, ticks: number, size: number): boolean {
    if (keyframe && (this.initPending || ticks - segment.startTicks >= this.targetTicks)) {
      return true;
    }
    const full = segment.bytes + size > this.maxSegmentBytes;
    if (full) this.stats.forcedCuts += 1;
    return full;
  }

  private takeInit(): Uint8Array {
    this.initPending = false;
    this.initsSent += 1;
    return this.buildInit();
  }

  private buildInit(): Uint8Array {
    const tracks: TrackInfo[] = this.audioOnly ? [] : [this.videoTrack()];
    const audio = this.audio.trackInfo();
    if (audio !== undefined) tracks.push(audio);
    return initSegment(tracks);
  }

  private videoTrack(): TrackInfo {
    const { codec, record } = this.video;
    const sps = this.video.sps?.sps;
    return {
      id: VIDEO_TRACK_ID,
      kind: 'video',
      codec,
      timescale: TIMESCALE,
      width: sps?.width ?? 0,
      height: sps?.height ?? 0,
      config: record ?? new Uint8Array(0),
    };
  }

  // The segment as bytes, its last sample lasting until `endTicks`.
  private close(segment: OpenSegment, endTicks: number): HlsSegment {
    const samples: Fmp4Sample[] = segment.samples.map((sample, i) => ({
      data: sample.data,
      duration: (segment.samples[i + 1]?.ticks ?? endTicks) - sample.ticks,
      keyframe: sample.keyframe,
      compositionOffset: sample.compositionOffset,
    }));
    const sequence = this.nextSequence;
    this.nextSequence += 1;

    const fragments: Fmp4Fragment[] = [];
    if (samples.length > 0) {
      fragments.push({ trackId: VIDEO_TRACK_ID, baseDecodeTime: segment.startTicks, samples });
    }
    const audio = this.audio.takeFragment();
    if (audio !== undefined) fragments.push(audio);
    // mfhd sequence numbers usually start at 1 (ISO/IEC 14496-12 §8.8.5.1).
    const bytes = mediaSegment((sequence + 1) % 2 ** 32, fragments);
    const durationS = (endTicks - segment.startTicks) / TIMESCALE;
    return { bytes, durationS, sequence, discontinuity: segment.discontinuity };
  }
}

function offsetOf(frame: ElementaryFrame): number {
  const offset = delta33(frame.pts, frame.dts);
  return Math.max(-MAX_COMPOSITION_OFFSET, Math.min(MAX_COMPOSITION_OFFSET, offset));
}

function optionError(reason: string): ArgusError {
  return new ArgusError(errorCodes.VALIDATION, `Cannot create HLS segmenter: ${reason}`);
}
