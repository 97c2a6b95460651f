import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import {
  H265_NAL,
  h265NalType,
  isHevcKeyframe,
  splitAnnexB,
} from '../../../media-node/formats/h265.ts';
import { skipWithoutTool } from './support.ts';

/** Skip reason for tests that encode with ffmpeg and read back with ffprobe. */
export const noFfmpeg = skipWithoutTool('ffmpeg') || skipWithoutTool('ffprobe');

/** A temporary folder for encodes; call the returned function in `after`. */
export function tempFolder(): { path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'argus-codecs-'));
  return {
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs ffmpeg quietly, failing the test on an error. */
export function ffmpeg(args: string[]): void {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
}

/** ffprobe's streams of a file with the given entries (ffprobe -show_entries stream=…). */
export function ffprobeStreams(
  path: string,
  entries: string,
  extra: string[] = [],
): Record<string, string | number>[] {
  const args = ['-v', 'error', ...extra, '-show_entries', `stream=${entries}`, '-of', 'json', path];
  const result = spawnSync('ffprobe', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { streams: Record<string, string | number>[] }).streams;
}

/**
 * Encodes `frames` of the lavfi test pattern with libx265 to an Annex B file, with access
 * unit delimiters and parameter sets before every keyframe.
 */
export function encodeHevc(
  out: string,
  opts: { size: string; frames: number; pixFmt?: string; x265?: string },
): string {
  const params = ['log-level=error', 'aud=1', 'repeat-headers=1', opts.x265 ?? 'bframes=0'];
  ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc=size=${opts.size}:rate=25`],
    ...['-frames:v', String(opts.frames), '-pix_fmt', opts.pixFmt ?? 'yuv420p'],
    ...['-c:v', 'libx265', '-x265-params', params.join(':'), '-f', 'hevc', out],
  ]);
  return out;
}

/** One H.265 access unit: Annex B with 4-byte start codes, and its NAL units. */
export interface HevcAccessUnit {
  data: Uint8Array;
  nals: Uint8Array[];
  keyframe: boolean;
}

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/** Splits an H.265 Annex B file written with AUDs into access units (a new one at each AUD). */
export function readHevcAccessUnits(path: string): HevcAccessUnit[] {
  const units: Uint8Array[][] = [];
  for (const nal of splitAnnexB(new Uint8Array(readFileSync(path)))) {
    if (h265NalType(nal) === H265_NAL.aud || units.length === 0) units.push([]);
    units.at(-1)?.push(nal);
  }
  return units.map((nals) => ({
    data: concatBytes(nals.flatMap((nal) => [START_CODE, nal])),
    nals,
    keyframe: isHevcKeyframe(nals),
  }));
}

/** The first unit of each parameter set type in an access unit: [VPS, SPS, PPS]. */
export function hevcParameterSets(au: HevcAccessUnit): [Uint8Array, Uint8Array, Uint8Array] {
  const find = (type: number) => {
    const nal = au.nals.find((unit) => h265NalType(unit) === type);
    assert.ok(nal, `the access unit holds NAL type ${type}`);
    return nal;
  };
  return [find(H265_NAL.vps), find(H265_NAL.sps), find(H265_NAL.pps)];
}

/** Encodes a 440 Hz tone of `seconds` to ADTS AAC, A-law or µ-law (raw samples). */
export function encodeAudio(
  out: string,
  codec: 'aac' | 'g711a' | 'g711u',
  opts: { seconds: number; sampleRate?: number; channels?: number },
): Uint8Array {
  const rate = codec === 'aac' ? (opts.sampleRate ?? 44100) : 8000;
  const [encoder, format] =
    codec === 'aac'
      ? ['aac', 'adts']
      : codec === 'g711a'
        ? ['pcm_alaw', 'alaw']
        : ['pcm_mulaw', 'mulaw'];
  ffmpeg([
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}`, '-t', String(opts.seconds)],
    ...['-ac', String(opts.channels ?? 1), '-c:a', encoder, '-f', format, out],
  ]);
  return new Uint8Array(readFileSync(out));
}
