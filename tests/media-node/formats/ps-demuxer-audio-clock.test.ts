/**
 * Audio PES without a PTS (or with the previous one again), as some GB/T 28181 devices send
 * them: the demuxer counts the audio on from the PES before it, and places the first one,
 * and the first after a loss, by the RTP clock.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';

import { PsDemuxer } from '../../../media-node/formats/ps-demuxer.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { muxPsAudioFrame, muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { encodeAudio, noFfmpeg, tempFolder } from './encodes.ts';
import { splitAdts, stripTimestamps } from './support.ts';

const temp = tempFolder();
after(temp.remove);

const FRAME_TICKS = 3600;
const BASE = 90_000;
/** 40 ms of G.711 at 8 kHz: 320 samples, 3600 ticks. */
const G711_PES = new Uint8Array(320).fill(0x55);
const clip = readClipFrames().slice(0, 25);

interface Unit {
  bytes: Uint8Array;
  /** The RTP timestamp its packets carry. */
  rtp: number;
}

/** Video frame i then audio PES i, 25 a second; the audio PES carry `audioPts(i)` or none. */
function stream(
  audio: Uint8Array[],
  audioPts: (i: number) => number | undefined,
  videoPts = true,
): Unit[] {
  const codec = audio[0]?.[0] === 0xff ? 'aac' : 'g711a';
  return audio.flatMap((data, i) => {
    const time = BASE + i * FRAME_TICKS;
    const frame = clip[i % clip.length];
    const units: Unit[] = [];
    if (frame !== undefined) {
      const pack = muxPsVideoFrame(frame.data, {
        pts: time,
        keyframe: i % clip.length === 0,
        audio: codec,
      });
      units.push({ bytes: videoPts ? pack : stripTimestamps(pack), rtp: time });
    }
    const pts = audioPts(i);
    const pack = muxPsAudioFrame(data, { pts: pts ?? 0 });
    // The device stamps the audio packet with the video frame's RTP time.
    units.push({ bytes: pts === undefined ? stripTimestamps(pack) : pack, rtp: time });
    return units;
  });
}

function audioTimes(units: Unit[], opts: { rtp: boolean; lossBefore?: number }): number[] {
  const demuxer = new PsDemuxer();
  const frames: ElementaryFrame[] = [];
  units.forEach((unit, n) => {
    if (opts.lossBefore !== undefined && n < opts.lossBefore && n > 10) return;
    const afterLoss = n === opts.lossBefore;
    frames.push(...demuxer.push(unit.bytes, afterLoss, opts.rtp ? unit.rtp : undefined));
  });
  frames.push(...demuxer.flush());
  return frames.filter((f) => f.kind === 'audio').map((f) => f.pts);
}

const counted = (count: number, from: number, ticks: number) =>
  Array.from({ length: count }, (_, i) => from + Math.round(i * ticks));

test('PsDemuxer counts G.711 PES without PTS on at one sample per byte at 8 kHz', () => {
  const audio = Array.from({ length: 20 }, () => G711_PES);

  const times = audioTimes(
    stream(audio, (i) => (i === 0 ? BASE + 500 : undefined)),
    { rtp: false },
  );

  assert.deepEqual(times, counted(20, BASE + 500, 3600));
});

test('PsDemuxer counts on where every audio PES repeats the first PTS', () => {
  const audio = Array.from({ length: 10 }, () => G711_PES.subarray(0, 160));

  const times = audioTimes(
    stream(audio, () => BASE),
    { rtp: true },
  );

  assert.deepEqual(times, counted(10, BASE, 1800));
});

test(
  'PsDemuxer counts AAC PES without PTS on by 1024 samples at the ADTS sample rate',
  { skip: noFfmpeg },
  () => {
    for (const sampleRate of [44100, 16000]) {
      const adts = encodeAudio(temp.path(`tone-${sampleRate}.aac`), 'aac', {
        seconds: 2,
        sampleRate,
      });
      const audio = splitAdts(adts);
      // Two ADTS frames in some PES: the count must follow the frames, not the PES.
      const pes = [audio.slice(0, 2), ...audio.slice(2).map((frame) => [frame])];

      const times = audioTimes(
        stream(
          pes.map((frames) => Buffer.concat(frames)),
          (i) => (i === 0 ? BASE : undefined),
        ),
        { rtp: true },
      );

      const ticks = (1024 * 90000) / sampleRate;
      const expected = pes.map((_, i) => BASE + Math.round((i === 0 ? 0 : i + 1) * ticks));
      assert.deepEqual(times, expected, `${sampleRate} Hz`);
    }
  },
);

test('PsDemuxer starts audio without any PTS at the RTP clock, then counts the samples', () => {
  const audio = Array.from({ length: 12 }, () => G711_PES.subarray(0, 240));

  const times = audioTimes(
    stream(audio, () => undefined, false),
    { rtp: true },
  );

  assert.deepEqual(times, counted(12, BASE, 2700), 'from the first RTP time, 30 ms a PES');
});

test('PsDemuxer places the first audio PES after a loss by the RTP clock, never backwards', () => {
  const audio = Array.from({ length: 30 }, () => G711_PES);
  const units = stream(audio, (i) => (i === 0 ? BASE : undefined), false);

  // Units 11..19 (video and audio of frames 5..9) are lost; unit 20 is video frame 10.
  const afterGap = audioTimes(units, { rtp: true, lossBefore: 20 });
  // 120 ms PES beside 40 ms video frames: the count runs ahead, the RTP time is behind it.
  const long = audio.map(() => new Uint8Array(960).fill(0x55));
  const ahead = audioTimes(
    stream(long, (i) => (i === 0 ? BASE : undefined), false),
    {
      rtp: true,
      lossBefore: 20,
    },
  );

  assert.deepEqual(afterGap, [...counted(5, BASE, 3600), ...counted(20, BASE + 10 * 3600, 3600)]);
  assert.deepEqual(ahead, counted(25, BASE, 10800));
});
