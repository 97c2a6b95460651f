import { test } from 'node:test';
import assert from 'node:assert/strict';

import { PsDemuxer } from '../../../media-node/formats/ps-demuxer.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { stripTimestamps } from './support.ts';

const FRAME_TICKS = 3600;
const CHUNK_BYTES = 1400;
/** Close enough to 2^32 that the RTP timestamps wrap within the clip. */
const RTP_START = 2 ** 32 - 5 * FRAME_TICKS;

const clip = readClipFrames().slice(0, 30);

/** Pushes each pack in RTP-sized chunks stamped with its frame's 32-bit RTP timestamp. */
function demuxWithRtpClock(packs: Uint8Array[], marker: boolean): ElementaryFrame[] {
  const demuxer = new PsDemuxer();
  const frames: ElementaryFrame[] = [];
  packs.forEach((pack, index) => {
    const timestamp = (RTP_START + index * FRAME_TICKS) % 2 ** 32;
    for (let at = 0; at < pack.length; at += CHUNK_BYTES) {
      frames.push(...demuxer.push(pack.subarray(at, at + CHUNK_BYTES), false, timestamp));
    }
    if (marker) frames.push(...demuxer.markFrameEnd());
  });
  return [...frames, ...demuxer.flush()];
}

const rtpTimes = (count: number) =>
  [...Array(count).keys()].map((i) => RTP_START + i * FRAME_TICKS);

for (const marker of [false, true]) {
  const by = marker ? 'at the RTP marker' : 'where the RTP timestamp changes';

  test(`PsDemuxer takes PTS from the RTP clock for PES without PTS, splitting ${by}`, () => {
    const packs = clip.map((frame) =>
      stripTimestamps(muxPsVideoFrame(frame.data, { pts: 0, keyframe: frame.keyframe })),
    );

    const frames = demuxWithRtpClock(packs, marker);

    assert.deepEqual(
      frames.map((f) => f.data),
      clip.map((f) => f.data),
    );
    assert.deepEqual(
      frames.map((f) => f.pts),
      rtpTimes(clip.length),
      'the unwrapped RTP timestamps, past 2^32',
    );
    assert.ok(frames.every((f) => f.dts === f.pts));
  });

  test(`PsDemuxer takes PTS from the RTP clock when every PES repeats one PTS, ${by}`, () => {
    const packs = clip.map((frame) =>
      muxPsVideoFrame(frame.data, { pts: RTP_START, keyframe: frame.keyframe }),
    );

    const frames = demuxWithRtpClock(packs, marker);

    assert.equal(frames.length, clip.length);
    assert.deepEqual(
      frames.map((f) => f.pts),
      rtpTimes(clip.length),
    );
  });
}

test('PsDemuxer counts synthesised PTS on from the last real one, so the clocks never jump', () => {
  const packs = clip.map((frame) =>
    muxPsVideoFrame(frame.data, { pts: 1000, keyframe: frame.keyframe }),
  );

  const frames = demuxWithRtpClock(packs, false);

  assert.deepEqual(
    frames.map((f) => f.pts),
    clip.map((_, i) => 1000 + i * FRAME_TICKS),
  );
});

test('PsDemuxer keeps real PTS, and PES continuing an access unit, given the RTP clock', () => {
  const packs = clip.map((frame, i) =>
    muxPsVideoFrame(frame.data, { pts: 500 + i * 3000, keyframe: frame.keyframe }),
  );

  const frames = demuxWithRtpClock(packs, false);

  assert.deepEqual(
    frames.map((f) => [f.pts, f.data.length]),
    clip.map((f, i) => [500 + i * 3000, f.data.length]),
  );
});

test('PsDemuxer without an RTP clock still drops video whose PES carry no PTS', () => {
  const demuxer = new PsDemuxer();
  const pack = stripTimestamps(
    muxPsVideoFrame(clip[0]?.data ?? new Uint8Array(), { pts: 0, keyframe: true }),
  );

  assert.deepEqual([...demuxer.push(pack), ...demuxer.flush()], []);
});

test('PsDemuxer keeps an access unit split over PES without PTS whole under one timestamp', () => {
  const idr = new Uint8Array(150_000).fill(0x55);
  idr.set([0, 0, 0, 1, 0x65]);
  const packs = [idr, idr].map((au) =>
    stripTimestamps(muxPsVideoFrame(au, { pts: 0, keyframe: true })),
  );

  const frames = demuxWithRtpClock(packs, false);

  assert.deepEqual(
    frames.map((f) => [f.pts, f.data.length, f.keyframe]),
    [
      [RTP_START, idr.length, true],
      [RTP_START + FRAME_TICKS, idr.length, true],
    ],
  );
});
