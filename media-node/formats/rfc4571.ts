import { ArgusError, errorCodes } from '../../src/errors.ts';
import { ByteWriter, concatBytes } from './bytes.ts';
import { RTP_MAX_PACKET_BYTES } from './limits.ts';

/** Counters a media node reports per interval instead of logging per frame. */
export interface Rfc4571Stats {
  /** RTP packets returned. */
  frames: number;
  /** RTCP packets recognised and skipped (RFC 5761 §4). */
  rtcp: number;
  /** Times the framing was lost and a byte-by-byte scan began. */
  resyncs: number;
  /** Bytes discarded by those scans. */
  skippedBytes: number;
}

const LENGTH_BYTES = 2;
const RTP_HEADER_BYTES = 12;
/** RTCP common header and the first SSRC (RFC 3550 §6.4): the smallest packet. */
const RTCP_MIN_BYTES = 8;
/** RTCP SR, RR, SDES, BYE and APP (RFC 3550 §12.1). */
const RTCP_FIRST_TYPE = 200;
const RTCP_LAST_TYPE = 204;
/** A scan this long found no frame of the locked source: it is gone or changed its SSRC. */
const UNLOCK_AFTER_BYTES = LENGTH_BYTES + RTP_MAX_PACKET_BYTES;
const EMPTY = new Uint8Array(0);

/** What the framer decided about the bytes at one offset. */
type Verdict = 'more' | 'bad' | { kind: 'rtp' | 'rtcp'; length: number };

/**
 * True where `packet` is an RTCP packet rather than RTP: version 2 and a second octet of
 * 200–204 (RTCP SR, RR, SDES, BYE, APP). Read as RTP, that octet is the marker bit with
 * payload types 72–76, which RFC 5761 §4 keeps out of use where RTP and RTCP share a
 * transport.
 */
export function isRtcp(packet: Uint8Array): boolean {
  const first = packet[0];
  const second = packet[1];
  if (first === undefined || second === undefined) return false;
  return first >> 6 === 2 && second >= RTCP_FIRST_TYPE && second <= RTCP_LAST_TYPE;
}

/**
 * Frames one RTP (or RTCP) packet for a TCP connection (RFC 4571 §2): its length as 16 bits
 * big-endian, then the packet. Throws ArgusError RTP_MALFORMED for an empty packet or one
 * longer than RTP_MAX_PACKET_BYTES.
 */
export function frameRfc4571(packet: Uint8Array): Uint8Array {
  if (packet.length === 0 || packet.length > RTP_MAX_PACKET_BYTES) {
    throw new ArgusError(
      errorCodes.RTP_MALFORMED,
      `Cannot frame RTP packet: length out of range 1..${RTP_MAX_PACKET_BYTES}: ${packet.length}`,
    );
  }
  return new ByteWriter(LENGTH_BYTES + packet.length).u16(packet.length).bytesFrom(packet).finish();
}

/**
 * Splits the byte stream of an RTP-over-TCP connection (RFC 4571 §2; GB/T 28181-2016 §C
 * TCP media) into RTP packets, whatever the read boundaries. RTCP packets multiplexed into
 * the stream are recognised and skipped.
 *
 * The first RTP packet locks the framer to its SSRC. Before that lock, a packet is accepted
 * only once the next frame's header shows the same SSRC, so a stream that starts with
 * garbage does not lock onto it. After it, a frame is accepted where its length is at least
 * an RTP header and at most RTP_MAX_PACKET_BYTES, its version is 2 and its SSRC is the
 * locked one; anything else starts a byte-by-byte scan for the next offset whose frame
 * passes, with a payload type seen before. A scan that passes more than one frame's worth
 * of bytes without a match drops the lock (the source changed).
 *
 * Device input never makes it throw, and it buffers at most one frame and the header after
 * it. Returned packets are views of the pushed chunks (or of a joined copy), so a chunk's
 * buffer must not be reused while its packets are in use.
 */
export class Rfc4571Framer {
  readonly stats: Rfc4571Stats = { frames: 0, rtcp: 0, resyncs: 0, skippedBytes: 0 };
  private carry: Uint8Array = EMPTY;
  private ssrc: number | undefined;
  private readonly payloadTypes = new Set<number>();
  private resyncing = false;
  private scanned = 0;

  /** Bytes held until a frame (and, before the lock, the header after it) is complete. */
  get bufferedBytes(): number {
    return this.carry.length;
  }

  /** Feeds the next bytes read from the connection; returns the RTP packets they complete. */
  push(chunk: Uint8Array): Uint8Array[] {
    const data = this.carry.length > 0 ? concatBytes([this.carry, chunk]) : chunk;
    const packets: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      const verdict = this.judge(data, offset);
      if (verdict === 'more') break;
      if (verdict === 'bad') {
        this.skipByte();
        offset += 1;
        continue;
      }

      const packet = data.subarray(offset + LENGTH_BYTES, offset + LENGTH_BYTES + verdict.length);
      this.accept(packet);
      if (verdict.kind === 'rtp') packets.push(packet);
      offset += LENGTH_BYTES + verdict.length;
    }
    this.carry = offset < data.length ? data.slice(offset) : EMPTY;
    return packets;
  }

  private judge(data: Uint8Array, offset: number): Verdict {
    const header = frameHeader(data, offset);
    if (header === 'more' || header === 'bad') return header;
    const packetStart = offset + LENGTH_BYTES;
    const complete = data.length - packetStart >= header.length;

    if (isRtcp(data.subarray(packetStart, packetStart + 2))) {
      if (this.ssrc !== undefined && header.view.getUint32(4) !== this.ssrc) return 'bad';
      if (!complete) return 'more';
      const packet = data.subarray(packetStart, packetStart + header.length);
      return isCompoundRtcp(packet) ? { kind: 'rtcp', length: header.length } : 'bad';
    }
    return this.judgeRtp(data, packetStart, header, complete);
  }

  private judgeRtp(
    data: Uint8Array,
    packetStart: number,
    { length, view }: { length: number; view: DataView },
    complete: boolean,
  ): Verdict {
    if (length < RTP_HEADER_BYTES) return 'bad';
    const ssrc = view.getUint32(8);
    if (this.ssrc === undefined) return confirmedBy(data, packetStart + length, ssrc, length);

    // While scanning, a payload type never seen on this connection marks a false match.
    const known = !this.resyncing || this.payloadTypes.has(view.getUint8(1) & 0x7f);
    if (ssrc !== this.ssrc || !known) return 'bad';
    return complete ? { kind: 'rtp', length } : 'more';
  }

  private accept(packet: Uint8Array): void {
    this.resyncing = false;
    if (isRtcp(packet)) {
      this.stats.rtcp += 1;
      return;
    }
    const view = new DataView(packet.buffer, packet.byteOffset, packet.length);
    this.ssrc = view.getUint32(8);
    this.payloadTypes.add(view.getUint8(1) & 0x7f);
    this.stats.frames += 1;
  }

  private skipByte(): void {
    if (!this.resyncing) {
      this.resyncing = true;
      this.scanned = 0;
      this.stats.resyncs += 1;
    }
    this.stats.skippedBytes += 1;
    this.scanned += 1;
    if (this.scanned > UNLOCK_AFTER_BYTES) {
      this.ssrc = undefined;
      this.payloadTypes.clear();
    }
  }
}

/**
 * The length at `offset` and a view of the first bytes of its packet (up to an RTP fixed
 * header), where the length is possible and the version is 2.
 */
function frameHeader(
  data: Uint8Array,
  offset: number,
): 'more' | 'bad' | { length: number; view: DataView } {
  if (data.length - offset < LENGTH_BYTES) return 'more';
  const length = ((data[offset] ?? 0) << 8) | (data[offset + 1] ?? 0);
  if (length < RTCP_MIN_BYTES || length > RTP_MAX_PACKET_BYTES) return 'bad';

  const visible = Math.min(length, RTP_HEADER_BYTES);
  if (data.length - offset < LENGTH_BYTES + visible) return 'more';
  const view = new DataView(data.buffer, data.byteOffset + offset + LENGTH_BYTES, visible);
  return view.getUint8(0) >> 6 === 2 ? { length, view } : 'bad';
}

/**
 * Before the lock, an RTP frame of `length` bytes from `ssrc` is accepted only where the
 * frame after it, at `next`, is RTP or RTCP from the same SSRC.
 */
function confirmedBy(data: Uint8Array, next: number, ssrc: number, length: number): Verdict {
  const header = frameHeader(data, next);
  if (header === 'more' || header === 'bad') return header;
  const { view } = header;

  const rtcp = isRtcp(data.subarray(next + LENGTH_BYTES, next + LENGTH_BYTES + 2));
  if (!rtcp && view.byteLength < RTP_HEADER_BYTES) return 'bad';
  return view.getUint32(rtcp ? 4 : 8) === ssrc ? { kind: 'rtp', length } : 'bad';
}

/**
 * A compound RTCP packet (RFC 3550 §6.1): packets of version 2 and types 200–204 whose
 * lengths (32-bit words minus one, §6.4.1) add up exactly to the frame.
 */
function isCompoundRtcp(packet: Uint8Array): boolean {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.length);
  let at = 0;
  while (at + 4 <= packet.length) {
    if (!isRtcp(packet.subarray(at, at + 2))) return false;
    at += 4 * (view.getUint16(at + 2) + 1);
  }
  return at === packet.length;
}
