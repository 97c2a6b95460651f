import { ArgusError, errorCodes } from '../../src/errors.ts';
import { ByteWriter } from './bytes.ts';

/** TagType values (FLV spec v10 §E.4.1). */
export const FLV_TAG_TYPE = { audio: 8, video: 9, script: 18 } as const;

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
  const writer = tagWriter(type, timestampMs, body.length);
  return writer
    .bytesFrom(body)
    .u32(TAG_HEADER_BYTES + body.length)
    .finish();
}

/**
 * One FLV tag as flvTag writes it, whose body is `head` and then each of `units` behind its
 * length in 4 bytes (the length-prefixed form of ISO/IEC 14496-15 §5.3.4.2): the units are
 * copied once, straight into the tag, instead of into a body and then again into the tag.
 * Throws like flvTag.
 */
export function flvTagOfUnits(
  type: 8 | 9,
  timestampMs: number,
  head: Uint8Array,
  units: readonly Uint8Array[],
): Uint8Array {
  let bodyLength = head.length;
  for (const unit of units) bodyLength += 4 + unit.length;
  const writer = tagWriter(type, timestampMs, bodyLength);
  writer.bytesFrom(head);
  for (const unit of units) writer.u32(unit.length).bytesFrom(unit);
  return writer.u32(TAG_HEADER_BYTES + bodyLength).finish();
}

/** A writer for a whole tag, its header written: the body and PreviousTagSize follow. */
function tagWriter(type: 8 | 9 | 18, timestampMs: number, bodyLength: number): ByteWriter {
  if (bodyLength > MAX_TAG_BODY_BYTES) {
    throw tagError(`body above ${MAX_TAG_BODY_BYTES} bytes: ${bodyLength}`);
  }
  if (!(timestampMs >= 0)) throw tagError(`time is negative: ${timestampMs}`);
  const time = Math.floor(timestampMs) % 2 ** 32;
  const writer = new ByteWriter(TAG_HEADER_BYTES + bodyLength + 4);
  writer.u8(type).u24(bodyLength);
  return writer
    .u24(time & 0xffffff)
    .u8(time >>> 24)
    .u24(0);
}

function tagError(reason: string): ArgusError {
  return new ArgusError(errorCodes.CODEC_MALFORMED, `Cannot write FLV tag: ${reason}`);
}

/** Fields of the onMetaData script tag. */
export interface FlvMetadata {
  width?: number;
  height?: number;
  framerate?: number;
  /** CodecID (7 for H.264), or the FourCC as a number for Enhanced RTMP codecs. */
  videocodecid?: number;
  /** SoundFormat: 10 AAC, 7 G.711 A-law, 8 G.711 µ-law. */
  audiocodecid?: number;
  audiosamplerate?: number;
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

/** AACPacketType / AVCPacketType 0 and the Enhanced RTMP PacketTypeSequenceStart. */
const SEQUENCE_START = 0;
const SOUND_FORMAT_AAC = 10;
const AVC_CODEC_ID = 7;

/**
 * True for a tag a late viewer needs before any frame: an AVC sequence header (AVCPacketType
 * 0), an Enhanced RTMP SequenceStart (ExHeader bit, PacketType 0) or an AAC sequence header
 * (AACPacketType 0). `tag` is a whole tag as flvTag writes it.
 */
export function isFlvSequenceHeader(tag: Uint8Array): boolean {
  const first = tag[TAG_HEADER_BYTES] ?? 0;
  const second = tag[TAG_HEADER_BYTES + 1];
  if (tag[0] === FLV_TAG_TYPE.audio) {
    return first >> 4 === SOUND_FORMAT_AAC && second === SEQUENCE_START;
  }
  if (tag[0] !== FLV_TAG_TYPE.video) return false;
  if ((first & 0x80) !== 0) return (first & 0x0f) === SEQUENCE_START;
  return (first & 0x0f) === AVC_CODEC_ID && second === SEQUENCE_START;
}

/** True for a video tag of a keyframe (FrameType 1) that is not a sequence header. */
export function isFlvKeyframe(tag: Uint8Array): boolean {
  const first = tag[TAG_HEADER_BYTES] ?? 0;
  return tag[0] === FLV_TAG_TYPE.video && ((first >> 4) & 0x07) === 1 && !isFlvSequenceHeader(tag);
}
