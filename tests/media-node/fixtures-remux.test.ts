/**
 * The public PS and RTP captures of ../shared/fixtures/public, demuxed and remuxed to FLV and
 * HLS as the media node would, checked against what each folder's SOURCES.md says and read
 * back with ffprobe. The Hikvision captures hold pieces of a stream (two P-frames without
 * their IDR, and the first 1400 bytes of an IDR): nothing in them can be decoded, so their
 * tests assert what the pieces do carry (codec, SPS size, frame boundaries) and that the
 * muxers rightly write no video for them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBytes } from '../../media-node/formats/bytes.ts';
import { parseSps, splitAnnexB } from '../../media-node/formats/h264.ts';
import { PsDemuxer } from '../../media-node/formats/ps-demuxer.ts';
import type { ElementaryFrame } from '../../media-node/formats/ps-demuxer.ts';
import { Rfc4571Framer } from '../../media-node/formats/rfc4571.ts';
import { parseRtpPacket } from '../../media-node/formats/rtp.ts';
import { RtpReorderBuffer } from '../../media-node/formats/rtp-reorder.ts';
import {
  FRI,
  HIK,
  HIK_RTP_SEQUENCES,
  SRS,
  demuxAll,
  hikRtpPath,
  mustReadFixture,
  skipWithoutFixtures,
  skipWithoutTool,
} from './formats/support.ts';
import { readTags } from './formats/flv-reader.ts';
import { framesOf, probeDecoded, writeFlv, writeHls } from './support/remux.ts';

const work = mkdtempSync(join(tmpdir(), 'argus-fixtures-remux-'));
after(() => rmSync(work, { recursive: true, force: true }));

const noFfprobe = skipWithoutTool('ffprobe');
const HIK_RTP = HIK_RTP_SEQUENCES.map(hikRtpPath);
const HIK_4571 = `${HIK}/hik-seq0-8-and-291.rfc4571`;
const FRI_FULL = `${FRI}/Audio_G711_PS2.mpg`;
const FRI_HEAD = `${FRI}/Audio_G711_PS2.head64k.mpg`;

/** The RTP path without sockets: parse → reorder (flushed at the end) → PS demux. */
function receiveRtp(datagrams: Uint8Array[]) {
  const reorder = new RtpReorderBuffer();
  const demuxer = new PsDemuxer();
  const frames: ElementaryFrame[] = [];
  const ordered = [
    ...datagrams.flatMap((d) => reorder.push(parseRtpPacket(d))),
    ...reorder.flush(),
  ];
  for (const packet of ordered) {
    frames.push(...demuxer.push(packet.payload, packet.afterLoss));
    if (packet.marker) frames.push(...demuxer.markFrameEnd());
  }
  frames.push(...demuxer.flush());
  return { frames, demuxer, reorder, sequences: ordered.map((p) => p.sequenceNumber) };
}

/** The first SPS in raw PS bytes, read from its PES payload (for captures cut mid-frame). */
function spsIn(ps: Uint8Array) {
  const sps = splitAnnexB(ps).find((nal) => ((nal[0] ?? 0) & 0x1f) === 7 && nal[0] !== 0xe7);
  assert.ok(sps, 'an SPS in the capture');
  const { profileIdc, width, height } = parseSps(sps);
  return { profileIdc, width, height };
}

/** [codec, keyframe, first NAL type, PTS step from the previous frame] of video frames. */
const describeVideo = (frames: ElementaryFrame[]) =>
  frames.map((f, i) => [
    f.codec,
    f.keyframe,
    (splitAnnexB(f.data)[0]?.[0] ?? 0) & 0x1f,
    f.pts - (frames[i - 1]?.pts ?? f.pts),
  ]);

/** Remuxes to FLV and HLS; both must hold no video (the capture has no keyframe). */
function assertNoVideoOut(frames: ElementaryFrame[], name: string): void {
  const flv = writeFlv(frames, join(work, `${name}.flv`));
  const hls = writeHls(frames, join(work, name));
  assert.equal(flv.tags.length, 0, 'FlvMuxer waits for a keyframe');
  assert.equal(hls.segments.length, 0, 'Segmenter waits for a keyframe');
  assert.equal(hls.segmenter.stats.skippedFrames, frames.length);
}

// The 1920x1080 IDR start is truncated, so no keyframe remains: FLV and HLS rightly hold no video.
test(
  'lal Hikvision RTP packets demux to two H.264 P-frames 3600 ticks apart; the cut IDR is dropped',
  { skip: skipWithoutFixtures(...HIK_RTP) },
  () => {
    const datagrams = HIK_RTP.map(mustReadFixture);

    const { frames, demuxer, reorder } = receiveRtp(datagrams);

    assert.deepEqual(describeVideo(frames), [
      ['h264', false, 1, 0],
      ['h264', false, 1, 3600],
    ]);
    assert.equal(reorder.lost, 291 - 9, 'the real gap 8 → 291');
    assert.deepEqual(demuxer.stats, { packs: 3, pes: 5, skippedBytes: 0, droppedFrames: 1 });
    assert.deepEqual(
      [...demuxer.streamMap],
      [
        [0xe0, 'h264'],
        [0xc0, 'g711u'],
      ],
    );
    const idr = parseRtpPacket(mustReadFixture(hikRtpPath(291))).payload;
    assert.deepEqual(spsIn(idr), { profileIdc: 77, width: 1920, height: 1080 });
    assertNoVideoOut(frames, 'hik-rtp');
  },
);

test(
  'lal Hikvision RFC 4571 stream frames into the same 10 RTP packets, whole or byte by byte',
  { skip: skipWithoutFixtures(HIK_4571, ...HIK_RTP) },
  () => {
    const stream = mustReadFixture(HIK_4571);
    const whole = new Rfc4571Framer();
    const bytewise = new Rfc4571Framer();

    const packets = whole.push(stream);
    const trickled = [...stream].flatMap((_, i) => bytewise.push(stream.subarray(i, i + 1)));

    assert.deepEqual(packets, HIK_RTP.map(mustReadFixture));
    assert.deepEqual(trickled, packets);
    assert.deepEqual(whole.stats, { frames: 10, rtcp: 0, resyncs: 0, skippedBytes: 0 });
    assert.deepEqual(
      receiveRtp(packets).frames.map((f) => f.data),
      receiveRtp(HIK_RTP.map(mustReadFixture)).frames.map((f) => f.data),
    );
  },
);

// FFmpeg guesses mp3 here; the two P-frames are not decodable without their IDR.
test(
  'lal Hikvision PS without a stream map demuxes as H.264 from the NAL headers: two P-frames',
  { skip: skipWithoutFixtures(`${HIK}/hik-seq0-8.ps`) },
  () => {
    const { frames, demuxer } = demuxAll([mustReadFixture(`${HIK}/hik-seq0-8.ps`)]);

    assert.deepEqual(describeVideo(frames), [
      ['h264', false, 1, 0],
      ['h264', false, 1, 3600],
    ]);
    assert.equal(demuxer.streamMap.size, 0);
    assert.deepEqual(demuxer.stats, { packs: 2, pes: 2, skippedBytes: 0, droppedFrames: 0 });
    assertNoVideoOut(frames, 'hik-ps');
  },
);

// The stream map carries HK descriptors; the IDR, cut at 1400 bytes, is not emitted broken.
test(
  'lal Hikvision IDR start: H.264 + G.711µ, SPS Main 1920x1080; the cut IDR is dropped',
  { skip: skipWithoutFixtures(`${HIK}/hik-seq291-idr-start.ps`) },
  () => {
    const ps = mustReadFixture(`${HIK}/hik-seq291-idr-start.ps`);

    const { frames, demuxer } = demuxAll([ps]);

    assert.deepEqual(frames, []);
    assert.deepEqual(demuxer.stats, { packs: 1, pes: 3, skippedBytes: 0, droppedFrames: 1 });
    assert.deepEqual([...demuxer.streamMap.values()], ['h264', 'g711u']);
    assert.deepEqual(spsIn(ps), { profileIdc: 77, width: 1920, height: 1080 });
  },
);

// SPS, PPS, SEI and IDR PES (only the first with a PTS) form that one access unit.
test(
  'SRS Hikvision pack: H.264 + AAC, SPS Main 2560x1440; one access unit, dropped as truncated',
  { skip: skipWithoutFixtures(`${SRS}/hik-seq31813-head260.bin`) },
  () => {
    const ps = mustReadFixture(`${SRS}/hik-seq31813-head260.bin`);

    const { frames, demuxer } = demuxAll([ps]);

    assert.deepEqual(frames, []);
    assert.deepEqual(demuxer.stats, { packs: 1, pes: 4, skippedBytes: 0, droppedFrames: 1 });
    assert.deepEqual([...demuxer.streamMap.values()], ['h264', 'aac']);
    assert.deepEqual(spsIn(ps), { profileIdc: 77, width: 2560, height: 1440 });
  },
);

// hik-seq31913-tail24 starts with the last 8 bytes of a video PES: a pack and a PES header
// for those 8 bytes put the demuxer where the camera's stream had it.
const SRS_PIECES = [
  `${SRS}/hik-seq31913-tail24.bin`,
  `${SRS}/hik-seq31914-full96.bin`,
  `${SRS}/rtp-seq31916-audio-pes-c0.rtp`,
  `${HIK}/hik-seq0-8.ps`,
];

// The 0xBD PES is skipped by its length; FLV decodes the AAC frame (HLS needs video, so none).
test(
  'SRS Hikvision pieces: a 0xBD PES split over RTP packets is skipped; ADTS gives one AAC frame',
  { skip: skipWithoutFixtures(...SRS_PIECES) || noFfprobe },
  () => {
    const [tail24, full96, audioRtp, hikPs] = SRS_PIECES.map(mustReadFixture);
    assert.ok(tail24 && full96 && audioRtp && hikPs);
    const context = concatBytes([
      hikPs.subarray(0, 20),
      Uint8Array.of(0, 0, 1, 0xe0, 0, 11, 0x80, 0, 0),
    ]);
    const audio = parseRtpPacket(audioRtp).payload;

    const { frames, demuxer } = demuxAll([context, tail24, full96, audio]);
    const flv = writeFlv(frames, join(work, 'srs-aac.flv'));
    const hls = writeHls(frames, join(work, 'srs-aac'));

    assert.deepEqual(
      frames.map((f) => [f.kind, f.codec, f.data.length]),
      [['audio', 'aac', 100]],
    );
    assert.deepEqual(demuxer.stats, { packs: 1, pes: 3, skippedBytes: 0, droppedFrames: 0 });
    assert.deepEqual(probeDecoded(flv.path), [
      { codec_type: 'audio', codec_name: 'aac', sample_rate: '44100', nb_read_frames: '1' },
    ]);
    assert.equal(hls.segments.length, 0);
  },
);

test(
  'FRI SPVMN program stream demuxes to 35353 G.711A PES (353.55 s) despite a too short stream map',
  { skip: skipWithoutFixtures(FRI_FULL) },
  () => {
    const { frames, demuxer } = demuxAll([mustReadFixture(FRI_FULL)]);

    assert.equal(frames.length, 35353);
    assert.ok(frames.every((f) => f.kind === 'audio' && f.codec === 'g711a'));
    // 35351 PES of 80 bytes and two ISO/IEC 11172-1 PES of 160 bytes near the start.
    assert.equal(
      frames.reduce((sum, f) => sum + f.data.length, 0),
      35351 * 80 + 2 * 160,
    );
    assert.deepEqual(demuxer.stats, { packs: 7982, pes: 35353, skippedBytes: 0, droppedFrames: 0 });
  },
);

// HLS fMP4 here carries no G.711: the audio is counted and left out.
test(
  'FRI SPVMN G.711A head remuxes to an audio-only FLV ffprobe reads as pcm_alaw 8 kHz, every PES',
  { skip: skipWithoutFixtures(FRI_HEAD) || noFfprobe },
  () => {
    const { frames } = demuxAll([mustReadFixture(FRI_HEAD)]);

    const flv = writeFlv(frames, join(work, 'fri.flv'));
    const hls = writeHls(frames, join(work, 'fri'));

    assert.equal(frames.length, 637);
    const streams = probeDecoded(flv.path);
    assert.deepEqual(
      streams.map((s) => [s.codec_type, s.codec_name, s.sample_rate]),
      [['audio', 'pcm_alaw', '8000']],
    );
    assert.equal(framesOf(streams, 'audio'), flv.tags.length);
    // 6.37 s of samples over about 5.75 s of PTS; the two bogus PTS 11 hours ahead are
    // stepped over instead of freezing every later tag at 39394 s.
    const lastMs = readTags(flv.tags).at(-1)?.timestamp ?? 0;
    assert.ok(lastMs > 5000 && lastMs < 7000, `last audio tag at ${lastMs} ms`);
    assert.equal(hls.segments.length, 0);
    assert.equal(hls.segmenter.stats.ignoredAudioFrames, 637);
  },
);
