import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { RtpReorderBuffer } from '../../../media-node/formats/rtp-reorder.ts';
import type { OrderedPacket } from '../../../media-node/formats/rtp-reorder.ts';
import type { RtpPacket } from '../../../media-node/formats/rtp.ts';

function packet(sequenceNumber: number): RtpPacket {
  return {
    marker: false,
    payloadType: 96,
    sequenceNumber,
    timestamp: 0,
    ssrc: 1,
    payload: Uint8Array.of(sequenceNumber & 0xff),
  };
}

function pushAll(buffer: RtpReorderBuffer, sequences: number[]): OrderedPacket[] {
  return sequences.flatMap((seq) => buffer.push(packet(seq)));
}

const seqs = (packets: OrderedPacket[]) => packets.map((p) => p.sequenceNumber);

test('RtpReorderBuffer passes packets in order straight through once started', () => {
  const buffer = new RtpReorderBuffer(3);

  const out = [10, 11, 12, 13, 14].map((seq) => seqs(buffer.push(packet(seq))));

  assert.deepEqual(out, [[], [], [10, 11, 12], [13], [14]]);
});

test('RtpReorderBuffer of depth 0 (an ordered transport) passes every packet at once', () => {
  const buffer = new RtpReorderBuffer(0);

  const out = [65534, 65535, 0, 0, 2, 3, 1].map((seq) => buffer.push(packet(seq)));

  assert.deepEqual(out.map(seqs), [[65534], [65535], [0], [], [2], [3], []]);
  assert.deepEqual(
    out.flat().map((p) => p.afterLoss),
    [false, false, false, true, false],
  );
  assert.deepEqual([buffer.lost, buffer.duplicates, buffer.discarded], [1, 1, 1]);
});

test('RtpReorderBuffer starts at the lowest of the first packets when they come shuffled', () => {
  const buffer = new RtpReorderBuffer();

  const held = pushAll(buffer, [5, 2, 7, 0, 3, 1, 6]);
  const out = [...held, ...buffer.push(packet(4)), ...buffer.push(packet(8))];

  assert.deepEqual(seqs(held), []);
  assert.deepEqual(seqs(out), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(out.every((p) => !p.afterLoss));
  assert.deepEqual([buffer.lost, buffer.discarded], [0, 0]);
});

test('RtpReorderBuffer starts at the lowest of the first packets across the 16-bit wrap', () => {
  const buffer = new RtpReorderBuffer();

  const out = pushAll(buffer, [1, 65533, 0, 65535, 3, 65534, 2, 4]);

  assert.deepEqual(seqs(out), [65533, 65534, 65535, 0, 1, 2, 3, 4]);
  assert.equal(buffer.lost, 0);
});

test('RtpReorderBuffer does not start at a stray packet far from the others', () => {
  const buffer = new RtpReorderBuffer(4);

  const out = pushAll(buffer, [101, 40000, 100, 102, 103]);

  assert.deepEqual(seqs(out), [100, 101, 102, 103]);
  assert.equal(buffer.discarded, 1);
});

test('RtpReorderBuffer restores the order of shuffled packets', () => {
  const buffer = new RtpReorderBuffer(4);

  const out = pushAll(buffer, [100, 103, 101, 102, 105, 104, 106]);

  assert.deepEqual(seqs(out), [100, 101, 102, 103, 104, 105, 106]);
  assert.equal(buffer.lost, 0);
  assert.ok(out.every((p) => !p.afterLoss));
});

test('RtpReorderBuffer drops duplicates of emitted and of waiting packets', () => {
  const buffer = new RtpReorderBuffer(4);

  const out = pushAll(buffer, [1, 1, 3, 3, 2, 2, 4]);

  assert.deepEqual(seqs(out), [1, 2, 3, 4]);
  assert.equal(buffer.duplicates, 3);
});

test('RtpReorderBuffer orders across the 16-bit wrap (65534, 65535, 0, 1)', () => {
  const buffer = new RtpReorderBuffer(4);

  const out = pushAll(buffer, [65534, 0, 65535, 1]);

  assert.deepEqual(seqs(out), [65534, 65535, 0, 1]);
  assert.equal(buffer.lost, 0);
});

test('RtpReorderBuffer declares a gap lost when more than depth packets wait', () => {
  const buffer = new RtpReorderBuffer(4);

  const held = pushAll(buffer, [0, 2, 3, 4, 5]);
  const released = buffer.push(packet(6));

  assert.deepEqual(seqs(held), [0]);
  assert.deepEqual(seqs(released), [2, 3, 4, 5, 6]);
  assert.deepEqual(
    released.map((p) => p.afterLoss),
    [true, false, false, false, false],
  );
  assert.equal(buffer.lost, 1);
});

test('RtpReorderBuffer holds at most depth packets, at the limit and one past it', () => {
  const buffer = new RtpReorderBuffer(3);

  assert.deepEqual(seqs(pushAll(buffer, [0, 2, 3, 4])), [0]);
  assert.deepEqual(seqs(buffer.push(packet(5))), [2, 3, 4, 5]);
});

test('RtpReorderBuffer discards a packet arriving after its place was declared lost', () => {
  const buffer = new RtpReorderBuffer(2);
  pushAll(buffer, [0, 2, 3, 4]);

  assert.deepEqual(buffer.push(packet(1)), []);
  assert.equal(buffer.discarded, 1);
  assert.deepEqual(seqs(buffer.push(packet(5))), [5]);
});

test('RtpReorderBuffer flush emits waiting packets with their gaps lost', () => {
  const buffer = new RtpReorderBuffer(8);
  const out = [...pushAll(buffer, [10, 12, 15]), ...buffer.flush()];

  assert.deepEqual(seqs(out), [10, 12, 15]);
  assert.deepEqual(
    out.map((p) => p.afterLoss),
    [false, true, true],
  );
  assert.equal(buffer.lost, 3);
  assert.deepEqual(seqs(buffer.push(packet(16))), [16]);
});

test('RtpReorderBuffer follows a restarted sender after two consecutive packets, not one', () => {
  const buffer = new RtpReorderBuffer(4);
  pushAll(buffer, [98, 99, 100, 101]);

  assert.deepEqual(buffer.push(packet(40000)), []);
  assert.deepEqual(seqs(buffer.push(packet(102))), [102]);
  assert.deepEqual(buffer.push(packet(50000)), []);
  const restarted = buffer.push(packet(50001));

  assert.deepEqual(seqs(restarted), [50001]);
  assert.equal(restarted[0]?.afterLoss, true);
  assert.deepEqual(seqs(buffer.push(packet(50002))), [50002]);
});

/** Arrivals around a base that may sit anywhere, wrap included, within the late window. */
const arrivals = fc.record({
  base: fc.integer({ min: 0, max: 0xffff }),
  offsets: fc.array(fc.integer({ min: 0, max: 90 }), { maxLength: 300 }),
  depth: fc.integer({ min: 0, max: 40 }),
});

test('RtpReorderBuffer never emits a duplicate and always emits in order (property)', () => {
  fc.assert(
    fc.property(arrivals, ({ base, offsets, depth }) => {
      const buffer = new RtpReorderBuffer(depth);
      const out = [
        ...pushAll(
          buffer,
          offsets.map((o) => (base + o) & 0xffff),
        ),
        ...buffer.flush(),
      ];
      const emitted = seqs(out).map((seq) => (seq - base) & 0xffff);

      assert.equal(new Set(emitted).size, emitted.length);
      emitted.forEach((offset, i) => assert.ok(i === 0 || offset > (emitted[i - 1] ?? 0)));
    }),
    { numRuns: fuzzRuns(500) },
  );
});

test('RtpReorderBuffer loses nothing when packets are displaced less than depth (property)', () => {
  const displaced = fc.record({
    base: fc.integer({ min: 0, max: 0xffff }),
    shifts: fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
    depth: fc.integer({ min: 1, max: 32 }),
  });
  fc.assert(
    fc.property(displaced, ({ base, shifts, depth }) => {
      // The first packet opens the stream; the others are sorted by index plus a shift below
      // depth, so none arrives depth or more places away from its own.
      const rest = shifts
        .map((shift, i) => ({ seq: (base + 1 + i) & 0xffff, key: i + (shift % depth) }))
        .sort((a, b) => a.key - b.key)
        .map(({ seq }) => seq);
      const buffer = new RtpReorderBuffer(depth);
      const out = [...pushAll(buffer, [base, ...rest]), ...buffer.flush()];

      assert.deepEqual(
        seqs(out),
        [...Array(shifts.length + 1).keys()].map((i) => (base + i) & 0xffff),
      );
      assert.equal(buffer.lost, 0);
    }),
    { numRuns: fuzzRuns(300) },
  );
});
