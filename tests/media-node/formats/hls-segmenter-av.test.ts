import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Segmenter } from '../../../media-node/formats/hls-segmenter.ts';
import type { HlsSegment, SegmenterOutput } from '../../../media-node/formats/hls-segmenter.ts';
import { LivePlaylist } from '../../../media-node/formats/hls-playlist.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { readClipAudio } from '../../../simulator/media/clip-audio.ts';
import { encodeHevc, noFfmpeg, readHevcAccessUnits, tempFolder } from './encodes.ts';
import { decodeErrors, findBox, probeStreams, readBoxes, readTrun, viewOf } from './mp4-support.ts';

const work = tempFolder();
after(() => work.remove());

const CLIP = readClipFrames();
const AAC = readClipAudio('aac');
const VIDEO_TICKS = 3600;
const BASE = 900_000;

function video(index: number, dts: number): ElementaryFrame {
  const frame = CLIP[index % CLIP.length];
  assert.ok(frame);
  return {
    kind: 'video',
    codec: 'h264',
    pts: dts,
    dts,
    data: frame.data,
    keyframe: frame.keyframe,
  };
}

function aac(index: number, pts: number): ElementaryFrame {
  const data = AAC.frames[index % AAC.frames.length];
  assert.ok(data);
  return { kind: 'audio', codec: 'aac', pts, dts: pts, data, keyframe: true };
}

/** The clip's 100 frames and its 125 AAC frames interleaved by time, audio first on ties. */
function clipWithAudio(loops = 1, start = BASE): ElementaryFrame[] {
  const frames: ElementaryFrame[] = [];
  let a = 0;
  for (let v = 0; v < 100 * loops; v++) {
    const dts = start + v * VIDEO_TICKS;
    while (a * AAC.ticksPerFrame <= v * VIDEO_TICKS)
      frames.push(aac(a, start + a++ * AAC.ticksPerFrame));
    frames.push(video(v, dts));
  }
  return frames;
}

const segmentsOf = (outputs: SegmenterOutput[]) =>
  outputs.flatMap((o) => (o.segment === undefined ? [] : [o.segment]));

/** The tracks of a segment: [trackId, baseDecodeTime, sample count, sample durations]. */
function fragments(segment: HlsSegment) {
  const boxes = readBoxes(segment.bytes);
  const moof = boxes.find((b) => b.type === 'moof');
  assert.ok(moof);
  return moof.children
    .filter((child) => child.type === 'traf')
    .map((traf) => {
      const tfhd = viewOf(findBox(traf.children, 'tfhd').payload);
      const tfdt = viewOf(findBox(traf.children, 'tfdt').payload);
      const samples = readTrun(findBox(traf.children, 'trun')).samples;
      const durations = new Set(samples.map((s) => s.duration));
      return [tfhd.getUint32(4), Number(tfdt.getBigUint64(4)), samples.length, [...durations]];
    });
}

test('Segmenter puts AAC in track 2 at the sample rate, one fragment per segment', () => {
  const segmenter = new Segmenter({ targetDurationS: 1 });
  const outputs = clipWithAudio().map((frame) => segmenter.push(frame));
  outputs.push(segmenter.flush());

  const inits = outputs.flatMap((o) => (o.init === undefined ? [] : [o.init]));
  assert.equal(inits.length, 1);
  const init = readBoxes(inits[0] ?? new Uint8Array(0));
  const traks = findBox(init, 'moov').children.filter((b) => b.type === 'trak');
  assert.equal(traks.length, 2);
  assert.ok(findBox(traks[1]?.children ?? [], 'mdia/minf/stbl/stsd').payload.length > 0);

  const segments = segmentsOf(outputs);
  assert.deepEqual(
    segments.map(fragments),
    [0, 1, 2, 3].map((i) => [
      [1, i * 90000, 25, [VIDEO_TICKS]],
      // 1024-sample frames at 32 kHz: those before the cut (the last one is not in the input).
      [2, Math.ceil((i * 32000) / 1024) * 1024, [32, 31, 31, 30][i], [1024]],
    ]),
  );
  assert.equal(segmenter.stats.audioResyncs, 0);
});

test('Segmenter rebuilds the first init segment when audio starts after the first keyframe', () => {
  const segmenter = new Segmenter({ targetDurationS: 1 });
  const frames = clipWithAudio().filter((f, i) => !(f.kind === 'audio' && i < 1));

  const outputs = frames.map((frame) => segmenter.push(frame));

  const withInit = outputs.flatMap((o, i) => (o.init === undefined ? [] : [i]));
  assert.equal(withInit.length, 2, 'the video-only init, then the init with audio');
  assert.ok(outputs.slice(0, (withInit[1] ?? 0) + 1).every((o) => o.segment === undefined));
  assert.ok(segmentsOf(outputs).every((s) => !s.discontinuity));
});

test('Segmenter keeps audio on the frame count and takes a PES clock jump ahead as a gap', () => {
  const segmenter = new Segmenter({ targetDurationS: 1 });
  const jitter = [0, 30, -30, 45];
  const frames = clipWithAudio().map((f, i) =>
    f.kind === 'audio' && i > 100 ? { ...f, pts: f.pts + (jitter[i % 4] ?? 0) + 9000 } : f,
  );

  const outputs = frames.map((frame) => segmenter.push(frame));
  outputs.push(segmenter.flush());

  assert.equal(segmenter.stats.audioResyncs, 1, 'one jump of 100 ms, jitter ignored');
  const audio = segmentsOf(outputs).flatMap((s) => fragments(s).filter((f) => f[0] === 2));
  const durations = [...new Set(audio.flatMap((f) => f[3] as number[]))].sort((a, b) => a - b);
  assert.equal(durations.length, 2);
  assert.equal(durations[0], 1024);
  // 100 ms at 32 kHz, give or take the jitter of the first late PES.
  assert.ok(Math.abs((durations[1] ?? 0) - 1024 - 3200) <= 16, `gap of ${durations[1]}`);
});

/** Writes init.mp4, segN.m4s and index.m3u8 for the outputs; returns the playlist's path. */
function writeHls(name: string, outputs: SegmenterOutput[]): string {
  const dir = work.path(name);
  mkdirSync(dir);
  const playlist = new LivePlaylist({ targetDurationS: 1, windowSize: 1000, initUri: 'init.mp4' });
  for (const output of outputs) {
    if (output.segment !== undefined) {
      const { bytes, durationS, sequence, discontinuity } = output.segment;
      writeFileSync(join(dir, `seg${sequence}.m4s`), bytes);
      playlist.addSegment({ uri: `seg${sequence}.m4s`, durationS, sequence, discontinuity });
    }
    if (output.init !== undefined) writeFileSync(join(dir, 'init.mp4'), output.init);
  }
  playlist.end();
  writeFileSync(join(dir, 'index.m3u8'), playlist.render());
  return join(dir, 'index.m3u8');
}

test(
  'ffprobe reads two loops of the clip and its AAC through Segmenter: every frame of both',
  { skip: noFfmpeg },
  () => {
    const segmenter = new Segmenter({ targetDurationS: 1 });
    const outputs = clipWithAudio(2, 2 ** 33 - 90000).map((f) => segmenter.push(f));
    outputs.push(segmenter.flush());

    const path = writeHls('clip-aac', outputs);

    assert.deepEqual(probeStreams(path), [
      { codec_name: 'h264', width: 640, height: 360, nb_read_frames: '200' },
      { codec_name: 'aac', nb_read_frames: '249' },
    ]);
    assert.deepEqual(decodeErrors(path), { status: 0, stderr: '' });
  },
);

test('ffprobe reads an H.265 encode through Segmenter as hvc1', { skip: noFfmpeg }, () => {
  const units = readHevcAccessUnits(
    encodeHevc(work.path('hevc.h265'), {
      size: '320x240',
      frames: 50,
      x265: 'bframes=0:keyint=25:min-keyint=25:scenecut=0',
    }),
  );
  const segmenter = new Segmenter({ targetDurationS: 1 });
  const outputs = units.map((au, i) =>
    segmenter.push({
      kind: 'video',
      codec: 'h265',
      pts: BASE + i * VIDEO_TICKS,
      dts: BASE + i * VIDEO_TICKS,
      data: au.data,
      keyframe: au.keyframe,
    }),
  );
  outputs.push(segmenter.flush());

  const path = writeHls('hevc', outputs);

  assert.equal(segmentsOf(outputs).length, 2);
  assert.deepEqual(probeStreams(path), [
    { codec_name: 'hevc', width: 320, height: 240, nb_read_frames: '50' },
  ]);
  assert.deepEqual(decodeErrors(path), { status: 0, stderr: '' });
});
