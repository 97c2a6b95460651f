import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { frameRfc4571, isRtcp, Rfc4571Framer } from '../../../media-node/formats/rfc4571.ts';
import { buildRtpPacket } from '../../../media-node/formats/rtp.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { RTP_MAX_PACKET_BYTES } from '../../../media-node/formats/limits.ts';
import {
  HIK,
  HIK_RTP_SEQUENCES,
  hikRtpPath,
  mustReadFixture,
  skipWithoutFixtures,
  splitAt,
} from './support.ts';

const CAPTURE = `${HIK}/hik-seq0-8-and-291.rfc4571`;
const noCapture = skipWithoutFixtures(CAPTURE, ...HIK_RTP_SEQUENCES.map(hikRtpPath));
/** Most a framer may hold: one whole frame and the header of the next. */
const BUFFER_BOUND = 2 + RTP_MAX_PACKET_BYTES + 2 + 12;

const capturePackets = () => HIK_RTP_SEQUENCES.map((seq) => mustReadFixture(hikRtpPath(seq)));

function frameAll(chunks: Iterable<Uint8Array>): { packets: Uint8Array[]; framer: Rfc4571Framer } {
  const framer = new Rfc4571Framer();
  const packets: Uint8Array[] = [];
  for (const chunk of chunks) packets.push(...framer.push(chunk));
  return { packets, framer };
}

/** RTP packets 0..count-1 of one source, payload sizes varying with the index. */
function rtpPackets(count: number, ssrc = 0x0bebc265, payloadType = 96): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    buildRtpPacket({
      marker: i % 3 === 2,
      payloadType,
      sequenceNumber: i,
      timestamp: 3600 * Math.floor(i / 3),
      ssrc,
      payload: new Uint8Array(20 + ((i * 37) % 300)).fill(i),
    }),
  );
}

const framed = (packets: Uint8Array[]) => concatBytes(packets.map(frameRfc4571));

/** A sender report with no report blocks (RFC 3550 §6.4.1): 28 bytes, length field 6. */
function senderReport(ssrc: number): Uint8Array {
  const sr = new Uint8Array(28);
  const view = new DataView(sr.buffer);
  view.setUint8(0, 0x80);
  view.setUint8(1, 200);
  view.setUint16(2, 6);
  view.setUint32(4, ssrc);
  return sr;
}

/** An SDES packet with one CNAME item "ab" (RFC 3550 §6.5): 12 bytes, length field 2. */
function sdes(ssrc: number): Uint8Array {
  const packet = Uint8Array.of(0x81, 202, 0, 2, 0, 0, 0, 0, 1, 2, 0x61, 0x62);
  new DataView(packet.buffer).setUint32(4, ssrc);
  return packet;
}

test('Rfc4571Framer reads the 10 RTP packets of the Hikvision capture', { skip: noCapture }, () => {
  const { packets, framer } = frameAll([mustReadFixture(CAPTURE)]);

  assert.deepEqual(packets, capturePackets());
  assert.deepEqual(framer.stats, { frames: 10, rtcp: 0, resyncs: 0, skippedBytes: 0 });
  assert.equal(framer.bufferedBytes, 0);
});

test(
  'frameRfc4571 of the captured packets is the capture file byte for byte',
  { skip: noCapture },
  () => {
    assert.deepEqual(framed(capturePackets()), mustReadFixture(CAPTURE));
  },
);

test(
  'Rfc4571Framer gives the same packets when the capture is cut at every byte position',
  { skip: noCapture },
  () => {
    const capture = mustReadFixture(CAPTURE);
    const expected = capturePackets();

    for (let cut = 1; cut < capture.length; cut++) {
      const { packets } = frameAll([capture.subarray(0, cut), capture.subarray(cut)]);
      assert.equal(packets.length, expected.length, `cut at ${cut}`);
      assert.deepEqual(packets, expected, `cut at ${cut}`);
    }
    const byteByByte = frameAll(Array.from(capture, (b) => Uint8Array.of(b)));
    assert.deepEqual(byteByByte.packets, expected);
  },
);

test('Rfc4571Framer resynchronises after garbage between frames', () => {
  const packets = rtpPackets(8);
  const garbage: [string, Uint8Array][] = [
    ['zeros', new Uint8Array(40)],
    ['0xFF', new Uint8Array(33).fill(0xff)],
    ['version-2 lookalikes', new Uint8Array(51).fill(0x80)],
    ['one stray byte', Uint8Array.of(0x42)],
    ['a length with nothing after it', Uint8Array.of(0x00, 0x20)],
  ];
  for (const [name, junk] of garbage) {
    const stream = concatBytes([framed(packets.slice(0, 4)), junk, framed(packets.slice(4))]);

    const { packets: out, framer } = frameAll([stream]);

    assert.deepEqual(out, packets, name);
    assert.deepEqual(
      framer.stats,
      { frames: 8, rtcp: 0, resyncs: 1, skippedBytes: junk.length },
      name,
    );
  }
});

test('Rfc4571Framer skips a frame whose length is zero or shorter than an RTP header', () => {
  const packets = rtpPackets(6);
  for (const badLength of [0, 5]) {
    const stream = framed(packets);
    const third = 2 * 2 + (packets[0]?.length ?? 0) + (packets[1]?.length ?? 0);
    new DataView(stream.buffer).setUint16(third, badLength);

    const { packets: out, framer } = frameAll([stream]);

    assert.deepEqual(out, [...packets.slice(0, 2), ...packets.slice(3)], `length ${badLength}`);
    assert.deepEqual(framer.stats, {
      frames: 5,
      rtcp: 0,
      resyncs: 1,
      skippedBytes: 2 + (packets[2]?.length ?? 0),
    });
  }
});

test('Rfc4571Framer loses only the frame a too-long length runs into', () => {
  const packets = rtpPackets(6);
  const stream = framed(packets);
  const third = 2 * 2 + (packets[0]?.length ?? 0) + (packets[1]?.length ?? 0);
  new DataView(stream.buffer).setUint16(third, (packets[2]?.length ?? 0) + 10);

  const { packets: out, framer } = frameAll([stream]);

  const swallowed = frameRfc4571(packets[3] ?? new Uint8Array(0)).subarray(0, 10);
  assert.deepEqual(out, [
    packets[0],
    packets[1],
    concatBytes([packets[2] ?? new Uint8Array(0), swallowed]),
    packets[4],
    packets[5],
  ]);
  assert.equal(framer.stats.resyncs, 1);
});

test('Rfc4571Framer skips a frame of RTP version other than 2', () => {
  const packets = rtpPackets(4);
  const version1 = Uint8Array.of(0x40, ...(packets[0] ?? new Uint8Array(0)).subarray(1));
  const stream = concatBytes([
    framed(packets.slice(0, 2)),
    frameRfc4571(version1),
    framed(packets.slice(2)),
  ]);

  const { packets: out, framer } = frameAll([stream]);

  assert.deepEqual(out, packets);
  assert.deepEqual(framer.stats, {
    frames: 4,
    rtcp: 0,
    resyncs: 1,
    skippedBytes: 2 + version1.length,
  });
});

test('Rfc4571Framer skips RTCP packets multiplexed into the stream (RFC 5761 §4)', () => {
  const ssrc = 0x0bebc265;
  const packets = rtpPackets(6, ssrc);
  const stream = concatBytes([
    frameRfc4571(senderReport(ssrc)),
    framed(packets.slice(0, 3)),
    frameRfc4571(concatBytes([senderReport(ssrc), sdes(ssrc)])),
    framed(packets.slice(3)),
    frameRfc4571(senderReport(ssrc)),
  ]);

  const { packets: out, framer } = frameAll([stream]);

  assert.deepEqual(out, packets);
  assert.deepEqual(framer.stats, { frames: 6, rtcp: 3, resyncs: 0, skippedBytes: 0 });
});

test('Rfc4571Framer treats an RTCP frame whose lengths do not add up as garbage', () => {
  const ssrc = 0x0bebc265;
  const packets = rtpPackets(4, ssrc);
  const broken = concatBytes([senderReport(ssrc), Uint8Array.of(0, 0, 0, 0)]);
  const stream = concatBytes([
    framed(packets.slice(0, 2)),
    frameRfc4571(broken),
    framed(packets.slice(2)),
  ]);

  const { packets: out, framer } = frameAll([stream]);

  assert.deepEqual(out, packets);
  assert.deepEqual(framer.stats, {
    frames: 4,
    rtcp: 0,
    resyncs: 1,
    skippedBytes: 2 + broken.length,
  });
});

test('isRtcp tells RTCP packet types 200-204 from RTP', () => {
  const rtp = rtpPackets(1)[0] ?? new Uint8Array(0);
  const markedPt72 = buildRtpPacket({
    marker: true,
    payloadType: 72,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 1,
    payload: new Uint8Array(0),
  });

  assert.equal(isRtcp(senderReport(1)), true);
  assert.equal(isRtcp(sdes(1)), true);
  assert.equal(isRtcp(Uint8Array.of(0x80, 205, 0, 0)), false);
  assert.equal(isRtcp(rtp), false);
  // The clash RFC 5761 §4 describes: PT 72 with the marker set reads as RTCP SR.
  assert.equal(isRtcp(markedPt72), true);
  assert.equal(isRtcp(Uint8Array.of(0x40, 200)), false);
  assert.equal(isRtcp(Uint8Array.of(0x80)), false);
});

test('Rfc4571Framer locks after leading garbage only once the next frame confirms', () => {
  const packets = rtpPackets(5);
  const junk = Uint8Array.of(0x00, 0x30, 0x80, 0x60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
  const framer = new Rfc4571Framer();

  const first = framer.push(concatBytes([junk, framed(packets.slice(0, 1))]));
  const rest = framer.push(framed(packets.slice(1)));

  assert.deepEqual(first, []);
  assert.deepEqual([...first, ...rest], packets);
  assert.deepEqual(framer.stats, { frames: 5, rtcp: 0, resyncs: 1, skippedBytes: junk.length });
});

test('Rfc4571Framer drops its SSRC lock after a scan longer than any frame', () => {
  const before = rtpPackets(3, 0x1111);
  const after = rtpPackets(4, 0x2222, 98);
  const junk = new Uint8Array(2 + RTP_MAX_PACKET_BYTES + 100);

  const { packets, framer } = frameAll([framed(before), junk, framed(after)]);

  assert.deepEqual(packets, [...before, ...after]);
  assert.deepEqual(framer.stats, { frames: 7, rtcp: 0, resyncs: 1, skippedBytes: junk.length });
});

test('Rfc4571Framer ignores another SSRC while locked and the scan is short', () => {
  const mine = rtpPackets(4, 0x1111);
  const other = rtpPackets(2, 0x2222);

  const { packets, framer } = frameAll([
    framed(mine.slice(0, 2)),
    framed(other),
    framed(mine.slice(2)),
  ]);

  assert.deepEqual(packets, mine);
  assert.equal(framer.stats.skippedBytes, framed(other).length);
});

test('frameRfc4571 accepts RTP_MAX_PACKET_BYTES, rejects one more and an empty packet', () => {
  const isMalformed = (error: unknown) => isArgusError(error, errorCodes.RTP_MALFORMED);

  assert.equal(frameRfc4571(new Uint8Array(RTP_MAX_PACKET_BYTES)).length, 2 + RTP_MAX_PACKET_BYTES);
  assert.throws(() => frameRfc4571(new Uint8Array(0)), isMalformed);
  assert.throws(
    () => frameRfc4571(new Uint8Array(RTP_MAX_PACKET_BYTES + 1)),
    (error: unknown) => {
      assert.ok(isMalformed(error));
      assert.equal(
        (error as Error).message,
        'Cannot frame RTP packet: length out of range 1..65535: 65536',
      );
      return true;
    },
  );
});

test('Rfc4571Framer reads a frame of RTP_MAX_PACKET_BYTES', () => {
  const big = new Uint8Array(RTP_MAX_PACKET_BYTES);
  big.set(rtpPackets(1)[0] ?? []);
  const packets = [big, ...rtpPackets(2)];

  const { packets: out } = frameAll([framed(packets)]);

  assert.deepEqual(out, packets);
});

test('Rfc4571Framer output does not depend on where reads split a valid stream (property)', () => {
  const stream = framed(rtpPackets(12));
  const whole = frameAll([stream]);
  const cuts = fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 30 });

  fc.assert(
    fc.property(cuts, (offsets) => {
      const split = frameAll(splitAt(stream, offsets));
      assert.deepEqual(split.packets, whole.packets);
      assert.deepEqual(split.framer.stats, whole.framer.stats);
    }),
    { numRuns: fuzzRuns(500) },
  );
});

test('Rfc4571Framer loses no packet to garbage between locked frames (property)', () => {
  const packets = rtpPackets(10);
  const junk = fc.array(fc.uint8Array({ minLength: 1, maxLength: 80 }), {
    minLength: 8,
    maxLength: 8,
  });

  fc.assert(
    fc.property(junk, fc.array(fc.integer({ min: 1, max: 4000 })), (pieces, cuts) => {
      const parts = [framed(packets.slice(0, 2))];
      packets
        .slice(2)
        .forEach((packet, i) => parts.push(pieces[i] ?? new Uint8Array(0), frameRfc4571(packet)));
      const stream = concatBytes(parts);

      const { packets: out } = frameAll(
        splitAt(
          stream,
          cuts.filter((c) => c < stream.length),
        ),
      );

      assert.deepEqual(out, packets);
    }),
    { numRuns: fuzzRuns(300) },
  );
});

/** `size` pseudo-random bytes (xorshift32): large inputs without fast-check drawing each byte. */
function noise(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed | 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

test('Rfc4571Framer never throws on random bytes and holds one frame at most (fuzz)', () => {
  const chunk = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc
      .tuple(fc.integer({ min: 30000, max: 70000 }), fc.integer())
      .map(([size, seed]) => noise(size, seed)),
    fc.constantFrom(...rtpPackets(3).map(frameRfc4571)),
  );
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 12 }), (chunks) => {
      const framer = new Rfc4571Framer();
      for (const bytes of chunks) {
        const packets = framer.push(bytes);
        assert.ok(framer.bufferedBytes <= BUFFER_BOUND, `${framer.bufferedBytes} bytes held`);
        assert.ok(packets.every((p) => p.length >= 12 && p.length <= RTP_MAX_PACKET_BYTES));
      }
    }),
    { numRuns: fuzzRuns(400) },
  );
});
