import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { FlvMuxer } from '../../../media-node/formats/flv-muxer.ts';
import { LivePlaylist } from '../../../media-node/formats/hls-playlist.ts';
import { Segmenter } from '../../../media-node/formats/hls-segmenter.ts';
import type { HlsSegment } from '../../../media-node/formats/hls-segmenter.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';

/** What one FLV remux wrote: the file and how many audio and video frame tags it holds. */
export interface FlvOutput {
  path: string;
  muxer: FlvMuxer;
  tags: Uint8Array[];
}

/**
 * Remuxes demuxed frames to an FLV file the way a viewer receives it: file header, metadata
 * and the tags in order. Audio-only streams do not wait for a video keyframe.
 */
export function writeFlv(frames: ElementaryFrame[], path: string): FlvOutput {
  const audioOnly = frames.every((frame) => frame.kind === 'audio');
  const muxer = new FlvMuxer({ waitForVideo: !audioOnly });
  const tags = frames.flatMap((frame) => muxer.push(frame));
  const metadata = muxer.metadataTag();
  const head = metadata === undefined ? [muxer.fileHeader()] : [muxer.fileHeader(), metadata];
  writeFileSync(path, concatBytes([...head, ...tags]));
  return { path, muxer, tags };
}

/** What one HLS remux wrote: the playlist, its segments and the segmenter's counters. */
export interface HlsOutput {
  playlist: string;
  segments: HlsSegment[];
  segmenter: Segmenter;
}

/**
 * Remuxes demuxed frames to HLS in `dir`: init.mp4 (rewritten when it changes, as a live
 * server serves the latest), segN.m4s and an ended index.m3u8 (LivePlaylist).
 */
export function writeHls(frames: ElementaryFrame[], dir: string): HlsOutput {
  mkdirSync(dir, { recursive: true });
  const segmenter = new Segmenter({ targetDurationS: 1 });
  const playlist = new LivePlaylist({
    targetDurationS: 1,
    windowSize: 10_000,
    initUri: 'init.mp4',
  });
  const outputs = frames.map((frame) => segmenter.push(frame));
  outputs.push(segmenter.flush());

  const segments: HlsSegment[] = [];
  for (const output of outputs) {
    if (output.segment !== undefined) {
      const { bytes, durationS, sequence, discontinuity } = output.segment;
      segments.push(output.segment);
      writeFileSync(join(dir, `seg${sequence}.m4s`), bytes);
      playlist.addSegment({ uri: `seg${sequence}.m4s`, durationS, sequence, discontinuity });
    }
    if (output.init !== undefined) writeFileSync(join(dir, 'init.mp4'), output.init);
  }
  playlist.end();
  writeFileSync(join(dir, 'index.m3u8'), playlist.render());
  return { playlist: join(dir, 'index.m3u8'), segments, segmenter };
}

/** A stream as ffprobe reads it after decoding every frame. */
export interface Probed {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  nb_read_frames: string;
}

/**
 * Every stream of `path` as ffprobe `-v error -count_frames` reads it; fails the test where
 * ffprobe exits with an error or prints anything at level error.
 */
export function probeDecoded(path: string): Probed[] {
  const args = ['-v', 'error', '-count_frames', '-show_entries'];
  args.push('stream=codec_type,codec_name,width,height,sample_rate,nb_read_frames');
  args.push('-of', 'json', path);
  const result = spawnSync('ffprobe', args, { encoding: 'utf8' });
  assert.deepEqual([result.status, result.stderr], [0, ''], `ffprobe ${path}`);
  return (JSON.parse(result.stdout) as { streams: Probed[] }).streams;
}

/** Decodes every stream of `path` with ffmpeg to nowhere; fails on any error it prints. */
export function assertDecodes(path: string): void {
  const args = ['-v', 'error', '-i', path, '-f', 'null', '-'];
  const result = spawnSync('ffmpeg', args, { encoding: 'utf8' });
  assert.deepEqual([result.status, result.stderr], [0, ''], `ffmpeg decode of ${path}`);
}

/** The decoded frame count of the stream of `type` (0 where there is none). */
export function framesOf(streams: Probed[], type: 'video' | 'audio'): number {
  return Number(streams.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);
}

/** A small seeded PRNG (mulberry32): faults are random but the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
