import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import { initSegment, mediaSegment } from './fmp4.ts';
import type { Fmp4Sample } from './fmp4.ts';
import {
  buildAvcDecoderConfigurationRecord,
  H264_NAL,
  nalType,
  parseSps,
  splitAnnexB,
  toAvcc,
} from './h264.ts';
import { HLS_SEGMENT_MAX_BYTES } from './limits.ts';
import type { ElementaryFrame } from './ps-demuxer.ts';

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
 * init segment and `init` applies to the segments returned after it.
 */
export interface SegmenterOutput {
  init?: Uint8Array;
  segment?: HlsSegment;
}

/** Counters a media node reports per interval. */
export interface SegmenterStats {
  /** Frames dropped while waiting for a keyframe with known SPS and PPS. */
  skippedFrames: number;
  /** SPS/PPS updates ignored because the SPS could not be parsed. */
  rejectedParameterSets: number;
  /** Segments cut without a keyframe because they reached maxSegmentBytes. */
  forcedCuts: number;
}

const TIMESCALE = 90000;
const TRACK_ID = 1;
const TIMESTAMP_MODULUS = 2 ** 33;
/** A DTS step beyond this (or not forward) is a device clock jump, not elapsed time. */
const MAX_FRAME_STEP = 10 * TIMESCALE;
const DEFAULT_FRAME_STEP = TIMESCALE / 25;
const MAX_COMPOSITION_OFFSET = 0x7fffffff;
const IN_CONFIG_OR_AUD: ReadonlySet<number> = new Set([H264_NAL.sps, H264_NAL.pps, H264_NAL.aud]);

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
}

/**
 * Cuts H.264 frames (Annex B access units with 90 kHz PTS/DTS, as PsDemuxer emits them) into
 * HLS fMP4 segments (RFC 8216 §3.3): each starts at a keyframe and is cut at the first
 * keyframe at least `targetDurationS` after its start. The init segment is built from the
 * SPS and PPS seen (ISO/IEC 14496-15 §5.3.3) and sent again, with a discontinuity, when they
 * change. Samples are AVCC without SPS, PPS and AUD units.
 *
 * Decode times count from the first frame's DTS, survive the 33-bit wrap and never go
 * backwards: a step that is not forward or longer than 10 s is taken as the previous frame
 * duration. Composition offsets (PTS - DTS) carry B-frame reordering. Frames before the
 * first keyframe with SPS and PPS are dropped and counted; audio frames are ignored. Memory
 * is bounded by maxSegmentBytes plus one frame.
 */
export class Segmenter {
  readonly stats: SegmenterStats = { skippedFrames: 0, rejectedParameterSets: 0, forcedCuts: 0 };
  private readonly targetTicks: number;
  private readonly maxSegmentBytes: number;
  private readonly config = new H264Config();
  private nextSequence: number;
  private segment: OpenSegment | undefined;
  private initPending = false;
  private initsSent = 0;
  private lastDts: number | undefined;
  private lastTicks = 0;
  private lastStep = DEFAULT_FRAME_STEP;

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
  }

  /**
   * Takes the next frame in decode order. Device input does not make it throw; it throws
   * ArgusError CODEC_UNSUPPORTED for H.265 video (the fMP4 writer takes an hvcC record, but
   * this segmenter only builds avcC records).
   */
  push(frame: ElementaryFrame): SegmenterOutput {
    if (frame.kind !== 'video') return {};
    if (frame.codec !== 'h264') {
      throw new ArgusError(
        errorCodes.CODEC_UNSUPPORTED,
        `Cannot segment HLS: video codec is not H.264: ${frame.codec}`,
      );
    }
    const nals = splitAnnexB(frame.data);
    const changed = this.config.update(nals, this.stats);
    this.initPending ||= changed;
    const units = nals.filter((nal) => !IN_CONFIG_OR_AUD.has(nalType(nal)));
    const keyframe = frame.keyframe || units.some((nal) => nalType(nal) === H264_NAL.idr);
    const canOpen = keyframe && this.config.record !== undefined;
    if (units.length === 0 || (this.segment === undefined && !canOpen)) {
      if (units.length > 0) this.stats.skippedFrames += 1;
      return {};
    }

    const ticks = this.advance(frame.dts);
    const data = toAvcc(units);
    const out: SegmenterOutput = {};
    if (this.segment !== undefined && this.mustCut(this.segment, keyframe, ticks, data.length)) {
      out.segment = this.close(this.segment, ticks);
      this.segment = undefined;
    }
    if (this.segment === undefined) {
      if (this.initPending && canOpen) out.init = this.takeInit();
      // A later init segment starts a new timeline of parameters (RFC 8216 §4.3.2.3).
      const discontinuity = out.init !== undefined && this.initsSent > 1;
      this.segment = { startTicks: ticks, samples: [], bytes: 0, discontinuity };
    }
    this.segment.samples.push({ data, ticks, keyframe, compositionOffset: offsetOf(frame) });
    this.segment.bytes += data.length;
    return out;
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
    const { record, width, height } = this.config;
    this.initPending = false;
    this.initsSent += 1;
    const config = record ?? new Uint8Array(0);
    return initSegment([
      { id: TRACK_ID, kind: 'video', codec: 'h264', timescale: TIMESCALE, width, height, config },
    ]);
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

    const fragment = { trackId: TRACK_ID, baseDecodeTime: segment.startTicks, samples };
    // mfhd sequence numbers usually start at 1 (ISO/IEC 14496-12 §8.8.5.1).
    const bytes = mediaSegment((sequence + 1) % 2 ** 32, [fragment]);
    const durationS = (endTicks - segment.startTicks) / TIMESCALE;
    return { bytes, durationS, sequence, discontinuity: segment.discontinuity };
  }
}

/** Signed difference of two 33-bit 90 kHz times, for deltas below 2^32 ticks (13 hours). */
function delta33(to: number, from: number): number {
  const d = (((to - from) % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS;
  return d >= TIMESTAMP_MODULUS / 2 ? d - TIMESTAMP_MODULUS : d;
}

function offsetOf(frame: ElementaryFrame): number {
  const offset = delta33(frame.pts, frame.dts);
  return Math.max(-MAX_COMPOSITION_OFFSET, Math.min(MAX_COMPOSITION_OFFSET, offset));
}

function optionError(reason: string): ArgusError {
  return new ArgusError(errorCodes.VALIDATION, `Cannot create HLS segmenter: ${reason}`);
}

/** The latest SPS and PPS, and the avcC record and picture size they give. */
class H264Config {
  record: Uint8Array | undefined;
  width = 0;
  height = 0;
  private sps: Uint8Array | undefined;
  private pps: Uint8Array | undefined;

  /** Keeps the last SPS and PPS of `nals`; true where the record changed. */
  update(nals: Uint8Array[], stats: SegmenterStats): boolean {
    const sps = nals.findLast((nal) => nalType(nal) === H264_NAL.sps);
    const pps = nals.findLast((nal) => nalType(nal) === H264_NAL.pps);
    const newSps = sps !== undefined && !sameBytes(sps, this.sps) ? sps : undefined;
    const newPps = pps !== undefined && !sameBytes(pps, this.pps) ? pps : undefined;
    if (newSps === undefined && newPps === undefined) return false;

    try {
      return this.apply(newSps?.slice() ?? this.sps, newPps?.slice() ?? this.pps);
    } catch (error) {
      if (!isArgusError(error, errorCodes.CODEC_MALFORMED)) throw error;
      stats.rejectedParameterSets += 1;
      return false;
    }
  }

  private apply(sps: Uint8Array | undefined, pps: Uint8Array | undefined): boolean {
    const parsed = sps === undefined ? undefined : parseSps(sps);
    const record =
      sps !== undefined && pps !== undefined
        ? buildAvcDecoderConfigurationRecord(sps, pps)
        : undefined;
    this.sps = sps;
    this.pps = pps;
    this.record = record;
    this.width = parsed?.width ?? 0;
    this.height = parsed?.height ?? 0;
    return record !== undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
