/**
 * The benchmark's test clip: 2 Mbit/s, 25 fps H.264 made by ffmpeg (libx264) at bench time,
 * split into access units at its AUDs, and a way to stamp each frame with its send time.
 * The stamp is an SEI user_data_unregistered message (ISO/IEC 14496-10 §D.1.7) that the
 * media node carries into FLV untouched, so a viewer reads the send time from the frame itself.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { H264_NAL, nalType, splitAnnexB } from '../../../media-node/formats/h264.ts';

export const CLIP_FPS = 25;
export const CLIP_SECONDS = 10;
export const CLIP_WIDTH = 1280;
export const CLIP_HEIGHT = 720;

/** One access unit: NAL units without start codes, split where the stamp goes. */
export interface BenchFrame {
  /** AUD and parameter sets: written before the stamp. */
  readonly head: Uint8Array[];
  /** SEI and slices: written after it. */
  readonly tail: Uint8Array[];
  readonly keyframe: boolean;
}

/** 16-byte uuid_iso_iec_11578 of the stamp; ASCII, so the payload needs no emulation bytes. */
const STAMP_UUID = new TextEncoder().encode('argus-bench-time');
const START_CODE = Uint8Array.of(0, 0, 0, 1);
const SEI_USER_DATA_UNREGISTERED = 5;

/**
 * Encodes the clip into `dir`: test pattern, CBR-like 2 Mbit/s, GOP 50 without scene cuts,
 * no B-frames, an AUD before every access unit.
 * @throws Error where ffmpeg is missing or fails
 */
export function makeClip(dir: string): string {
  const path = join(dir, 'clip.h264');
  const size = `${CLIP_WIDTH}x${CLIP_HEIGHT}`;
  execFileSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${size}:rate=${CLIP_FPS}:duration=${CLIP_SECONDS}`],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p'],
      ...['-b:v', '2M', '-maxrate', '2M', '-bufsize', '1M', '-g', '50', '-bf', '0'],
      ...['-x264-params', 'scenecut=0:aud=1', '-f', 'h264', path],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return path;
}

/** The access units of the clip at `path`. */
export function readBenchClip(path: string): BenchFrame[] {
  return splitFrames(splitAnnexB(new Uint8Array(readFileSync(path))));
}

/** Access units start at each AUD (aud=1 above). */
function splitFrames(nals: Uint8Array[]): BenchFrame[] {
  const units: Uint8Array[][] = [];
  for (const nal of nals) {
    if (nalType(nal) === H264_NAL.aud || units.length === 0) units.push([]);
    units.at(-1)?.push(nal);
  }
  return units.map((unit) => {
    const firstBody = unit.findIndex((nal) => nalType(nal) === H264_NAL.sei || isSlice(nal));
    const at = firstBody < 0 ? unit.length : firstBody;
    return {
      head: unit.slice(0, at),
      tail: unit.slice(at),
      keyframe: unit.some((nal) => nalType(nal) === H264_NAL.idr),
    };
  });
}

function isSlice(nal: Uint8Array): boolean {
  const type = nalType(nal);
  return type >= 1 && type <= 5;
}

/** The frame as Annex B with an SEI carrying `sentUs` (decimal ASCII microseconds). */
export function stampedAccessUnit(frame: BenchFrame, sentUs: number): Uint8Array {
  const digits = new TextEncoder().encode(String(Math.round(sentUs)));
  const payload = concatBytes([STAMP_UUID, digits]);
  const sei = concatBytes([
    Uint8Array.of(H264_NAL.sei, SEI_USER_DATA_UNREGISTERED, payload.length),
    payload,
    Uint8Array.of(0x80), // rbsp_trailing_bits
  ]);
  const nals = [...frame.head, sei, ...frame.tail];
  return concatBytes(nals.flatMap((nal) => [START_CODE, nal]));
}

/**
 * The send time in a video tag body (AVC packet: 5-byte header, then 4-byte length-prefixed
 * NAL units, ISO/IEC 14496-15 §5.3.4.2), or undefined where no stamp is found.
 */
export function readStamp(body: Uint8Array): number | undefined {
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  for (let at = 5; at + 4 <= body.length;) {
    const length = view.getUint32(at);
    const nal = body.subarray(at + 4, at + 4 + length);
    if (nal.length > 3 && nalType(nal) === H264_NAL.sei && nal[1] === 5) return stampOf(nal);
    if (nal.length > 0 && isSlice(nal)) return undefined;
    at += 4 + length;
  }
  return undefined;
}

function stampOf(sei: Uint8Array): number | undefined {
  const size = sei[2] ?? 0;
  const payload = sei.subarray(3, 3 + size);
  const uuid = payload.subarray(0, STAMP_UUID.length);
  if (!uuid.every((byte, i) => byte === STAMP_UUID[i])) return undefined;
  const value = Number(new TextDecoder().decode(payload.subarray(STAMP_UUID.length)));
  return Number.isFinite(value) ? value : undefined;
}

/** Microseconds of the system-wide monotonic clock: the same in every process on the host. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
