import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import { ByteWriter } from './bytes.ts';
import {
  buildAvcDecoderConfigurationRecord,
  H264_NAL,
  nalType,
  parseSps,
  splitAnnexB,
  toAvcc,
} from './h264.ts';
import type { H264Sps } from './h264.ts';
import type { ElementaryFrame } from './ps-demuxer.ts';

/** TagType values (FLV spec v10 §E.4.1). */
export const FLV_TAG_TYPE = { audio: 8, video: 9, script: 18 } as const;

/** CodecID of H.264 video tags (FLV spec v10 §E.4.3.1). */
const AVC_CODEC_ID = 7;
const TAG_HEADER_BYTES = 11;
const MAX_TAG_BODY_BYTES = 0xffffff;

/**
 * The FLV file header (FLV spec v10 §E.2) followed by PreviousTagSize0 (0): 13 bytes.
 */
export function flvHeader(opts: { video: boolean; audio: boolean }): Uint8Array {
  const flags = (opts.audio ? 0x04 : 0) | (opts.video ? 0x01 : 0);
  return new ByteWriter(13).u24(0x464c56).u8(1).u8(flags).u32(9).u32(0).finish();
}

/**
 * One FLV tag (FLV spec v10 §E.4.1) and its PreviousTagSize: the timestamp is written as
 * 24 bits plus TimestampExtended (taken modulo 2^32), StreamID 0. Throws ArgusError
 * CODEC_MALFORMED where the body is longer than 2^24 - 1 bytes or the time is negative.
 */
export function flvTag(type: 8 | 9 | 18, timestampMs: number, body: Uint8Array): Uint8Array {
  if (body.length > MAX_TAG_BODY_BYTES) {
    throw tagError(`body above ${MAX_TAG_BODY_BYTES} bytes: ${body.length}`);
  }
  if (!(timestampMs >= 0)) throw tagError(`time is negative: ${timestampMs}`);
  const time = Math.floor(timestampMs) % 2 ** 32;
  const writer = new ByteWriter(TAG_HEADER_BYTES + body.length + 4);
  writer.u8(type).u24(body.length);
  writer
    .u24(time & 0xffffff)
    .u8(time >>> 24)
    .u24(0);
  writer.bytesFrom(body).u32(TAG_HEADER_BYTES + body.length);
  return writer.finish();
}

function tagError(reason: string): ArgusError {
  return new ArgusError(errorCodes.CODEC_MALFORMED, `Cannot write FLV tag: ${reason}`);
}

/** Fields of the onMetaData script tag. */
export interface FlvMetadata {
  width: number;
  height: number;
  framerate?: number;
  videocodecid?: number;
}

/**
 * A script data tag (FLV spec v10 §E.4.4) at time 0: the AMF0 string `onMetaData` and an
 * ECMA array of the given numbers (AMF0 spec §2.10), undefined fields left out.
 */
export function flvMetadata(meta: FlvMetadata): Uint8Array {
  const entries = Object.entries(meta).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number',
  );
  const keys = entries.map(([key]) => new TextEncoder().encode(key));
  const name = new TextEncoder().encode('onMetaData');
  let size = 3 + name.length + 5 + 3;
  for (const key of keys) size += 2 + key.length + 9;

  const writer = new ByteWriter(size);
  writer.u8(0x02).u16(name.length).bytesFrom(name); // AMF0 string marker
  writer.u8(0x08).u32(entries.length); // AMF0 ECMA array marker, associative count
  entries.forEach(([, value], i) => {
    const key = keys[i] ?? new Uint8Array(0);
    writer.u16(key.length).bytesFrom(key).u8(0x00).f64(value); // AMF0 number marker
  });
  writer.u24(0x000009); // object end marker
  return flvTag(FLV_TAG_TYPE.script, 0, writer.finish());
}

const TIMESTAMP_MODULUS = 2 ** 33;
const MAX_COMPOSITION_MS = 0x7fffff;

/** Signed difference of two 33-bit 90 kHz times, for deltas below 2^32 ticks (13 hours). */
function delta33(to: number, from: number): number {
  const d = (((to - from) % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS;
  return d >= TIMESTAMP_MODULUS / 2 ? d - TIMESTAMP_MODULUS : d;
}

/**
 * Stateful H.264 → FLV (FLV spec v10 §E.4.3, ISO/IEC 14496-15 §5.2.4): feed Annex B access
 * units; emits the AVC sequence header tag (AVCPacketType 0) whenever SPS/PPS are first seen
 * or change, then one NALU tag (AVCPacketType 1, CompositionTime = PTS - DTS in ms) per
 * frame, without SPS, PPS and AUD units. Frames before the first keyframe are dropped.
 * Times are milliseconds from the first emitted frame's DTS, survive the 33-bit wrap and
 * never go backwards. Audio frames are ignored.
 *
 * The latest sequence header and metadata stay available, so a late viewer can be started
 * with flvHeader + metadataTag() + sequenceHeaderTag() + the tags since the last keyframe.
 */
export class FlvH264Muxer {
  private spsNal: Uint8Array | undefined;
  private ppsNal: Uint8Array | undefined;
  private parsedSps: H264Sps | undefined;
  private record: Uint8Array | undefined;
  private started = false;
  private lastDts = 0;
  private elapsedTicks = 0;
  private lastMs = 0;
  private rejected = 0;

  /** The latest SPS, parsed. */
  get sps(): H264Sps | undefined {
    return this.parsedSps;
  }

  /** SPS/PPS updates ignored because the SPS could not be parsed (ISO/IEC 14496-10 §7.3.2.1). */
  get rejectedParameterSets(): number {
    return this.rejected;
  }

  /**
   * Returns the tags for one frame (none for audio or before the first keyframe). Device
   * input does not make it throw: an SPS that cannot be parsed is counted in
   * `rejectedParameterSets` and the previous one kept. Throws ArgusError CODEC_UNSUPPORTED
   * for a video codec other than H.264 (the caller chose the wrong muxer).
   */
  push(frame: ElementaryFrame): Uint8Array[] {
    if (frame.kind !== 'video') return [];
    if (frame.codec !== 'h264') {
      throw new ArgusError(
        errorCodes.CODEC_UNSUPPORTED,
        `Cannot mux FLV: video codec is not H.264: ${frame.codec}`,
      );
    }
    const nals = splitAnnexB(frame.data);
    const configChanged = this.updateParameterSets(nals);
    const keyframe = frame.keyframe || nals.some((nal) => nalType(nal) === H264_NAL.idr);
    if (!this.started && !(keyframe && this.record !== undefined)) return [];

    const ms = this.timestampMs(frame.dts);
    const tags: Uint8Array[] = [];
    const header = configChanged || !this.started ? this.sequenceHeaderTag(ms) : undefined;
    if (header !== undefined) tags.push(header);
    this.started = true;

    const units = nals.filter((nal) => !IN_CONFIG_OR_AUD.has(nalType(nal)));
    if (units.length > 0) tags.push(this.videoTag(frame, keyframe, units, ms));
    return tags;
  }

  /** The AVC sequence header tag for the latest SPS/PPS, at `timestampMs` (default 0). */
  sequenceHeaderTag(timestampMs = 0): Uint8Array | undefined {
    if (this.record === undefined) return undefined;
    const body = new ByteWriter(5 + this.record.length);
    body
      .u8(0x10 | AVC_CODEC_ID)
      .u8(0)
      .u24(0)
      .bytesFrom(this.record);
    return flvTag(FLV_TAG_TYPE.video, timestampMs, body.finish());
  }

  /** The onMetaData tag for the latest SPS (size and codec id 7). */
  metadataTag(): Uint8Array | undefined {
    const sps = this.parsedSps;
    if (sps === undefined) return undefined;
    return flvMetadata({ width: sps.width, height: sps.height, videocodecid: AVC_CODEC_ID });
  }

  // Keeps the last SPS and PPS of the frame; true where the configuration record changed.
  // An SPS that cannot be parsed is counted and ignored: the previous configuration stays.
  private updateParameterSets(nals: Uint8Array[]): boolean {
    const sps = nals.findLast((nal) => nalType(nal) === H264_NAL.sps);
    const pps = nals.findLast((nal) => nalType(nal) === H264_NAL.pps);
    const newSps = sps !== undefined && !sameBytes(sps, this.spsNal) ? sps : undefined;
    const newPps = pps !== undefined && !sameBytes(pps, this.ppsNal) ? pps : undefined;
    if (newSps === undefined && newPps === undefined) return false;

    try {
      return this.applyParameterSets(newSps, newPps);
    } catch (error) {
      if (!isArgusError(error, errorCodes.CODEC_MALFORMED)) throw error;
      this.rejected += 1;
      return false;
    }
  }

  private applyParameterSets(sps: Uint8Array | undefined, pps: Uint8Array | undefined): boolean {
    const spsNal = sps?.slice() ?? this.spsNal;
    const ppsNal = pps?.slice() ?? this.ppsNal;
    const parsed = sps === undefined ? this.parsedSps : parseSps(sps);
    const record =
      spsNal !== undefined && ppsNal !== undefined
        ? buildAvcDecoderConfigurationRecord(spsNal, ppsNal)
        : undefined;
    this.spsNal = spsNal;
    this.ppsNal = ppsNal;
    this.parsedSps = parsed;
    this.record = record;
    return record !== undefined;
  }

  private videoTag(
    frame: ElementaryFrame,
    keyframe: boolean,
    units: Uint8Array[],
    ms: number,
  ): Uint8Array {
    const data = toAvcc(units);
    const cts = Math.round(delta33(frame.pts, frame.dts) / 90);
    const composition = Math.max(-MAX_COMPOSITION_MS - 1, Math.min(MAX_COMPOSITION_MS, cts));
    const body = new ByteWriter(5 + data.length);
    body.u8(((keyframe ? 1 : 2) << 4) | AVC_CODEC_ID).u8(1); // FrameType, AVCPacketType 1
    body.u24(composition & 0xffffff).bytesFrom(data); // SI24 CompositionTime
    return flvTag(FLV_TAG_TYPE.video, ms, body.finish());
  }

  private timestampMs(dts: number): number {
    if (this.started) this.elapsedTicks += delta33(dts, this.lastDts);
    this.lastDts = dts;
    this.lastMs = Math.max(this.lastMs, Math.floor(this.elapsedTicks / 90));
    return this.lastMs;
  }
}

const IN_CONFIG_OR_AUD: ReadonlySet<number> = new Set([H264_NAL.sps, H264_NAL.pps, H264_NAL.aud]);

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
