import { ArgusError, errorCodes } from '../../src/errors.ts';
import { ByteWriter } from './bytes.ts';
import { RTP_MAX_PACKET_BYTES } from './limits.ts';

/** The RTP fixed header fields the media node uses, and the payload (RFC 3550 §5.1). */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

const FIXED_HEADER_BYTES = 12;
const RTP_VERSION = 2;

/**
 * Parses one RTP packet (RFC 3550 §5.1): skips the CSRC list and the header extension
 * (§5.3.1) and removes padding. The payload is a view into `bytes` (a plain Uint8Array even
 * where `bytes` is a Node Buffer), not a copy. Throws
 * ArgusError RTP_MALFORMED where the packet is shorter than its headers, is not version 2,
 * declares more padding than it carries, or is longer than RTP_MAX_PACKET_BYTES.
 */
export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  const length = bytes.length;
  if (length < FIXED_HEADER_BYTES) {
    throw malformed(`shorter than ${FIXED_HEADER_BYTES} bytes: ${length}`);
  }
  if (length > RTP_MAX_PACKET_BYTES) {
    throw malformed(`longer than ${RTP_MAX_PACKET_BYTES} bytes: ${length}`);
  }
  // Read byte by byte after the length check: this runs per packet, and a DataView per
  // packet is garbage the collector has to sweep.
  const first = bytes[0] ?? 0;
  const version = first >> 6;
  if (version !== RTP_VERSION) throw malformed(`version is not 2: ${version}`);

  const headerEnd = headerLength(bytes, first);
  const payloadEnd = length - paddingLength(bytes, first, headerEnd);
  const second = bytes[1] ?? 0;
  return {
    marker: (second & 0x80) !== 0,
    payloadType: second & 0x7f,
    sequenceNumber: u16(bytes, 2),
    timestamp: u32(bytes, 4),
    ssrc: u32(bytes, 8),
    payload: viewOf(bytes, headerEnd, payloadEnd),
  };
}

/**
 * A plain Uint8Array over `bytes` from `start` to `end`: a Node Buffer's own subarray would
 * construct another Buffer through its species, which costs more per packet.
 */
function viewOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

/** Big-endian 16 bits at `at`; the caller checked that they are there. */
function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/** Big-endian 32 bits at `at`, unsigned; the caller checked that they are there. */
function u32(bytes: Uint8Array, at: number): number {
  return u16(bytes, at) * 0x10000 + u16(bytes, at + 2);
}

// Fixed header, CSRC list (CC, low 4 bits) and the extension when X (bit 4) is set.
function headerLength(bytes: Uint8Array, first: number): number {
  const csrcEnd = FIXED_HEADER_BYTES + 4 * (first & 0x0f);
  if (bytes.length < csrcEnd) {
    throw malformed(`shorter than its CSRC list: ${bytes.length} bytes, list ends at ${csrcEnd}`);
  }
  if ((first & 0x10) === 0) return csrcEnd;

  if (bytes.length < csrcEnd + 4) {
    throw malformed(`shorter than its extension header: ${bytes.length} bytes`);
  }
  const extensionEnd = csrcEnd + 4 + 4 * u16(bytes, csrcEnd + 2);
  if (bytes.length < extensionEnd) {
    throw malformed(
      `shorter than its extension: ${bytes.length} bytes, extension ends at ${extensionEnd}`,
    );
  }
  return extensionEnd;
}

// With P (bit 5) set, the last octet counts the padding octets, itself included.
function paddingLength(bytes: Uint8Array, first: number, headerEnd: number): number {
  if ((first & 0x20) === 0) return 0;
  const padding = bytes[bytes.length - 1] ?? 0;
  const available = bytes.length - headerEnd;
  if (padding === 0 || padding > available) {
    throw malformed(`padding length out of range 1..${available}: ${padding}`);
  }
  return padding;
}

function malformed(reason: string): ArgusError {
  return new ArgusError(errorCodes.RTP_MALFORMED, `Cannot parse RTP packet: ${reason}`);
}

/**
 * Serialises an RTP packet (RFC 3550 §5.1): version 2, no padding, CSRC list or extension.
 * Throws ArgusError RTP_MALFORMED where a field is out of its range or the packet would be
 * longer than RTP_MAX_PACKET_BYTES.
 */
export function buildRtpPacket(p: RtpPacket): Uint8Array {
  checkField('payloadType', p.payloadType, 0x7f);
  checkField('sequenceNumber', p.sequenceNumber, 0xffff);
  checkField('timestamp', p.timestamp, 0xffffffff);
  checkField('ssrc', p.ssrc, 0xffffffff);
  const length = FIXED_HEADER_BYTES + p.payload.length;
  if (length > RTP_MAX_PACKET_BYTES) {
    throw buildError(`longer than ${RTP_MAX_PACKET_BYTES} bytes: ${length}`);
  }

  const writer = new ByteWriter(length);
  writer.u8(RTP_VERSION << 6).u8((p.marker ? 0x80 : 0) | p.payloadType);
  writer.u16(p.sequenceNumber).u32(p.timestamp).u32(p.ssrc);
  return writer.bytesFrom(p.payload).finish();
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw buildError(`${name} out of range 0..${max}: ${value}`);
  }
}

function buildError(reason: string): ArgusError {
  return new ArgusError(errorCodes.RTP_MALFORMED, `Cannot build RTP packet: ${reason}`);
}

/** Default largest RTP payload: fits a 1500-byte Ethernet MTU with IP, UDP and RTP headers. */
export const RTP_DEFAULT_MAX_PAYLOAD = 1400;

/** Options of packetizeRtp. */
export interface PacketizeOptions {
  payloadType: number;
  ssrc: number;
  timestamp: number;
  firstSequence: number;
  maxPayload?: number;
}

/**
 * Splits a payload (e.g. one PS pack) into RTP packets of at most `maxPayload` bytes
 * (default 1400), all with the same timestamp; sequence numbers count up from
 * `firstSequence` modulo 2^16, and the marker is set on the last packet (GB/T 28181-2016
 * §C.2: end of a frame). An empty payload gives no packets. Payloads are views of `payload`.
 */
export function packetizeRtp(payload: Uint8Array, opts: PacketizeOptions): RtpPacket[] {
  const maxPayload = opts.maxPayload ?? RTP_DEFAULT_MAX_PAYLOAD;
  const limit = RTP_MAX_PACKET_BYTES - FIXED_HEADER_BYTES;
  if (!Number.isInteger(maxPayload) || maxPayload < 1 || maxPayload > limit) {
    throw buildError(`maxPayload out of range 1..${limit}: ${maxPayload}`);
  }
  checkField('firstSequence', opts.firstSequence, 0xffff);

  const packets: RtpPacket[] = [];
  for (let offset = 0; offset < payload.length; offset += maxPayload) {
    const end = Math.min(offset + maxPayload, payload.length);
    packets.push({
      marker: end === payload.length,
      payloadType: opts.payloadType,
      sequenceNumber: (opts.firstSequence + packets.length) & 0xffff,
      timestamp: opts.timestamp,
      ssrc: opts.ssrc,
      payload: payload.subarray(offset, end),
    });
  }
  return packets;
}
