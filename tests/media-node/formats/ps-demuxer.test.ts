import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PsDemuxer } from '../../../media-node/formats/ps-demuxer.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { muxPsAudioFrame, muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { parseRtpPacket, packetizeRtp } from '../../../media-node/formats/rtp.ts';
import { RtpReorderBuffer } from '../../../media-node/formats/rtp-reorder.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { ACCESS_UNIT_MAX_BYTES } from '../../../media-node/formats/limits.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { skipWithoutFixture } from '../../support/fixtures.ts';
import {
  FRI,
  HIK,
  HIK_RTP_SEQUENCES,
  SRS,
  demuxAll,
  hikRtpPath,
  mustReadFixture,
  skipWithoutFixtures,
} from './support.ts';

const HIK_PS = `${HIK}/hik-seq0-8.ps`;
const HIK_IDR = `${HIK}/hik-seq291-idr-start.ps`;
const FRI_HEAD = `${FRI}/Audio_G711_PS2.head64k.mpg`;
const FRI_FULL = `${FRI}/Audio_G711_PS2.mpg`;
const SRS_HEAD = `${SRS}/hik-seq31813-head260.bin`;

const hex = (bytes: Uint8Array, length: number) =>
  Buffer.from(bytes.subarray(0, length)).toString('hex');

test(
  'PsDemuxer reads two Hikvision P-frames without a stream map as H.264',
  { skip: skipWithoutFixture(HIK_PS) },
  () => {
    const demuxer = new PsDemuxer();

    const onPush = demuxer.push(mustReadFixture(HIK_PS));
    const onFlush = demuxer.flush();

    assert.equal(onPush.length, 1, 'the first frame completes when the second one starts');
    const frames = [...onPush, ...onFlush];
    assert.deepEqual(
      frames.map((f) => [f.kind, f.codec, f.pts, f.dts, f.keyframe, f.data.length, hex(f.data, 5)]),
      [
        ['video', 'h264', 3096965148, 3096965148, false, 4342, '0000000101'],
        ['video', 'h264', 3096968748, 3096968748, false, 5884, '0000000161'],
      ],
    );
    assert.deepEqual(demuxer.stats, { packs: 2, pes: 2, skippedBytes: 0, droppedFrames: 0 });
    assert.equal(demuxer.streamMap.size, 0);
  },
);

test(
  'PsDemuxer reads a Hikvision stream map with HK descriptors and drops the truncated IDR',
  { skip: skipWithoutFixture(HIK_IDR) },
  () => {
    const { frames, demuxer } = demuxAll([mustReadFixture(HIK_IDR)]);

    assert.deepEqual(frames, []);
    assert.deepEqual(
      [...demuxer.streamMap],
      [
        [0xe0, 'h264'],
        [0xc0, 'g711u'],
      ],
    );
    assert.deepEqual(demuxer.stats, { packs: 1, pes: 3, skippedBytes: 0, droppedFrames: 1 });
  },
);

test(
  'PsDemuxer reads the Hikvision RTP capture packet by packet through the reorder buffer',
  { skip: skipWithoutFixtures(...HIK_RTP_SEQUENCES.map(hikRtpPath)) },
  () => {
    const reorder = new RtpReorderBuffer();
    const demuxer = new PsDemuxer();
    const frames: ElementaryFrame[] = [];
    const feed = (packets: ReturnType<RtpReorderBuffer['push']>) => {
      for (const packet of packets) {
        frames.push(...demuxer.push(packet.payload, packet.afterLoss));
        if (packet.marker) frames.push(...demuxer.markFrameEnd());
      }
    };

    for (const seq of [0, 2, 1, 3, 3, 5, 4, 6, 7, 8, 291])
      feed(reorder.push(parseRtpPacket(mustReadFixture(hikRtpPath(seq)))));
    feed(reorder.flush());
    frames.push(...demuxer.flush());

    assert.deepEqual(
      frames.map((f) => [f.pts, f.data.length, f.keyframe]),
      [
        [3096965148, 4342, false],
        [3096968748, 5884, false],
      ],
    );
    assert.equal(reorder.lost, 282);
    assert.equal(reorder.duplicates, 1);
    assert.deepEqual(demuxer.stats, { packs: 3, pes: 5, skippedBytes: 0, droppedFrames: 1 });
  },
);

test(
  'PsDemuxer gives the same frames for the Hikvision capture split at every byte offset',
  { skip: skipWithoutFixture(HIK_PS) },
  () => {
    const bytes = mustReadFixture(HIK_PS);
    const expected = demuxAll([bytes]).frames;

    for (let cut = 1; cut < bytes.length; cut++) {
      const { frames, demuxer } = demuxAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(frames, expected, `cut at ${cut}`);
      assert.equal(demuxer.stats.skippedBytes, 0);
    }
  },
);

test(
  'PsDemuxer gives the same result fed one byte at a time',
  { skip: skipWithoutFixtures(HIK_PS, HIK_IDR, SRS_HEAD) },
  () => {
    for (const fixture of [HIK_PS, HIK_IDR, SRS_HEAD]) {
      const bytes = mustReadFixture(fixture);
      const whole = demuxAll([bytes]);
      const bytewise = demuxAll([...bytes].map((b) => Uint8Array.of(b)));

      assert.deepEqual(bytewise.frames, whole.frames, fixture);
      assert.deepEqual(bytewise.demuxer.stats, whole.demuxer.stats, fixture);
      assert.deepEqual(bytewise.demuxer.streamMap, whole.demuxer.streamMap, fixture);
    }
  },
);

test(
  'PsDemuxer reads the SRS Hikvision pack: AAC in the stream map, SPS/PPS/SEI/IDR in four PES',
  { skip: skipWithoutFixture(SRS_HEAD) },
  () => {
    const { frames, demuxer } = demuxAll([mustReadFixture(SRS_HEAD)]);

    assert.deepEqual(frames, [], 'the IDR PES (65478 bytes) is cut off');
    assert.deepEqual(
      [...demuxer.streamMap],
      [
        [0xe0, 'h264'],
        [0xc0, 'aac'],
      ],
    );
    assert.deepEqual(demuxer.stats, { packs: 1, pes: 4, skippedBytes: 0, droppedFrames: 1 });
  },
);

test(
  'PsDemuxer reads an audio PES holding one ADTS frame as AAC without a stream map',
  { skip: skipWithoutFixture(`${SRS}/rtp-seq31916-audio-pes-c0.rtp`) },
  () => {
    const packet = parseRtpPacket(mustReadFixture(`${SRS}/rtp-seq31916-audio-pes-c0.rtp`));

    const { frames } = demuxAll([packet.payload]);

    assert.deepEqual(
      frames.map((f) => [f.kind, f.codec, f.pts, f.data.length, hex(f.data, 2)]),
      [['audio', 'aac', 2728088830, 100, 'fff9']],
    );
  },
);

test(
  'PsDemuxer resynchronises on the next video PES inside SRS mid-packet pieces',
  { skip: skipWithoutFixtures(`${SRS}/hik-seq31859-tail88.bin`, `${SRS}/hik-seq31906-mid48.bin`) },
  () => {
    const tail = demuxAll([mustReadFixture(`${SRS}/hik-seq31859-tail88.bin`)]);
    const mid = demuxAll([mustReadFixture(`${SRS}/hik-seq31906-mid48.bin`)]);

    assert.deepEqual(
      [tail.frames, tail.demuxer.stats.skippedBytes, tail.demuxer.stats.pes],
      [[], 4, 1],
    );
    assert.deepEqual(
      [mid.frames, mid.demuxer.stats.skippedBytes, mid.demuxer.stats.pes],
      [[], 8, 1],
    );
  },
);

test(
  'PsDemuxer skips a private-stream-1 PES whose payload starts in the next RTP packet',
  {
    skip: skipWithoutFixtures(
      `${SRS}/hik-seq31913-tail24.bin`,
      `${SRS}/hik-seq31914-full96.bin`,
      `${SRS}/pes-bd-private-complete.bin`,
    ),
  },
  () => {
    const [first, second] = readClipFrames();
    assert.ok(first && second);
    const header = mustReadFixture(`${SRS}/hik-seq31913-tail24.bin`).subarray(8);
    const payload = mustReadFixture(`${SRS}/hik-seq31914-full96.bin`);

    const { frames, demuxer } = demuxAll([
      muxPsVideoFrame(first.data, { pts: 0, keyframe: true }),
      header,
      payload,
      muxPsVideoFrame(second.data, { pts: 3600, keyframe: false }),
    ]);

    assert.equal(frames.length, 2);
    assert.deepEqual(
      concatBytes([header, payload]),
      mustReadFixture(`${SRS}/pes-bd-private-complete.bin`),
    );
    assert.deepEqual(demuxer.stats, { packs: 2, pes: 3, skippedBytes: 0, droppedFrames: 0 });
  },
);

test(
  'PsDemuxer reads FRI SPVMN G.711A despite the under-declared stream map length',
  { skip: skipWithoutFixture(FRI_HEAD) },
  () => {
    const { frames, demuxer } = demuxAll([mustReadFixture(FRI_HEAD)]);

    assert.deepEqual(
      [...demuxer.streamMap],
      [
        [0xe0, 'h264'],
        [0xc0, 'g711a'],
      ],
    );
    assert.equal(frames.length, 637);
    assert.ok(frames.every((f) => f.kind === 'audio' && f.codec === 'g711a'));
    assert.deepEqual(
      [frames[0]?.pts, frames[0]?.dts, frames[0]?.data.length],
      [11205360, 11201760, 80],
    );
    assert.deepEqual(demuxer.stats, { packs: 143, pes: 637, skippedBytes: 0, droppedFrames: 0 });
  },
);

test(
  'PsDemuxer reads every audio PES of the full FRI SPVMN file, MPEG-1 PES headers included',
  { skip: skipWithoutFixture(FRI_FULL) },
  () => {
    const { frames, demuxer } = demuxAll([mustReadFixture(FRI_FULL)]);

    assert.equal(frames.length, 35353);
    assert.equal(frames.filter((f) => f.data.length === 80).length, 35351);
    assert.equal(frames.filter((f) => f.data.length === 160).length, 2);
    assert.deepEqual(demuxer.stats, { packs: 7982, pes: 35353, skippedBytes: 0, droppedFrames: 0 });
  },
);

/** The committed clip as GB-style packs, one per frame, 25 fps. */
function clipPacks(count = 100): { packs: Uint8Array[]; aus: Uint8Array[] } {
  const frames = readClipFrames().slice(0, count);
  const packs = frames.map((f, i) =>
    muxPsVideoFrame(f.data, { pts: 90000 + 3600 * i, keyframe: f.keyframe }),
  );
  return { packs, aus: frames.map((f) => f.data) };
}

test('PsDemuxer returns each access unit muxed by ps-muxer, keyframes flagged', () => {
  const { packs, aus } = clipPacks();

  const { frames, demuxer } = demuxAll(packs);

  assert.deepEqual(
    frames.map((f) => f.data),
    aus,
  );
  assert.deepEqual(
    frames.filter((f) => f.keyframe).map((f) => f.pts),
    [90000, 180000, 270000, 360000],
  );
  assert.ok(frames.every((f) => f.codec === 'h264' && f.kind === 'video'));
  assert.deepEqual(demuxer.stats, { packs: 100, pes: 100, skippedBytes: 0, droppedFrames: 0 });
});

test('PsDemuxer drops the frame broken by a loss and resumes at the next pack', () => {
  const { packs, aus } = clipPacks(6);
  const demuxer = new PsDemuxer();
  const frames: ElementaryFrame[] = [];

  packs.forEach((pack, i) => {
    const packets = packetizeRtp(pack, {
      payloadType: 96,
      ssrc: 1,
      timestamp: i * 3600,
      firstSequence: 0,
      maxPayload: 500,
    });
    const kept = i === 2 ? packets.filter((_, n) => n !== 1) : packets;
    kept.forEach((p, n) => frames.push(...demuxer.push(p.payload, i === 2 && n === 1)));
  });
  frames.push(...demuxer.flush());

  assert.deepEqual(
    frames.map((f) => f.data),
    [aus[0], aus[1], aus[3], aus[4], aus[5]],
  );
  assert.equal(demuxer.stats.droppedFrames, 1);
  assert.ok(demuxer.stats.skippedBytes > 0);
});

test('PsDemuxer skips garbage before the first pack and counts it', () => {
  const { packs, aus } = clipPacks(3);
  const garbage = new Uint8Array(1000).map((_, i) => (i * 7 + 3) % 251 || 9);

  const { frames, demuxer } = demuxAll([garbage, ...packs]);

  assert.deepEqual(
    frames.map((f) => f.data),
    aus,
  );
  assert.equal(demuxer.stats.skippedBytes, 1000);
});

test('PsDemuxer emits a frame on markFrameEnd without waiting for the next one', () => {
  const { packs, aus } = clipPacks(2);
  const demuxer = new PsDemuxer();

  assert.deepEqual(demuxer.push(packs[0] ?? new Uint8Array(0)), []);
  assert.deepEqual(
    demuxer.markFrameEnd().map((f) => f.data),
    [aus[0]],
  );
  assert.deepEqual(demuxer.push(packs[1] ?? new Uint8Array(0)), []);
  assert.deepEqual(
    demuxer.flush().map((f) => f.data),
    [aus[1]],
  );
});

/** A video PES without PTS: the continuation of an access unit (ISO/IEC 13818-1 §2.4.3.6). */
function continuationPes(payload: Uint8Array): Uint8Array {
  const header = Uint8Array.of(
    0,
    0,
    1,
    0xe0,
    (payload.length + 3) >> 8,
    (payload.length + 3) & 0xff,
    0x80,
    0,
    0,
  );
  return concatBytes([header, payload]);
}

function bigFrame(size: number): Uint8Array {
  const au = new Uint8Array(size).fill(0xaa);
  au.set([0, 0, 0, 1, 0x65, 0x88]);
  return au;
}

test('PsDemuxer accepts an access unit of ACCESS_UNIT_MAX_BYTES, drops one a byte larger', () => {
  const atLimit = muxPsVideoFrame(bigFrame(ACCESS_UNIT_MAX_BYTES), { pts: 0, keyframe: true });
  const pastLimit = [
    muxPsVideoFrame(bigFrame(ACCESS_UNIT_MAX_BYTES), { pts: 3600, keyframe: true }),
    continuationPes(Uint8Array.of(0xaa)),
  ];
  const next = muxPsVideoFrame(bigFrame(100), { pts: 7200, keyframe: true });

  const { frames, demuxer } = demuxAll([atLimit, ...pastLimit, next]);

  assert.deepEqual(
    frames.map((f) => [f.pts, f.data.length]),
    [
      [0, ACCESS_UNIT_MAX_BYTES],
      [7200, 100],
    ],
  );
  assert.equal(demuxer.stats.droppedFrames, 1);
});

const H265_IDR = Uint8Array.of(
  ...[0, 0, 0, 1, 0x40, 0x01, 0x0c], // VPS
  ...[0, 0, 0, 1, 0x42, 0x01, 0x01], // SPS
  ...[0, 0, 0, 1, 0x44, 0x01, 0xc1], // PPS
  ...[0, 0, 0, 1, 0x26, 0x01, 0xaf, 0x11], // IDR_W_RADL
);
const H265_TRAIL = Uint8Array.of(0, 0, 0, 1, 0x02, 0x01, 0xd0, 0x22);

test('PsDemuxer tells H.265 from the NAL headers without a stream map', () => {
  const { frames } = demuxAll([
    muxPsVideoFrame(H265_IDR, { pts: 0, keyframe: false }),
    muxPsVideoFrame(H265_TRAIL, { pts: 3600, keyframe: false }),
  ]);

  assert.deepEqual(
    frames.map((f) => [f.codec, f.keyframe]),
    [
      ['h265', true],
      ['h265', false],
    ],
  );
});

test('PsDemuxer trusts H.265 NAL headers over a stream map that says H.264', () => {
  const { frames } = demuxAll([
    muxPsVideoFrame(H265_IDR, { pts: 0, keyframe: true, codec: 'h264' }),
  ]);

  assert.deepEqual(
    frames.map((f) => [f.codec, f.keyframe]),
    [['h265', true]],
  );
});

test('PsDemuxer reads audio and video of one program, G.711A declared by the stream map', () => {
  const { aus } = clipPacks(1);
  const samples = new Uint8Array(160).fill(0xd5);
  const stream = [
    muxPsVideoFrame(aus[0] ?? new Uint8Array(0), { pts: 0, keyframe: true, audio: 'g711a' }),
    muxPsAudioFrame(samples, { pts: 1800 }),
    Uint8Array.of(0, 0, 1, 0xb9), // MPEG_program_end_code
  ];

  const { frames } = demuxAll(stream);

  assert.deepEqual(
    frames.map((f) => [f.kind, f.codec, f.pts, f.data.length]),
    [
      ['audio', 'g711a', 1800, 160],
      ['video', 'h264', 0, aus[0]?.length],
    ],
  );
});
