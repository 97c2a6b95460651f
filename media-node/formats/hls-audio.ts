import { errorCodes, isArgusError } from '../../src/errors.ts';
import { AAC_SAMPLES_PER_FRAME, audioSpecificConfig, parseAdts } from './aac.ts';
import type { AacConfig } from './aac.ts';
import type { AudioTrackInfo, Fmp4Fragment, Fmp4Sample } from './fmp4.ts';
import { HLS_AUDIO_MAX_PENDING_FRAMES } from './limits.ts';

/** Counters of the audio track, reported with the segmenter's. */
export interface HlsAudioStats {
  /** PES payloads dropped: ADTS that could not be parsed or is not supported. */
  droppedAudioFrames: number;
  /** Times the PES clock and the frame count disagreed by more than the tolerance. */
  audioResyncs: number;
}

interface PendingSample {
  data: Uint8Array;
  /** Decode time in samples (the track's timescale) on the segmenter's timeline. */
  time: number;
}

/** PTS jitter taken as the same timeline: two AAC frames. */
const TOLERANCE_FRAMES = 2;

/**
 * The AAC track of an HLS fMP4 stream (ISO/IEC 14496-14, RFC 8216 §3.3): ADTS PES payloads
 * (ISO/IEC 13818-7 §6.2) become raw frames, one sample each, in a track whose timescale is
 * the sample rate. Sample times count 1024 samples per frame from the PES time of the first
 * frame; a PES time further ahead than two frames is a gap (the previous sample lasts until
 * it), one further behind is ignored, so time never goes backwards. Samples wait here until
 * the segmenter takes them as the fragment of a segment, at most
 * HLS_AUDIO_MAX_PENDING_FRAMES (the oldest dropped). Device input does not make it throw.
 */
export class HlsAudioTrack {
  readonly stats: HlsAudioStats = { droppedAudioFrames: 0, audioResyncs: 0 };
  private config: AacConfig | undefined;
  private asc: Uint8Array | undefined;
  private pending: PendingSample[] = [];
  private nextTime: number | undefined;
  /** True from a configuration change until trackInfo() was taken for a new init segment. */
  private awaitingInit = false;

  constructor(readonly id: number) {}

  /** True once an AudioSpecificConfig is known. */
  get configured(): boolean {
    return this.asc !== undefined;
  }

  /**
   * Takes one audio PES payload whose first frame starts at `ticks` on the segmenter's 90 kHz
   * timeline (negative: before its start; those frames only teach the configuration).
   * Returns true where the AudioSpecificConfig changed: the init segment must be rebuilt.
   */
  push(data: Uint8Array, ticks: number): boolean {
    const parsed = this.parse(data);
    if (parsed === undefined) return false;
    const changed = this.setConfig(parsed.config);

    const rate = parsed.config.sampleRate;
    let time = this.place(Math.round((ticks * rate) / 90000));
    for (const frame of parsed.frames) {
      if (time >= 0) this.pending.push({ data: frame.slice(), time });
      time += AAC_SAMPLES_PER_FRAME;
    }
    if (time >= 0) this.nextTime = time;
    const excess = this.pending.length - HLS_AUDIO_MAX_PENDING_FRAMES;
    if (excess > 0) this.pending.splice(0, excess);
    return changed;
  }

  /**
   * The sample entry for an init segment, or undefined before the configuration is known.
   * Samples after a configuration change are released from then on.
   */
  trackInfo(): AudioTrackInfo | undefined {
    const { config, asc } = this;
    if (config === undefined || asc === undefined) return undefined;
    this.awaitingInit = false;
    const base = { id: this.id, kind: 'audio', codec: 'aac' } as const;
    const { sampleRate, channelConfiguration: channels } = config;
    return { ...base, timescale: sampleRate, sampleRate, channels, config: asc };
  }

  /**
   * The samples waiting, as one fragment (each lasting until the next; the last one frame),
   * or undefined where there are none or they wait for the init segment of a new config.
   */
  takeFragment(): Fmp4Fragment | undefined {
    const first = this.pending[0];
    if (first === undefined || this.awaitingInit) return undefined;
    const samples: Fmp4Sample[] = this.pending.map((sample, i) => ({
      data: sample.data,
      duration: (this.pending[i + 1]?.time ?? sample.time + AAC_SAMPLES_PER_FRAME) - sample.time,
      keyframe: true,
      compositionOffset: 0,
    }));
    this.pending = [];
    return { trackId: this.id, baseDecodeTime: first.time, samples };
  }

  // The time of a PES's first frame: the running count unless the PES clock jumped ahead.
  private place(fromPts: number): number {
    const expected = this.nextTime;
    if (expected === undefined) return fromPts;
    const tolerance = TOLERANCE_FRAMES * AAC_SAMPLES_PER_FRAME;
    if (Math.abs(fromPts - expected) <= tolerance) return expected;
    this.stats.audioResyncs += 1;
    return fromPts > expected ? fromPts : expected;
  }

  private setConfig(config: AacConfig): boolean {
    const asc = audioSpecificConfig(config);
    const previous = this.asc;
    if (previous !== undefined && asc.every((byte, i) => byte === previous[i])) return false;
    // Samples of the old configuration cannot be described by the new init segment.
    this.pending = [];
    this.nextTime = undefined;
    this.config = config;
    this.asc = asc;
    this.awaitingInit = true;
    return true;
  }

  private parse(data: Uint8Array): ReturnType<typeof parseAdts> | undefined {
    try {
      return parseAdts(data);
    } catch (error) {
      const known =
        isArgusError(error, errorCodes.CODEC_MALFORMED) ||
        isArgusError(error, errorCodes.CODEC_UNSUPPORTED);
      if (!known) throw error;
      this.stats.droppedAudioFrames += 1;
      return undefined;
    }
  }
}
