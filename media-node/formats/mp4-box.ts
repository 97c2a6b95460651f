import { ArgusError, errorCodes } from '../../src/errors.ts';
import { ByteWriter } from './bytes.ts';

/**
 * Building blocks of ISO base media files (ISO/IEC 14496-12 §4.2): boxes, full boxes and
 * fixed-size fields. Pure functions, no I/O.
 */

const BOX_HEADER_BYTES = 8;
const MAX_BOX_BYTES = 0xffffffff;

/**
 * A box (ISO/IEC 14496-12 §4.2): 32-bit size, four-character type, then `parts` in order.
 * Throws ArgusError CODEC_MALFORMED where the box would not fit a 32-bit size (this writer
 * never uses `largesize`).
 */
export function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  return boxOf(type, parts);
}

/** Like `box`, for a list of parts too long to spread as arguments (an mdat's samples). */
export function boxOf(type: string, parts: readonly Uint8Array[]): Uint8Array {
  let size = BOX_HEADER_BYTES;
  for (const part of parts) size += part.length;
  if (size > MAX_BOX_BYTES) {
    throw new ArgusError(
      errorCodes.CODEC_MALFORMED,
      `Cannot build MP4 box ${type}: larger than ${MAX_BOX_BYTES} bytes: ${size}`,
    );
  }

  const writer = new ByteWriter(size).u32(size).bytesFrom(fourCC(type));
  for (const part of parts) writer.bytesFrom(part);
  return writer.finish();
}

/** A FullBox (ISO/IEC 14496-12 §4.2): a box whose payload starts with version and flags. */
export function fullBox(
  type: string,
  version: number,
  flags: number,
  ...parts: Uint8Array[]
): Uint8Array {
  return box(type, new ByteWriter(4).u8(version).u24(flags).finish(), ...parts);
}

/** `size` bytes of fields written by `write`; throws where it writes another count. */
export function fields(size: number, write: (writer: ByteWriter) => void): Uint8Array {
  const writer = new ByteWriter(size);
  write(writer);
  return writer.finish();
}

/** A four-character code as its 4 ASCII bytes. */
export function fourCC(code: string): Uint8Array {
  if (!/^[\x20-\x7e]{4}$/.test(code)) {
    throw new ArgusError(
      errorCodes.CODEC_MALFORMED,
      `Cannot write four-character code: not 4 printable ASCII characters: ${JSON.stringify(code)}`,
    );
  }
  return Uint8Array.from(code, (c) => c.charCodeAt(0));
}

/** Writes an unsigned integer below 2^53 as 64 bits big-endian (version 1 time fields). */
export function writeU64(writer: ByteWriter, value: number): ByteWriter {
  return writer.u32(Math.floor(value / 2 ** 32)).u32(value % 2 ** 32);
}
