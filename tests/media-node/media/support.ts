import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp } from '../../../media-node/formats/rtp.ts';

/** A small H.264 access unit: SPS, PPS and an IDR slice, each behind a 4-byte start code. */
export const SMALL_ACCESS_UNIT = new Uint8Array([
  0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1e, 0xab, 0x40, 0x50, 0x1e, 0xc8, 0, 0, 0, 1, 0x68, 0xce, 0x3c,
  0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33, 0xff, 0xfe, 0xf6, 0xf0, 0xfe, 0x05, 0x36, 0x56,
  0x04, 0x50, 0x96, 0x7b, 0x3f, 0x53, 0xe1,
]);

export interface PsFrameOptions {
  /** Index of the frame: sets its PTS and its packets' sequence numbers. */
  readonly index: number;
  readonly ssrc: number;
  readonly packetsPerFrame?: number;
  readonly payloadType?: number;
}

/**
 * One keyframe of SMALL_ACCESS_UNIT as a PS pack in a few RTP packets (marker on the last),
 * numbered so that frame `index` follows frame `index - 1` without a gap.
 */
export function psFramePackets(options: PsFrameOptions): Uint8Array[] {
  const count = options.packetsPerFrame ?? 3;
  const pts = 90_000 + options.index * 3600;
  const pack = muxPsVideoFrame(SMALL_ACCESS_UNIT, { pts, keyframe: true });
  const packets = packetizeRtp(pack, {
    payloadType: options.payloadType ?? 96,
    ssrc: options.ssrc,
    timestamp: pts,
    firstSequence: (options.index * count) & 0xffff,
    maxPayload: Math.ceil(pack.length / count),
  });
  return packets.map(buildRtpPacket);
}

/** A sender report with no report blocks (RFC 3550 §6.4.1): 28 bytes, length field 6. */
export function senderReport(ssrc: number): Uint8Array {
  const sr = new Uint8Array(28);
  const view = new DataView(sr.buffer);
  view.setUint8(0, 0x80);
  view.setUint8(1, 200);
  view.setUint16(2, 6);
  view.setUint32(4, ssrc);
  return sr;
}
