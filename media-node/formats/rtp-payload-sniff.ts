/**
 * Tells what an RTP payload carries from its first bytes, for a stream that should be MPEG-2
 * PS (GB/T 28181-2016 §C) but does not demux: PS, raw H.264/H.265 Annex B (ISO/IEC 14496-10
 * Annex B), or H.264/H.265 packetised for RTP (RFC 6184 §5.2, RFC 7798 §4.4). Pure.
 */
import { isStartCodeAt } from './bytes.ts';

export type RtpPayloadKind =
  'ps' | 'h264-annexb' | 'h265-annexb' | 'h264-rfc6184' | 'h265-rfc7798' | 'unknown';

/** What a person reads in a log for each kind. */
export const RTP_PAYLOAD_DESCRIPTIONS: Readonly<Record<RtpPayloadKind, string>> = {
  ps: 'MPEG-2 program stream',
  'h264-annexb': 'raw H.264 Annex B',
  'h265-annexb': 'raw H.265 Annex B',
  'h264-rfc6184': 'H.264 packetised per RFC 6184',
  'h265-rfc7798': 'H.265 packetised per RFC 7798',
  unknown: 'unrecognised bytes',
};

/** pack_header, system_header, program_stream_map (ISO/IEC 13818-1 Table 2-18). */
const PS_HEADER_IDS = new Set([0xba, 0xbb, 0xbc]);
/** NAL unit types of H.264 that open an access unit or carry a slice (Table 7-1). */
const H264_TYPES = new Set([1, 5, 6, 7, 8, 9]);
/** H.265 VCL types of pictures and the parameter sets, SEI and AUD (Table 7-1). */
const H265_TYPES = new Set([0, 1, 19, 20, 21, 32, 33, 34, 35, 39]);
const H264_STAP_A = 24;
const H264_FU_A = 28;
const H265_AP = 48;
const H265_FU = 49;

/**
 * The kind of one payload, read from the packet that opens a frame (the first one, or the
 * one after a marker): packets in the middle of a frame start anywhere and read as 'unknown'.
 */
export function sniffRtpPayload(payload: Uint8Array): RtpPayloadKind {
  const start = startCodeLength(payload);
  if (start > 0) return sniffAfterStartCode(payload[start] ?? 0, payload[start + 1] ?? 0);
  const first = payload[0] ?? 0;
  const second = payload[1] ?? 0;
  if (fitsH265Header(first, second, true)) return 'h265-rfc7798';
  if (fitsH264Header(first, true)) return 'h264-rfc6184';
  return 'unknown';
}

function sniffAfterStartCode(first: number, second: number): RtpPayloadKind {
  if (PS_HEADER_IDS.has(first) || isPesStreamId(first)) return 'ps';
  if (fitsH265Header(first, second, false)) return 'h265-annexb';
  if (fitsH264Header(first, false)) return 'h264-annexb';
  return 'unknown';
}

/** 3 or 4 for a payload opening with `00 00 01` or `00 00 00 01`, else 0. */
function startCodeLength(payload: Uint8Array): number {
  if (isStartCodeAt(payload, 0)) return 3;
  return payload[0] === 0 && isStartCodeAt(payload, 1) ? 4 : 0;
}

/** Video 0xE0–0xEF, audio 0xC0–0xDF, private_stream_1 0xBD. */
function isPesStreamId(id: number): boolean {
  return (id >= 0xc0 && id <= 0xef) || id === 0xbd;
}

// forbidden_zero_bit 0, a type that opens a frame, and nal_ref_idc 0 for SEI and AUD.
function fitsH264Header(first: number, rtp: boolean): boolean {
  const type = first & 0x1f;
  if (first & 0x80) return false;
  if (rtp && (type === H264_STAP_A || type === H264_FU_A)) return true;
  if (!H264_TYPES.has(type)) return false;
  return type === 6 || type === 9 ? first >> 5 === 0 : true;
}

// Two-byte header: layer 0 and TemporalId 0 (nuh_temporal_id_plus1 1), as cameras send.
function fitsH265Header(first: number, second: number, rtp: boolean): boolean {
  const type = (first >> 1) & 0x3f;
  if (first & 0x81 || second !== 0x01) return false;
  return H265_TYPES.has(type) || (rtp && (type === H265_AP || type === H265_FU));
}

/**
 * Counts the kinds of the payloads that open frames and names the stream's kind: PS as soon
 * as one PS payload was seen, else the kind seen most.
 */
export class RtpPayloadSniffer {
  readonly #counts = new Map<RtpPayloadKind, number>();

  observe(payload: Uint8Array): void {
    const kind = sniffRtpPayload(payload);
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
  }

  get verdict(): RtpPayloadKind {
    if (this.#counts.has('ps')) return 'ps';
    let best: RtpPayloadKind = 'unknown';
    let most = 0;
    for (const [kind, count] of this.#counts) {
      if (kind !== 'unknown' && count > most) [best, most] = [kind, count];
    }
    return best;
  }
}
