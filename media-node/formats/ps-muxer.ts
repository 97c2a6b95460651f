import { ArgusError, errorCodes } from '../../src/errors.ts';
import { ByteWriter } from './bytes.ts';
import { ACCESS_UNIT_MAX_BYTES } from './limits.ts';
import type { AudioCodec, VideoCodec } from './ps-demuxer.ts';

/** Largest PES payload written, as GB/T 28181 devices do (below the 65535-byte PES limit). */
export const PS_MAX_PES_PAYLOAD = 65400;

const VIDEO_STREAM_ID = 0xe0;
const AUDIO_STREAM_ID = 0xc0;
const PTS_MODULUS = 2 ** 33;
/** program_mux_rate in units of 50 bytes/s (ISO/IEC 13818-1 §2.5.3.4): 4 Mbit/s. */
const MUX_RATE = 10000;

const STREAM_TYPE: Record<VideoCodec | AudioCodec, number> = {
  h264: 0x1b,
  h265: 0x24,
  aac: 0x0f,
  g711a: 0x90,
  g711u: 0x91,
};

/** Options of muxPsVideoFrame; timestamps are 90 kHz and taken modulo 2^33. */
export interface PsVideoFrameOptions {
  pts: number;
  dts?: number;
  keyframe: boolean;
  codec?: VideoCodec;
  /** Audio stream (0xC0) declared in the system header and stream map of keyframes. */
  audio?: AudioCodec;
}

/**
 * One video access unit (Annex B) as a GB/T 28181-2016 §C program stream pack (ISO/IEC
 * 13818-1 §2.5): pack_header with the SCR taken from the DTS; on keyframes a system_header
 * and a program_stream_map (0x1B H.264 or 0x24 H.265 on 0xE0, optionally audio on 0xC0);
 * then video PES 0xE0 of at most PS_MAX_PES_PAYLOAD bytes, the first carrying PTS (and DTS
 * where it differs). Throws ArgusError PS_MALFORMED for an empty access unit and PS_TOO_LARGE
 * above ACCESS_UNIT_MAX_BYTES.
 */
export function muxPsVideoFrame(au: Uint8Array, opts: PsVideoFrameOptions): Uint8Array {
  checkPayload(au, 'access unit');
  const pts = opts.pts % PTS_MODULUS;
  const dts = (opts.dts ?? opts.pts) % PTS_MODULUS;
  const streams: [number, number][] = [[VIDEO_STREAM_ID, STREAM_TYPE[opts.codec ?? 'h264']]];
  if (opts.audio !== undefined) streams.push([AUDIO_STREAM_ID, STREAM_TYPE[opts.audio]]);

  const headersLength = opts.keyframe ? systemHeaderLength(streams) + streamMapLength(streams) : 0;
  const writer = new ByteWriter(PACK_HEADER_BYTES + headersLength + pesLength(au, pts !== dts));
  writePackHeader(writer, dts);
  if (opts.keyframe) {
    writeSystemHeader(writer, streams);
    writeStreamMap(writer, streams);
  }
  writePes(writer, VIDEO_STREAM_ID, au, pts, dts);
  return writer.finish();
}

/**
 * One audio frame (G.711 samples or ADTS AAC) as a pack with an audio PES 0xC0 carrying its
 * PTS (ISO/IEC 13818-1 §2.4.3.6). The stream map that declares the codec comes with the
 * video keyframes (`audio` option of muxPsVideoFrame). Throws like muxPsVideoFrame.
 */
export function muxPsAudioFrame(data: Uint8Array, opts: { pts: number }): Uint8Array {
  checkPayload(data, 'audio frame');
  const pts = opts.pts % PTS_MODULUS;
  const writer = new ByteWriter(PACK_HEADER_BYTES + pesLength(data, false));
  writePackHeader(writer, pts);
  writePes(writer, AUDIO_STREAM_ID, data, pts, pts);
  return writer.finish();
}

function checkPayload(data: Uint8Array, what: string): void {
  if (data.length === 0) {
    throw new ArgusError(errorCodes.PS_MALFORMED, `Cannot mux PS pack: empty ${what}`);
  }
  if (data.length > ACCESS_UNIT_MAX_BYTES) {
    throw new ArgusError(
      errorCodes.PS_TOO_LARGE,
      `Cannot mux PS pack: ${what} above ${ACCESS_UNIT_MAX_BYTES} bytes: ${data.length}`,
    );
  }
}

const PACK_HEADER_BYTES = 14;

/** pack_header() (§2.5.3.3): SCR base from a 90 kHz time, SCR extension 0, no stuffing. */
function writePackHeader(writer: ByteWriter, scr: number): void {
  const high = Math.floor(scr / 2 ** 30) & 0x07;
  const low = scr % 2 ** 30;
  writer.u32(0x000001ba);
  writer.u8(0x44 | (high << 3) | ((low >>> 28) & 0x03));
  writer.u8((low >>> 20) & 0xff);
  writer.u8((((low >>> 15) & 0x1f) << 3) | 0x04 | ((low >>> 13) & 0x03));
  writer.u8((low >>> 5) & 0xff);
  writer.u8(((low & 0x1f) << 3) | 0x04);
  writer.u8(0x01); // SCR extension 0, marker
  writer.u24((MUX_RATE << 2) | 0x03);
  writer.u8(0xf8); // reserved, pack_stuffing_length 0
}

function systemHeaderLength(streams: [number, number][]): number {
  return 12 + 3 * streams.length;
}

/** system_header() (§2.5.3.5) listing each stream with its P-STD buffer bound. */
function writeSystemHeader(writer: ByteWriter, streams: [number, number][]): void {
  const audioBound = streams.filter(([id]) => id === AUDIO_STREAM_ID).length;
  writer.u32(0x000001bb).u16(6 + 3 * streams.length);
  writer.u24(0x800001 | (MUX_RATE << 1)); // marker, rate_bound, marker
  writer.u8(audioBound << 2); // audio_bound, fixed_flag 0, CSPS_flag 0
  writer.u8(0xe1); // system_audio_lock_flag, system_video_lock_flag, marker, video_bound 1
  writer.u8(0x7f); // packet_rate_restriction_flag 0, reserved
  for (const [streamId] of streams) {
    // '11', P-STD_buffer_bound_scale, P-STD_buffer_size_bound: 1 MiB video, 4 KiB audio.
    writer.u8(streamId).u16(streamId === VIDEO_STREAM_ID ? 0xe400 : 0xc020);
  }
}

function streamMapLength(streams: [number, number][]): number {
  return 16 + 4 * streams.length;
}

/** program_stream_map (§2.5.4) without descriptors, with its CRC_32 (Annex A). */
function writeStreamMap(writer: ByteWriter, streams: [number, number][]): void {
  const start = writer.position;
  writer.u32(0x000001bc).u16(10 + 4 * streams.length);
  writer.u8(0xe0).u8(0xff); // current_next_indicator, version 0, marker
  writer.u16(0); // program_stream_info_length
  writer.u16(4 * streams.length); // elementary_stream_map_length
  for (const [streamId, streamType] of streams) writer.u8(streamType).u8(streamId).u16(0);
  const end = writer.position;
  writer.u32(crc32Mpeg2(writer.bytes.subarray(start, end)));
}

function pesLength(payload: Uint8Array, withDts: boolean): number {
  const packets = Math.ceil(payload.length / PS_MAX_PES_PAYLOAD);
  return payload.length + 9 * packets + (withDts ? 10 : 5);
}

/** PES packets (§2.4.3.6) of at most PS_MAX_PES_PAYLOAD bytes; PTS/DTS on the first only. */
function writePes(
  writer: ByteWriter,
  streamId: number,
  payload: Uint8Array,
  pts: number,
  dts: number,
): void {
  for (let offset = 0; offset < payload.length; offset += PS_MAX_PES_PAYLOAD) {
    const chunk = payload.subarray(offset, offset + PS_MAX_PES_PAYLOAD);
    const first = offset === 0;
    const timestamps = first ? (pts === dts ? 5 : 10) : 0;
    writer.u32(0x00000100 | streamId).u16(3 + timestamps + chunk.length);
    writer.u8(first ? 0x84 : 0x80); // '10', data_alignment_indicator on the first
    writer.u8(timestamps === 10 ? 0xc0 : timestamps === 5 ? 0x80 : 0x00).u8(timestamps);
    if (timestamps > 0) writeTimestamp(writer, timestamps === 10 ? 0x3 : 0x2, pts);
    if (timestamps === 10) writeTimestamp(writer, 0x1, dts);
    writer.bytesFrom(chunk);
  }
}

/** A 33-bit PTS or DTS in its 5-byte form with a 4-bit prefix and marker bits (§2.4.3.7). */
function writeTimestamp(writer: ByteWriter, prefix: number, time: number): void {
  const high = Math.floor(time / 2 ** 30) & 0x07;
  const low = time % 2 ** 30;
  writer.u8((prefix << 4) | (high << 1) | 0x01);
  writer.u16((((low >>> 15) & 0x7fff) << 1) | 0x01);
  writer.u16(((low & 0x7fff) << 1) | 0x01);
}

const CRC_TABLE = buildCrcTable();

function buildCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    table[i] = crc >>> 0;
  }
  return table;
}

/**
 * CRC_32 of ISO/IEC 13818-1 Annex A (polynomial 0x04C11DB7, initial value 0xFFFFFFFF, no
 * reflection, no final XOR) over a whole section up to its CRC field.
 */
export function crc32Mpeg2(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data)
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  return crc >>> 0;
}
