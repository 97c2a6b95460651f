import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  BitReader,
  ByteWriter,
  concatBytes,
  findStartCode,
  unescapeRbsp,
} from '../../../media-node/formats/bytes.ts';

function naiveFindStartCode(bytes: Uint8Array, from: number): number {
  for (let i = Math.max(0, from); i + 2 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) return i;
  }
  return -1;
}

test('findStartCode finds the first 00 00 01 at or after from', () => {
  const bytes = Uint8Array.of(1, 0, 0, 1, 5, 0, 0, 0, 1, 7);

  assert.deepEqual(
    [findStartCode(bytes), findStartCode(bytes, 2), findStartCode(bytes, 7)],
    [1, 6, -1],
  );
});

test('findStartCode agrees with a byte-by-byte search (property)', () => {
  const material = fc
    .array(fc.constantFrom(0, 0, 0, 1, 2, 3, 0xff), { maxLength: 200 })
    .map((a) => Uint8Array.from(a));
  fc.assert(
    fc.property(material, fc.nat({ max: 210 }), (bytes, from) => {
      assert.equal(findStartCode(bytes, from), naiveFindStartCode(bytes, from));
    }),
    { numRuns: fuzzRuns(3000) },
  );
});

test('unescapeRbsp removes emulation-prevention bytes only after two zeros', () => {
  const nal = Uint8Array.of(0x67, 0, 0, 3, 1, 0, 3, 0, 0, 3);

  assert.deepEqual([...unescapeRbsp(nal)], [0x67, 0, 0, 1, 0, 3, 0, 0]);
});

test('unescapeRbsp returns the input itself when nothing is escaped', () => {
  const nal = Uint8Array.of(0x67, 0, 1, 3);

  assert.equal(unescapeRbsp(nal), nal);
});

test('BitReader reads bits and Exp-Golomb codes', () => {
  // 1 | 010 | 011 | 00100 | 00101 → ue 0, 1, 2, 3; se of 4 is -2
  const reader = new BitReader(Uint8Array.of(0b10100110, 0b01000010, 0b10000000), 'test');

  assert.deepEqual(
    [reader.ue(), reader.ue(), reader.ue(), reader.ue(), reader.se()],
    [0, 1, 2, 3, -2],
  );
  assert.equal(reader.bitsLeft, 7);
});

test('BitReader throws CODEC_MALFORMED past the end and for ue(v) over 32 bits', () => {
  const short = new BitReader(Uint8Array.of(0xff), 'SPS');
  const zeros = new BitReader(new Uint8Array(8), 'SPS');

  assert.throws(
    () => short.bits(9),
    (e: unknown) =>
      isArgusError(e, errorCodes.CODEC_MALFORMED) &&
      (e as Error).message === 'Cannot parse SPS: read past the end of 1 bytes',
  );
  assert.throws(
    () => zeros.ue(),
    (e: unknown) => isArgusError(e, errorCodes.CODEC_MALFORMED),
  );
});

test('ByteWriter writes big-endian fields and refuses to finish short', () => {
  const writer = new ByteWriter(10).u8(1).u16(0x0203).u24(0x040506).u32(0x0708090a);

  assert.deepEqual([...writer.finish()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.throws(() => new ByteWriter(2).u8(1).finish(), RangeError);
});

test('concatBytes joins buffers in order', () => {
  assert.deepEqual(
    [...concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])],
    [1, 2, 3],
  );
});
