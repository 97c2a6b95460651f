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
 * (§5.3.1) and removes padding. The payload is a view into `bytes`, not a copy. Throws
 * ArgusError RTP_MALFORMED where the packet is shorter than its headers, is not version 2,
 * declares more padding than it carries, or is longer than RTP_MAX_PACKET_BYTES.
 */
export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  if (bytes.length < FIXED_HEADER_BYTES) {
    throw malformed(`shorter than ${FIXED_HEADER_BYTES} bytes: ${bytes.length}`);
  }
  if (bytes.length > RTP_MAX_PACKET_BYTES) {
    throw malformed(`longer than ${RTP_MAX_PACKET_BYTES} bytes: ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const first = view.getUint8(0);
  const version = first >> 6;
  if (version !== RTP_VERSION) throw malformed(`version is not 2: ${version}`);

  const headerEnd = headerLength(view, first);
  const payloadEnd = bytes.length - paddingLength(view, first, headerEnd);
  const second = view.getUint8(1);
  return {
    marker: (second & 0x80) !== 0,
    payloadType: second & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: bytes.subarray(headerEnd, payloadEnd),
  };
}

// Fixed header, CSRC list (CC, low 4 bits) and the extension when X (bit 4) is set.
function headerLength(view: DataView, first: number): number {
  const csrcEnd = FIXED_HEADER_BYTES + 4 * (first & 0x0f);
  if (view.byteLength < csrcEnd) {
    throw malformed(
      `shorter than its CSRC list: ${view.byteLength} bytes, list ends at ${csrcEnd}`,
    );
  }
  if ((first & 0x10) === 0) return csrcEnd;

  if (view.byteLength < csrcEnd + 4) {
    throw malformed(`shorter than its extension header: ${view.byteLength} bytes`);
  }
  const extensionEnd = csrcEnd + 4 + 4 * view.getUint16(csrcEnd + 2);
  if (view.byteLength < extensionEnd) {
    throw malformed(
      `shorter than its extension: ${view.byteLength} bytes, extension ends at ${extensionEnd}`,
    );
  }
  return extensionEnd;
}

// With P (bit 5) set, the last octet counts the padding octets, itself included.
function paddingLength(view: DataView, first: number, headerEnd: number): number {
  if ((first & 0x20) === 0) return 0;
  const padding = view.getUint8(view.byteLength - 1);
  const available = view.byteLength - headerEnd;
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
