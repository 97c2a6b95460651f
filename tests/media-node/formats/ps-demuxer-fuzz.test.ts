import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { PsDemuxer } from '../../../media-node/formats/ps-demuxer.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { packetizeRtp } from '../../../media-node/formats/rtp.ts';
import type { RtpPacket } from '../../../media-node/formats/rtp.ts';
import { RtpReorderBuffer } from '../../../media-node/formats/rtp-reorder.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { ACCESS_UNIT_MAX_BYTES } from '../../../media-node/formats/limits.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { skipWithoutFixture } from '../../support/fixtures.ts';
import {
  FRI,
  HIK,
  SRS,
  demuxAll,
  mustReadFixture,
  skipWithoutFixtures,
  splitAt,
} from './support.ts';

const FIXTURES = [
  `${HIK}/hik-seq0-8.ps`,
  `${HIK}/hik-seq291-idr-start.ps`,
  `${SRS}/hik-seq31813-head260.bin`,
  `${FRI}/Audio_G711_PS2.head64k.mpg`,
];

for (const fixture of FIXTURES) {
  test(
    `PsDemuxer gives the same frames for ${fixture} cut at random offsets (property)`,
    { skip: skipWithoutFixture(fixture) },
    () => {
      const bytes = mustReadFixture(fixture);
      const whole = demuxAll([bytes]);
      const cuts = fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), {
        minLength: 1,
        maxLength: 40,
      });

      fc.assert(
        fc.property(cuts, (offsets) => {
          const split = demuxAll(splitAt(bytes, offsets));
          assert.deepEqual(split.frames, whole.frames);
          assert.deepEqual(split.demuxer.stats, whole.demuxer.stats);
        }),
        { numRuns: fuzzRuns(bytes.length > 10000 ? 60 : 300) },
      );
    },
  );
}

/** Pushes every chunk, with its loss flag, and flushes; any throw fails the property. */
function demuxChunks(chunks: { bytes: Uint8Array; afterLoss: boolean }[]): ElementaryFrame[] {
  const demuxer = new PsDemuxer();
  const frames = chunks.flatMap(({ bytes, afterLoss }) => demuxer.push(bytes, afterLoss));
  return [...frames, ...demuxer.flush()];
}

test('PsDemuxer push never throws and always returns on arbitrary bytes (fuzz)', () => {
  const chunk = fc.record({ bytes: fc.uint8Array({ maxLength: 400 }), afterLoss: fc.boolean() });
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 20 }), (chunks) => {
      const frames = demuxChunks(chunks);
      assert.ok(frames.every((f) => f.data.length <= ACCESS_UNIT_MAX_BYTES));
    }),
    { numRuns: fuzzRuns(3000) },
  );
});

test('PsDemuxer push never throws on start-code-rich garbage (fuzz)', () => {
  // Bytes drawn mostly from start-code material, so headers are hit far more often.
  const material = fc.constantFrom(
    0x00,
    0x00,
    0x00,
    0x01,
    0xba,
    0xbb,
    0xbc,
    0xbd,
    0xc0,
    0xe0,
    0xff,
    0x80,
    0x44,
  );
  const chunk = fc.record({
    bytes: fc
      .array(fc.oneof(material, fc.integer({ min: 0, max: 255 })), { maxLength: 300 })
      .map((a) => Uint8Array.from(a)),
    afterLoss: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 20 }), (chunks) => {
      demuxChunks(chunks);
    }),
    { numRuns: fuzzRuns(3000) },
  );
});

test(
  'PsDemuxer push never throws on mutated real captures (fuzz)',
  { skip: skipWithoutFixtures(...FIXTURES.slice(0, 3)) },
  () => {
    const original = concatBytes(FIXTURES.slice(0, 3).map(mustReadFixture));
    const mutation = fc.record({
      at: fc.nat({ max: original.length - 1 }),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat({ max: original.length })),
        (mutations, cuts) => {
          const bytes = original.slice();
          for (const { at, value } of mutations) bytes[at] = value;
          demuxChunks(splitAt(bytes, cuts).map((piece) => ({ bytes: piece, afterLoss: false })));
        },
      ),
      { numRuns: fuzzRuns(500) },
    );
  },
);

const CLIP = readClipFrames().slice(0, 30);
const CLIP_PACKETS: RtpPacket[] = CLIP.flatMap((frame, i) =>
  packetizeRtp(muxPsVideoFrame(frame.data, { pts: 3600 * i, keyframe: frame.keyframe }), {
    payloadType: 96,
    ssrc: 1,
    timestamp: 3600 * i,
    firstSequence: 0,
    maxPayload: 700,
  }),
).map((p, n) => ({ ...p, sequenceNumber: n }));

test('PsDemuxer emits only intact frames in order, whatever the network does (property)', () => {
  const network = fc.array(
    fc.record({ drop: fc.boolean(), repeat: fc.boolean(), delay: fc.nat({ max: 40 }) }),
    {
      minLength: CLIP_PACKETS.length,
      maxLength: CLIP_PACKETS.length,
    },
  );
  fc.assert(
    fc.property(network, fc.integer({ min: 0, max: 32 }), (fates, depth) => {
      const arrivals = CLIP_PACKETS.flatMap((packet, n) => {
        const fate = fates[n] ?? { drop: false, repeat: false, delay: 0 };
        if (fate.drop && n % 3 === 0) return [];
        const copies = fate.repeat ? [packet, packet] : [packet];
        return copies.map((p) => ({ p, key: n + (fate.delay % 5 === 0 ? fate.delay : 0) }));
      });
      arrivals.sort((a, b) => a.key - b.key);

      const reorder = new RtpReorderBuffer(depth);
      const ordered = [...arrivals.flatMap(({ p }) => reorder.push(p)), ...reorder.flush()];
      const frames = demuxChunks(
        ordered.map((p) => ({ bytes: p.payload, afterLoss: p.afterLoss })),
      );

      let lastPts = -1;
      for (const frame of frames) {
        const index = frame.pts / 3600;
        assert.deepEqual(frame.data, CLIP[index]?.data, `frame at pts ${frame.pts} is intact`);
        assert.ok(frame.pts > lastPts);
        lastPts = frame.pts;
      }
    }),
    { numRuns: fuzzRuns(200) },
  );
});
