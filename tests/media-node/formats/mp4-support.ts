import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { H264_NAL, nalType, splitAnnexB, toAvcc } from '../../../media-node/formats/h264.ts';

/** One box of an ISO base media file (ISO/IEC 14496-12 §4.2), read back for assertions. */
export interface Mp4Box {
  type: string;
  /** The bytes after the 8-byte header. */
  payload: Uint8Array;
  children: Mp4Box[];
}

/** Boxes whose payload is a list of boxes, after this many bytes of their own fields. */
const CONTAINERS: ReadonlyMap<string, number> = new Map([
  ['moov', 0],
  ['trak', 0],
  ['mdia', 0],
  ['minf', 0],
  ['dinf', 0],
  ['stbl', 0],
  ['mvex', 0],
  ['moof', 0],
  ['traf', 0],
  ['stsd', 8],
  ['dref', 8],
  ['avc1', 78],
  ['hvc1', 78],
  ['hev1', 78],
  ['mp4a', 28],
]);

/** Reads the boxes of `bytes`; fails the test where a size runs past the end. */
export function readBoxes(bytes: Uint8Array): Mp4Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const boxes: Mp4Box[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = view.getUint32(at);
    assert.ok(size >= 8 && at + size <= bytes.length, `box at ${at} has size ${size}`);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    const payload = bytes.subarray(at + 8, at + size);
    const skip = CONTAINERS.get(type);
    boxes.push({
      type,
      payload,
      children: skip === undefined ? [] : readBoxes(payload.subarray(skip)),
    });
    at += size;
  }
  return boxes;
}

/** The box at `path` (types separated by '/'), failing the test where it is absent. */
export function findBox(boxes: Mp4Box[], path: string): Mp4Box {
  const [first, ...rest] = path.split('/');
  const found = boxes.find((b) => b.type === first);
  assert.ok(found, `no ${first} box among ${boxes.map((b) => b.type).join(', ')}`);
  return rest.length === 0 ? found : findBox(found.children, rest.join('/'));
}

/** The box tree as nested type names, for comparing structure. */
export function outline(boxes: Mp4Box[]): unknown[] {
  return boxes.map((b) => (b.children.length === 0 ? b.type : [b.type, outline(b.children)]));
}

export const viewOf = (bytes: Uint8Array) =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.length);

/** Fields of a version 1 trun with all per-sample fields (ISO/IEC 14496-12 §8.8.8). */
export function readTrun(trun: Mp4Box) {
  const view = viewOf(trun.payload);
  const count = view.getUint32(4);
  const samples = Array.from({ length: count }, (_, i) => ({
    duration: view.getUint32(12 + 16 * i),
    size: view.getUint32(16 + 16 * i),
    flags: view.getUint32(20 + 16 * i),
    compositionOffset: view.getInt32(24 + 16 * i),
  }));
  return {
    version: view.getUint8(0),
    flags: view.getUint32(0) & 0xffffff,
    dataOffset: view.getInt32(8),
    samples,
  };
}

/** An H.264 Annex B access unit as an AVCC sample, without SPS, PPS and AUD. */
export function avccSample(accessUnit: Uint8Array): Uint8Array {
  const kept = splitAnnexB(accessUnit).filter(
    (nal) => ![H264_NAL.sps, H264_NAL.pps, H264_NAL.aud].includes(nalType(nal) as 7 | 8 | 9),
  );
  return toAvcc(kept);
}

/** Access units of an H.265 Annex B stream: a new one at VPS/AUD or a first slice segment. */
export function h265AccessUnits(bytes: Uint8Array): { nals: Uint8Array[]; keyframe: boolean }[] {
  const units: Uint8Array[][] = [];
  let sawPicture = false;
  for (const nal of splitAnnexB(bytes)) {
    const type = h265Type(nal);
    const firstSlice = type < 32 && ((nal[2] ?? 0) & 0x80) !== 0;
    if (units.length === 0 || ((type === 32 || type === 35 || firstSlice) && sawPicture)) {
      units.push([]);
      sawPicture = false;
    }
    units.at(-1)?.push(nal);
    sawPicture ||= type < 32;
  }
  return units.map((nals) => ({
    nals,
    keyframe: nals.some((nal) => h265Type(nal) >= 16 && h265Type(nal) <= 21),
  }));
}

export const h265Type = (nal: Uint8Array) => ((nal[0] ?? 0) >> 1) & 0x3f;

/** ADTS frames (ISO/IEC 13818-7 §6.2) split into raw AAC blocks and an AudioSpecificConfig. */
export function readAdts(bytes: Uint8Array): {
  config: Uint8Array;
  sampleRate: number;
  channels: number;
  frames: Uint8Array[];
} {
  const rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000];
  const frames: Uint8Array[] = [];
  let config: { profile: number; rateIndex: number; channels: number } | undefined;
  for (let at = 0; at + 7 <= bytes.length;) {
    const view = viewOf(bytes.subarray(at));
    assert.equal(view.getUint16(0) & 0xfff6, 0xfff0, `ADTS sync word at ${at}`);
    const headerLength = (view.getUint8(1) & 0x01) === 1 ? 7 : 9;
    const frameLength = ((view.getUint32(2) >>> 5) & 0x1fff) >>> 0;
    config ??= {
      profile: view.getUint8(2) >> 6,
      rateIndex: (view.getUint8(2) >> 2) & 0x0f,
      channels: ((view.getUint8(2) & 0x01) << 2) | (view.getUint8(3) >> 6),
    };
    frames.push(bytes.subarray(at + headerLength, at + frameLength));
    at += frameLength;
  }
  assert.ok(config, 'no ADTS frame');
  const asc = ((config.profile + 1) << 11) | (config.rateIndex << 7) | (config.channels << 3);
  return {
    config: Uint8Array.of(asc >> 8, asc & 0xff),
    sampleRate: rates[config.rateIndex] ?? 0,
    channels: config.channels,
    frames,
  };
}

export function runFfmpeg(args: string[]): void {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
}

export interface ProbedStream {
  codec_name: string;
  width?: number;
  height?: number;
  nb_read_frames: string;
}

/** Streams of `path` as ffprobe reads them after decoding every frame. */
export function probeStreams(path: string, extra: string[] = []): ProbedStream[] {
  const args = ['-v', 'error', ...extra, '-count_frames', '-show_entries'];
  args.push('stream=codec_name,width,height,nb_read_frames', '-of', 'json', path);
  const result = spawnSync('ffprobe', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { streams: ProbedStream[] }).streams;
}

/** Packet times of the first video stream, in decode order, as [pts, dts] in seconds. */
export function probePacketTimes(path: string, extra: string[] = []): [number, number][] {
  const args = ['-v', 'error', ...extra, '-select_streams', 'v:0', '-show_entries'];
  args.push('packet=pts_time,dts_time', '-of', 'csv=p=0', path);
  const result = spawnSync('ffprobe', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [pts, dts] = line.split(',').map(Number);
      return [pts ?? NaN, dts ?? NaN];
    });
}

/** Decodes `path` with ffmpeg to nowhere; returns what it printed at level error. */
export function decodeErrors(
  path: string,
  extra: string[] = [],
): { status: number | null; stderr: string } {
  const result = spawnSync('ffmpeg', ['-v', 'error', ...extra, '-i', path, '-f', 'null', '-'], {
    encoding: 'utf8',
  });
  return { status: result.status, stderr: result.stderr };
}

/** Joins Annex B NAL units with 4-byte start codes. */
export const annexB = (nals: Uint8Array[]) =>
  concatBytes(nals.flatMap((nal) => [Uint8Array.of(0, 0, 0, 1), nal]));
