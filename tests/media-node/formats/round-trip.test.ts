import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { FlvH264Muxer, flvHeader } from '../../../media-node/formats/flv.ts';
import { splitAnnexB } from '../../../media-node/formats/h264.ts';
import { PsDemuxer } from '../../../media-node/formats/ps-demuxer.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp, parseRtpPacket } from '../../../media-node/formats/rtp.ts';
import type { RtpPacket } from '../../../media-node/formats/rtp.ts';
import { RtpReorderBuffer } from '../../../media-node/formats/rtp-reorder.ts';
import { clipPath, readClipFrames } from '../../../simulator/media/clip.ts';
import type { ClipFrame } from '../../../simulator/media/clip.ts';
import { skipWithoutTool } from './support.ts';

const noFfprobe = skipWithoutTool('ffprobe');
const noFfmpeg = skipWithoutTool('ffmpeg') || noFfprobe;
const work = mkdtempSync(join(tmpdir(), 'argus-formats-'));
after(() => rmSync(work, { recursive: true, force: true }));

const FRAME_TICKS = 3600; // 25 fps at 90 kHz

interface ProbedStream {
  codec_name: string;
  width: number;
  height: number;
  nb_read_frames: string;
}

function ffprobe(path: string, format?: string): ProbedStream | undefined {
  const args = [
    '-v',
    'error',
    ...(format === undefined ? [] : ['-f', format]),
    '-select_streams',
    'v',
    '-count_frames',
  ];
  args.push('-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', path);
  const result = spawnSync('ffprobe', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return (JSON.parse(result.stdout) as { streams: ProbedStream[] }).streams[0];
}

function lastPacketTime(path: string): string | undefined {
  const args = [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    path,
  ];
  return spawnSync('ffprobe', args, { encoding: 'utf8' }).stdout.trim().split('\n').at(-1);
}

function ffmpeg(args: string[]): void {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
}

/** Each frame as one PS pack, then RTP packets counting from `firstSequence` (wrapping). */
function toRtp(
  frames: ClipFrame[],
  firstSequence: number,
  codec: 'h264' | 'h265' = 'h264',
  firstPts = 90000,
): RtpPacket[] {
  const packets: RtpPacket[] = [];
  frames.forEach((frame, i) => {
    const pts = (firstPts + i * FRAME_TICKS) % 2 ** 33;
    const pack = muxPsVideoFrame(frame.data, { pts, keyframe: frame.keyframe, codec });
    const sequence = (firstSequence + packets.length) & 0xffff;
    packets.push(
      ...packetizeRtp(pack, {
        payloadType: 96,
        ssrc: 0x0bebc265,
        timestamp: pts % 2 ** 32,
        firstSequence: sequence,
      }),
    );
  });
  return packets;
}

/** Over the "network": serialised, a few neighbours swapped, one packet sent twice. */
function network(packets: RtpPacket[]): Uint8Array[] {
  const wire = packets.map(buildRtpPacket);
  for (let i = 5; i + 1 < wire.length; i += 7)
    [wire[i], wire[i + 1]] = [wire[i + 1] ?? new Uint8Array(0), wire[i] ?? new Uint8Array(0)];
  wire.splice(20, 0, wire[18] ?? new Uint8Array(0));
  return wire;
}

/** parse → reorder → demux, completing frames on the RTP marker. */
function receive(wire: Uint8Array[]): {
  frames: ElementaryFrame[];
  reorder: RtpReorderBuffer;
  demuxer: PsDemuxer;
} {
  const reorder = new RtpReorderBuffer();
  const demuxer = new PsDemuxer();
  const frames: ElementaryFrame[] = [];
  const ordered = [
    ...wire.flatMap((bytes) => reorder.push(parseRtpPacket(bytes))),
    ...reorder.flush(),
  ];
  for (const packet of ordered) {
    frames.push(...demuxer.push(packet.payload, packet.afterLoss));
    if (packet.marker) frames.push(...demuxer.markFrameEnd());
  }
  frames.push(...demuxer.flush());
  return { frames, reorder, demuxer };
}

function writeFlv(frames: ElementaryFrame[], path: string): void {
  const muxer = new FlvH264Muxer();
  const tags = frames.flatMap((frame) => muxer.push(frame));
  const metadata = muxer.metadataTag();
  assert.ok(metadata);
  writeFileSync(path, concatBytes([flvHeader({ video: true, audio: false }), metadata, ...tags]));
}

test('the committed clip is 100 H.264 frames, a keyframe with SPS and PPS every 25', () => {
  const frames = readClipFrames();

  assert.equal(frames.length, 100);
  assert.deepEqual(
    frames.flatMap((f, i) => (f.keyframe ? [i] : [])),
    [0, 25, 50, 75],
  );
  for (const frame of frames.filter((f) => f.keyframe)) {
    assert.deepEqual(
      splitAnnexB(frame.data).map((nal) => (nal[0] ?? 0) & 0x1f),
      [7, 8, 5],
    );
  }
  assert.ok(statSync(clipPath).size < 150 * 1024);
});

test('ffprobe reads the committed clip as 640x360 H.264, 100 frames', { skip: noFfprobe }, () => {
  const stream = ffprobe(clipPath, 'h264');

  assert.deepEqual(stream, { codec_name: 'h264', width: 640, height: 360, nb_read_frames: '100' });
});

test('clip → PS → RTP (wrap, reorder, duplicates) → reorder → demux: all back', () => {
  const clip = readClipFrames();

  const { frames, reorder, demuxer } = receive(network(toRtp(clip, 65500)));

  assert.deepEqual(
    frames.map((f) => f.data),
    clip.map((f) => f.data),
  );
  assert.deepEqual(
    frames.map((f) => f.keyframe),
    clip.map((f) => f.keyframe),
  );
  assert.deepEqual([reorder.lost, reorder.duplicates], [0, 1]);
  assert.deepEqual(demuxer.stats, { packs: 100, pes: 100, skippedBytes: 0, droppedFrames: 0 });
});

test(
  'clip → PS → RTP → demux → FLV over a 33-bit PTS wrap: ffprobe reads 100 640x360 frames',
  { skip: noFfprobe },
  () => {
    const { frames } = receive(network(toRtp(readClipFrames(), 65500, 'h264', 2 ** 33 - 90000)));
    const path = join(work, 'clip.flv');

    writeFlv(frames, path);

    assert.deepEqual(ffprobe(path), {
      codec_name: 'h264',
      width: 640,
      height: 360,
      nb_read_frames: '100',
    });
    assert.equal(lastPacketTime(path), '3.960000');
  },
);

test('ffmpeg decodes our FLV without an error', { skip: noFfmpeg }, () => {
  const { frames } = receive(network(toRtp(readClipFrames(), 0)));
  const path = join(work, 'decode.flv');
  writeFlv(frames, path);

  const result = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], {
    encoding: 'utf8',
  });

  assert.deepEqual([result.status, result.stderr], [0, '']);
});

test('ffprobe reads the PS we mux as 640x360 H.264, 100 frames', { skip: noFfprobe }, () => {
  const packs = readClipFrames().map((f, i) =>
    muxPsVideoFrame(f.data, { pts: 90000 + i * FRAME_TICKS, keyframe: f.keyframe }),
  );
  const path = join(work, 'clip.ps');

  writeFileSync(path, concatBytes(packs));

  assert.deepEqual(ffprobe(path, 'mpeg'), {
    codec_name: 'h264',
    width: 640,
    height: 360,
    nb_read_frames: '100',
  });
});

test(
  'a fresh ffmpeg encode with 4 slices per frame survives the whole chain into FLV',
  { skip: noFfmpeg },
  () => {
    const source = join(work, 'slices.h264');
    ffmpeg([
      ...[
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:rate=25',
        '-frames:v',
        '50',
        '-pix_fmt',
        'yuv420p',
      ],
      ...['-c:v', 'libx264', '-profile:v', 'baseline', '-g', '10', '-bf', '0'],
      ...['-x264-params', 'repeat-headers=1:slices=4', '-f', 'h264', source],
    ]);
    const clip = readClipFrames(source);
    const path = join(work, 'slices.flv');

    const { frames } = receive(network(toRtp(clip, 0)));
    writeFlv(frames, path);

    assert.equal(clip.length, 50);
    assert.equal(splitAnnexB(clip[1]?.data ?? new Uint8Array(0)).length, 4);
    assert.deepEqual(ffprobe(path), {
      codec_name: 'h264',
      width: 320,
      height: 240,
      nb_read_frames: '50',
    });
  },
);

/** Access units of an H.265 Annex B stream: a new one at VPS/AUD or a first slice segment. */
function h265Frames(bytes: Uint8Array): ClipFrame[] {
  const units: Uint8Array[][] = [];
  let sawPicture = false;
  for (const nal of splitAnnexB(bytes)) {
    const type = ((nal[0] ?? 0) >> 1) & 0x3f;
    const firstSlice = type < 32 && ((nal[2] ?? 0) & 0x80) !== 0;
    if (units.length === 0 || ((type === 32 || type === 35 || firstSlice) && sawPicture)) {
      units.push([]);
      sawPicture = false;
    }
    units.at(-1)?.push(nal);
    sawPicture ||= type < 32;
  }
  return units.map((nals) => ({
    data: concatBytes(nals.flatMap((nal) => [Uint8Array.of(0, 0, 0, 1), nal])),
    keyframe: nals.some(
      (nal) => (((nal[0] ?? 0) >> 1) & 0x3f) >= 16 && (((nal[0] ?? 0) >> 1) & 0x3f) <= 21,
    ),
  }));
}

test(
  'an H.265 encode goes through PS and RTP intact and ffprobe reads our PS as HEVC',
  { skip: noFfmpeg },
  () => {
    const source = join(work, 'clip.h265');
    ffmpeg([
      ...[
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:rate=25',
        '-frames:v',
        '20',
        '-pix_fmt',
        'yuv420p',
      ],
      ...[
        '-c:v',
        'libx265',
        '-x265-params',
        'log-level=error:keyint=10:bframes=0:repeat-headers=1',
        '-f',
        'hevc',
        source,
      ],
    ]);
    const clip = h265Frames(new Uint8Array(readFileSync(source)));
    const path = join(work, 'clip-h265.ps');

    const { frames } = receive(network(toRtp(clip, 1000, 'h265')));
    writeFileSync(
      path,
      concatBytes(
        clip.map((f, i) =>
          muxPsVideoFrame(f.data, { pts: i * FRAME_TICKS, keyframe: f.keyframe, codec: 'h265' }),
        ),
      ),
    );

    assert.equal(clip.length, 20);
    assert.deepEqual(
      frames.map((f) => [f.codec, f.keyframe, f.data.length]),
      clip.map((f) => ['h265', f.keyframe, f.data.length]),
    );
    assert.deepEqual(ffprobe(path, 'mpeg'), {
      codec_name: 'hevc',
      width: 320,
      height: 240,
      nb_read_frames: '20',
    });
  },
);
