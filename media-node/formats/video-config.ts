import { errorCodes, isArgusError } from '../../src/errors.ts';
import { buildAvcDecoderConfigurationRecord, H264_NAL, nalType, parseSps } from './h264.ts';
import type { H264Sps } from './h264.ts';
import {
  buildHevcDecoderConfigurationRecord,
  H265_NAL,
  h265NalType,
  isHevcKeyframe,
  parseHevcSps,
} from './h265.ts';
import type { HevcSps } from './h265.ts';
import type { VideoCodec } from './ps-demuxer.ts';

/** The latest parsed SPS of a video track, by codec. */
export type VideoSps = { codec: 'h264'; sps: H264Sps } | { codec: 'h265'; sps: HevcSps };

/** What differs between H.264 and H.265 in a configuration record and in samples. */
interface CodecRules {
  typeOf(nal: Uint8Array): number;
  /** Parameter set types, in the order buildRecord takes them; SPS first. */
  parameterTypes: readonly number[];
  /** Units left out of samples: parameter sets (they live in the record) and AUDs. */
  outOfBand: ReadonlySet<number>;
  isKeyframe(nals: Uint8Array[]): boolean;
  parseSps(sps: Uint8Array): VideoSps;
  buildRecord(units: Uint8Array[]): Uint8Array;
}

const AVC_RULES: CodecRules = {
  typeOf: nalType,
  parameterTypes: [H264_NAL.sps, H264_NAL.pps],
  outOfBand: new Set([H264_NAL.sps, H264_NAL.pps, H264_NAL.aud]),
  isKeyframe: (nals) => nals.some((nal) => nalType(nal) === H264_NAL.idr),
  parseSps: (sps) => ({ codec: 'h264', sps: parseSps(sps) }),
  buildRecord: ([sps, pps]) => buildAvcDecoderConfigurationRecord(orEmpty(sps), orEmpty(pps)),
};

const HEVC_RULES: CodecRules = {
  typeOf: (nal) => (nal.length < 2 ? -1 : h265NalType(nal)),
  parameterTypes: [H265_NAL.sps, H265_NAL.vps, H265_NAL.pps],
  outOfBand: new Set([H265_NAL.vps, H265_NAL.sps, H265_NAL.pps, H265_NAL.aud]),
  isKeyframe: isHevcKeyframe,
  parseSps: (sps) => ({ codec: 'h265', sps: parseHevcSps(sps) }),
  buildRecord: ([sps, vps, pps]) =>
    buildHevcDecoderConfigurationRecord(orEmpty(vps), orEmpty(sps), orEmpty(pps)),
};

/**
 * The parameter sets of one video codec and the decoder configuration record they make:
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3) from the SPS and PPS of H.264,
 * HEVCDecoderConfigurationRecord (§8.3.3) from the VPS, SPS and PPS of H.265. FLV sequence
 * headers and fMP4 sample entries are both built from it. Parameter sets that cannot be used
 * are counted in `rejected`, never thrown.
 */
export class VideoConfig {
  /** Parameter set updates ignored because the SPS or the record could not be built. */
  rejected = 0;
  private readonly rules: CodecRules;
  private units: (Uint8Array | undefined)[] = [];
  private parsed: VideoSps | undefined;
  private built: Uint8Array | undefined;

  constructor(readonly codec: VideoCodec) {
    this.rules = codec === 'h264' ? AVC_RULES : HEVC_RULES;
  }

  /** The latest SPS, parsed. */
  get sps(): VideoSps | undefined {
    return this.parsed;
  }

  /** The configuration record of the latest complete parameter sets. */
  get record(): Uint8Array | undefined {
    return this.built;
  }

  /** True where a unit is an IDR (H.264) or IRAP (H.265) picture. */
  isKeyframe(nals: Uint8Array[]): boolean {
    return this.rules.isKeyframe(nals);
  }

  /** The units a sample carries: all but parameter sets and AUDs. */
  sampleUnits(nals: Uint8Array[]): Uint8Array[] {
    return nals.filter((nal) => !this.rules.outOfBand.has(this.rules.typeOf(nal)));
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
    this.built = record;
    return record !== undefined;
  }
}

function orEmpty(unit: Uint8Array | undefined): Uint8Array {
  return unit ?? new Uint8Array(0);
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
