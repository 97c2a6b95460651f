/**
 * Bounds on every parse of device input, in one place (STYLE.md, practice 2). Each limit is
 * tested at the limit and one past it by the parser that enforces it.
 */

// SIP and MANSCDP (RFC 3261, GB/T 28181-2016 §A)
/** Largest SIP message accepted on UDP or TCP, headers and body together. */
export const SIP_MAX_MESSAGE_BYTES = 64 * 1024;
/** Most header lines in one SIP message. */
export const SIP_MAX_HEADERS = 128;
/** Largest MANSCDP XML body. */
export const MANSCDP_MAX_BODY_BYTES = 256 * 1024;
/** Most channels accepted in one device's catalog. */
export const CATALOG_MAX_ITEMS = 4096;

// RTP, PS and codecs (RFC 3550, ISO/IEC 13818-1, ISO/IEC 14496-10)
/** Largest RTP packet accepted (UDP datagram or RFC 4571 frame). */
export const RTP_MAX_PACKET_BYTES = 65535;
/** Largest access unit (one frame) assembled from PES packets. */
export const ACCESS_UNIT_MAX_BYTES = 8 * 1024 * 1024;
/** Packets held to restore RTP order before a gap is declared lost. */
export const RTP_REORDER_DEPTH = 32;

// HLS (RFC 8216, ISO/IEC 14496-12)
/** Largest fMP4 media segment buffered before it is cut without waiting for a keyframe. */
export const HLS_SEGMENT_MAX_BYTES = 32 * 1024 * 1024;
/** AAC frames waiting for the next segment (about 40 s at 48 kHz): the oldest are dropped. */
export const HLS_AUDIO_MAX_PENDING_FRAMES = 2048;
/** Audio PES held by the segmenter before its first video keyframe. */
export const HLS_HELD_AUDIO_MAX_FRAMES = 64;

// FLV (FLV spec v10 Annex E)
/** Audio PES held by the FLV muxer while it waits for the first video keyframe. */
export const FLV_HELD_AUDIO_MAX_FRAMES = 64;
