import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { buildRtpPacket, packetizeRtp, parseRtpPacket } from '../../../media-node/formats/rtp.ts';
import type { RtpPacket } from '../../../media-node/formats/rtp.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import {
  HIK,
  HIK_RTP_SEQUENCES,
  hikRtpPath,
  mustReadFixture,
  skipWithoutFixtures,
} from './support.ts';

const isMalformed = (error: unknown) => isArgusError(error, errorCodes.RTP_MALFORMED);

test(
  'parseRtpPacket reads the Hikvision capture (PT 96, SSRC 0x0BEBC265)',
  { skip: skipWithoutFixtures(...HIK_RTP_SEQUENCES.map(hikRtpPath)) },
  () => {
    const packets = HIK_RTP_SEQUENCES.map((seq) =>
      parseRtpPacket(mustReadFixture(hikRtpPath(seq))),
    );

    assert.deepEqual(
      packets.map((p) => p.sequenceNumber),
      HIK_RTP_SEQUENCES,
    );
    assert.ok(packets.every((p) => p.payloadType === 96 && p.ssrc === 0x0bebc265));
    assert.deepEqual(
      packets.map((p) => p.timestamp),
      [3600, 3600, 3600, 3600, 7200, 7200, 7200, 7200, 7200, 208800],
    );
    assert.deepEqual(
      packets.filter((p) => p.marker).map((p) => p.sequenceNumber),
      [3, 8],
    );
    assert.deepEqual(
      packets.map((p) => p.payload.length),
      [1400, 1400, 1400, 180, 1400, 1400, 1400, 1400, 320, 1400],
    );
  },
);

test(
  'parseRtpPacket payloads of seq 0-8 are the derived PS file',
  { skip: skipWithoutFixtures(`${HIK}/hik-seq0-8.ps`, ...HIK_RTP_SEQUENCES.map(hikRtpPath)) },
  () => {
    const payloads = HIK_RTP_SEQUENCES.slice(0, 9).map(
      (seq) => parseRtpPacket(mustReadFixture(hikRtpPath(seq))).payload,
    );

    assert.deepEqual(concatBytes(payloads), mustReadFixture(`${HIK}/hik-seq0-8.ps`));
  },
);

/** A version-2 packet with two CSRCs, a one-word extension and 4 padding bytes. */
function packetWithEverything(): Uint8Array {
  return new Uint8Array([
    0xb2,
    0xe0,
    0x12,
    0x34, // V=2 P=1 X=1 CC=2; M=1 PT=96; seq 0x1234
    0x00,
    0x01,
    0x5f,
    0x90, // timestamp 90000
    0xde,
    0xad,
    0xbe,
    0xef, // SSRC
    0x00,
    0x00,
    0x00,
    0x01, // CSRC 1
    0x00,
    0x00,
    0x00,
    0x02, // CSRC 2
    0xbe,
    0xde,
    0x00,
    0x01, // extension profile, length 1 word
    0x10,
    0xaa,
    0x00,
    0x00, // extension word
    0x01,
    0x02,
    0x03, // payload
    0x00,
    0x00,
    0x00,
    0x04, // padding, last octet counts 4
  ]);
}

test('parseRtpPacket skips CSRC list and extension and removes padding', () => {
  const packet = parseRtpPacket(packetWithEverything());

  assert.deepEqual(
    { ...packet, payload: [...packet.payload] },
    {
      marker: true,
      payloadType: 96,
      sequenceNumber: 0x1234,
      timestamp: 90000,
      ssrc: 0xdeadbeef,
      payload: [1, 2, 3],
    },
  );
});

test('parseRtpPacket rejects a packet shorter than the fixed header', () => {
  assert.throws(
    () => parseRtpPacket(new Uint8Array(7)),
    (error: unknown) => {
      assert.ok(isMalformed(error));
      assert.equal((error as Error).message, 'Cannot parse RTP packet: shorter than 12 bytes: 7');
      return true;
    },
  );
});

test('parseRtpPacket rejects truncated headers, bad version and bad padding', () => {
  const whole = packetWithEverything();
  const cases: [string, Uint8Array][] = [
    ['version 1', Uint8Array.of(0x40, ...whole.subarray(1))],
    ['cut in the CSRC list', whole.subarray(0, 16)],
    ['cut in the extension header', whole.subarray(0, 22)],
    ['cut in the extension', whole.subarray(0, 26)],
    ['padding longer than the payload', Uint8Array.of(...whole.subarray(0, -1), 40)],
    ['padding count 0', Uint8Array.of(...whole.subarray(0, -1), 0)],
  ];
  for (const [name, bytes] of cases) {
    assert.throws(() => parseRtpPacket(bytes), isMalformed, name);
  }
});

test('parseRtpPacket rejects a packet above RTP_MAX_PACKET_BYTES and accepts one at it', () => {
  const header = buildRtpPacket({
    marker: false,
    payloadType: 96,
    sequenceNumber: 1,
    timestamp: 0,
    ssrc: 1,
    payload: new Uint8Array(0),
  });
  const atLimit = new Uint8Array(65535);
  atLimit.set(header);

  assert.equal(parseRtpPacket(atLimit).payload.length, 65535 - 12);
  assert.throws(() => parseRtpPacket(new Uint8Array(65536).fill(0x80, 0, 1)), isMalformed);
});

test('buildRtpPacket rejects fields out of range', () => {
  const base: RtpPacket = {
    marker: false,
    payloadType: 96,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    payload: new Uint8Array(1),
  };
  for (const bad of [
    { payloadType: 128 },
    { sequenceNumber: 65536 },
    { timestamp: -1 },
    { ssrc: 2 ** 32 },
    { sequenceNumber: 1.5 },
  ]) {
    assert.throws(() => buildRtpPacket({ ...base, ...bad }), isMalformed, JSON.stringify(bad));
  }
});

test('packetizeRtp splits a payload, counts sequence numbers over the wrap, marks the last', () => {
  const payload = new Uint8Array(3000).map((_, i) => i & 0xff);
  const packets = packetizeRtp(payload, {
    payloadType: 96,
    ssrc: 7,
    timestamp: 1234,
    firstSequence: 65535,
  });

  assert.deepEqual(
    packets.map((p) => p.payload.length),
    [1400, 1400, 200],
  );
  assert.deepEqual(
    packets.map((p) => p.sequenceNumber),
    [65535, 0, 1],
  );
  assert.deepEqual(
    packets.map((p) => p.marker),
    [false, false, true],
  );
  assert.ok(packets.every((p) => p.timestamp === 1234 && p.ssrc === 7 && p.payloadType === 96));
  assert.deepEqual(concatBytes(packets.map((p) => p.payload)), payload);
});

test('packetizeRtp gives no packets for an empty payload and rejects maxPayload 0', () => {
  const opts = { payloadType: 96, ssrc: 1, timestamp: 0, firstSequence: 0 };

  assert.deepEqual(packetizeRtp(new Uint8Array(0), opts), []);
  assert.throws(() => packetizeRtp(new Uint8Array(10), { ...opts, maxPayload: 0 }), isMalformed);
});

const arbitraryPacket = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: 2000 }),
});

test('buildRtpPacket then parseRtpPacket gives the packet back (property)', () => {
  fc.assert(
    fc.property(arbitraryPacket, (packet) => {
      assert.deepEqual(parseRtpPacket(buildRtpPacket(packet)), { ...packet });
    }),
  );
});

test('parseRtpPacket on arbitrary bytes gives a packet in bounds or RTP_MALFORMED (fuzz)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        const packet = parseRtpPacket(bytes);
        assert.ok(packet.payload.length <= bytes.length - 12);
      } catch (error) {
        assert.ok(isMalformed(error), String(error));
      }
    }),
    { numRuns: fuzzRuns(5000) },
  );
});
