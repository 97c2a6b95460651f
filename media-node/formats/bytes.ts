import { ArgusError, errorCodes } from '../../src/errors.ts';

/**
 * Small byte helpers shared by the media formats: concatenation, start-code search, a
 * fixed-size big-endian writer and an Exp-Golomb bit reader. Pure functions, no I/O.
 */

/** Joins `parts` into one new buffer (one copy). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;

  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Index of the next `00 00 01` start-code prefix at or after `from`, or -1. The search steps
 * over bytes that cannot end a prefix, so it reads most bytes only once.
 */
export function findStartCode(bytes: Uint8Array, from = 0): number {
  let i = Math.max(0, from) + 2;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    if (b > 1) {
      i += 3;
    } else if (b === 0) {
      i += 1;
    } else if (bytes[i - 1] === 0 && bytes[i - 2] === 0) {
      return i - 2;
    } else {
      i += 3;
    }
  }
  return -1;
}

/** True where `bytes` holds `00 00 01` at `offset`. */
export function isStartCodeAt(bytes: Uint8Array, offset: number): boolean {
  return bytes[offset] === 0 && bytes[offset + 1] === 0 && bytes[offset + 2] === 1;
}

/**
 * Writes big-endian fields into a buffer of a size known in advance. `finish()` checks that
 * every byte was written, so a length computed wrongly fails at once instead of on the wire.
 */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private offset = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Bytes written so far. */
  get position(): number {
    return this.offset;
  }

  u8(value: number): this {
    this.view.setUint8(this.offset, value);
    this.offset += 1;
    return this;
  }

  u16(value: number): this {
    this.view.setUint16(this.offset, value);
    this.offset += 2;
    return this;
  }

  u24(value: number): this {
    return this.u8((value >>> 16) & 0xff).u16(value & 0xffff);
  }

  u32(value: number): this {
    this.view.setUint32(this.offset, value >>> 0);
    this.offset += 4;
    return this;
  }

  f64(value: number): this {
    this.view.setFloat64(this.offset, value);
    this.offset += 8;
    return this;
  }

  bytesFrom(data: Uint8Array): this {
    this.bytes.set(data, this.offset);
    this.offset += data.length;
    return this;
  }

  /** The written buffer; throws where fewer bytes were written than allocated. */
  finish(): Uint8Array {
    if (this.offset !== this.bytes.length) {
      throw new RangeError(
        `Cannot finish byte writer: wrote ${this.offset} of ${this.bytes.length} bytes`,
      );
    }
    return this.bytes;
  }
}

/**
 * Removes emulation-prevention bytes (`00 00 03` → `00 00`) from a NAL unit, giving its
 * RBSP (ISO/IEC 14496-10 §7.4.1). Returns the input itself when there is nothing to remove.
 */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const first = indexOfEmulationPrevention(nal, 0);
  if (first < 0) return nal;

  const out = new Uint8Array(nal.length);
  let written = 0;
  let from = 0;
  for (let at = first; at >= 0; at = indexOfEmulationPrevention(nal, from)) {
    out.set(nal.subarray(from, at), written);
    written += at - from;
    from = at + 1;
  }
  out.set(nal.subarray(from), written);
  written += nal.length - from;
  return out.subarray(0, written);
}

function indexOfEmulationPrevention(nal: Uint8Array, from: number): number {
  for (let i = Math.max(from, 2); i < nal.length; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) return i;
  }
  return -1;
}

/**
 * Reads bits most-significant first, with the Exp-Golomb codes of ISO/IEC 14496-10 §9.1.
 * Reading past the end throws ArgusError CODEC_MALFORMED naming `what` was being parsed.
 */
export class BitReader {
  private bitOffset = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
  ) {}

  get bitsLeft(): number {
    return this.data.length * 8 - this.bitOffset;
  }

  bit(): number {
    const byte = this.data[this.bitOffset >>> 3];
    if (byte === undefined) throw this.overrun();
    const value = (byte >>> (7 - (this.bitOffset & 7))) & 1;
    this.bitOffset += 1;
    return value;
  }

  /** Reads up to 32 bits as an unsigned number. */
  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bit();
    return value;
  }

  skip(count: number): void {
    if (count > this.bitsLeft) throw this.overrun();
    this.bitOffset += count;
  }

  /** ue(v): unsigned Exp-Golomb; at most 31 leading zeros. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      zeros += 1;
      if (zeros > 31) {
        throw new ArgusError(
          errorCodes.CODEC_MALFORMED,
          `Cannot parse ${this.what}: ue(v) too long`,
        );
      }
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v): signed Exp-Golomb. */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  private overrun(): ArgusError {
    return new ArgusError(
      errorCodes.CODEC_MALFORMED,
      `Cannot parse ${this.what}: read past the end of ${this.data.length} bytes`,
    );
  }
}
