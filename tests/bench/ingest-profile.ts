/**
 * The per-packet ingest path of one live channel, without sockets: a 2 Mbit/s, 25 fps H.264
 * camera with AAC (GB/T 28181 PS over RTP, 1400-byte payloads) through RtpIngest (RTP parse,
 * reorder, PS demux) and FlvStreamHub (FLV mux, GOP cache, one viewer). Prints the share of
 * one core a stream costs. With a path after the loop count it also writes a V8 CPU profile
 * of the timed runs only (not of making the input), to see where the time goes:
 *
 *   node --import tsx tests/bench/ingest-profile.ts 12 /tmp/ingest.cpuprofile
 *   node --import tsx tests/bench/profile-top.ts /tmp/ingest.cpuprofile
 *
 * People read the figures; no test asserts them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { concatBytes } from '../../media-node/formats/bytes.ts';
import { muxPsAudioFrame, muxPsVideoFrame } from '../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp } from '../../media-node/formats/rtp.ts';
import { FlvStreamHub, type Viewer } from '../../media-node/media/flv-stream-hub.ts';
import { RtpIngest } from '../../media-node/media/rtp-ingest.ts';
import { silentLogger } from '../../src/logger.ts';
import { CLIP_FPS, makeClip, readBenchClip } from './media/clip.ts';

const FRAME_TICKS = 90000 / CLIP_FPS;
const AAC_TICKS = (1024 * 90000) / 44100;
const START_CODE = Uint8Array.of(0, 0, 0, 1);

/** A viewer that takes everything at once. */
const viewer: Viewer = {
  write: () => undefined,
  end: () => undefined,
  abort: () => undefined,
  queuedBytes: 0,
};

/** ADTS frames of the simulator's AAC clip, looped as needed. */
function adtsFrames(): Uint8Array[] {
  const bytes = new Uint8Array(
    readFileSync(new URL('../../simulator/media/clip.aac', import.meta.url)),
  );
  const frames: Uint8Array[] = [];
  for (let at = 0; at + 7 <= bytes.length;) {
    const length =
      (((bytes[at + 3] ?? 0) & 3) << 11) |
      ((bytes[at + 4] ?? 0) << 3) |
      ((bytes[at + 5] ?? 0) >> 5);
    if (length < 7) break;
    frames.push(bytes.subarray(at, at + length));
    at += length;
  }
  return frames;
}

/** The clip's datagrams, `loops` times over, with audio packs between the video frames. */
function datagrams(loops: number): { packets: Uint8Array[]; seconds: number; bytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'argus-ingest-'));
  const clip = readBenchClip(makeClip(dir));
  rmSync(dir, { recursive: true, force: true });
  const audio = adtsFrames();
  const packets: Uint8Array[] = [];
  let sequence = 0;
  let audioSent = 0;
  const send = (pack: Uint8Array, pts: number) => {
    const rtp = packetizeRtp(pack, {
      payloadType: 96,
      ssrc: 1,
      timestamp: pts % 2 ** 32,
      firstSequence: sequence,
    });
    sequence = (sequence + rtp.length) & 0xffff;
    for (const packet of rtp) packets.push(buildRtpPacket(packet));
  };
  for (let n = 0; n < loops * clip.length; n++) {
    const frame = clip[n % clip.length];
    if (frame === undefined) continue;
    const pts = 90000 + n * FRAME_TICKS;
    const au = concatBytes([...frame.head, ...frame.tail].flatMap((nal) => [START_CODE, nal]));
    send(muxPsVideoFrame(au, { pts, keyframe: frame.keyframe, audio: 'aac' }), pts);
    for (; 90000 + audioSent * AAC_TICKS < pts + FRAME_TICKS; audioSent++) {
      const data = audio[audioSent % audio.length] ?? new Uint8Array(0);
      const at = Math.round(90000 + audioSent * AAC_TICKS);
      send(muxPsAudioFrame(data, { pts: at }), at);
    }
  }
  const bytes = packets.reduce((sum, p) => sum + p.length, 0);
  return { packets, seconds: (loops * clip.length) / CLIP_FPS, bytes };
}

function run(packets: Uint8Array[]): number {
  const hub = new FlvStreamHub({ logger: silentLogger });
  hub.attach(viewer);
  const ingest = new RtpIngest({
    onFrame: (frame) => hub.push(frame),
    logger: silentLogger,
    now: () => 0,
  });
  for (const packet of packets) ingest.push(packet);
  return hub.bytesOut;
}

/** Starts the V8 profiler where a profile is asked for; the returned function writes it. */
async function startProfile(path: string | undefined): Promise<() => Promise<void>> {
  if (path === undefined) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  };
}

const loops = Number(process.argv[2] ?? 6);
const input = datagrams(loops);
run(input.packets); // warm-up: JIT and caches
const stopProfile = await startProfile(process.argv[3]);
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const started = process.cpuUsage();
  if (run(input.packets) === 0) throw new Error('the ingest produced no FLV bytes');
  const used = process.cpuUsage(started);
  times.push((used.user + used.system) / 1e6);
}
await stopProfile();
const cpu = [...times].sort((a, b) => a - b)[2] ?? 0;
const share = (cpu / input.seconds) * 100;
const mbits = (input.bytes * 8) / input.seconds / 1e6;
console.log(
  `${input.packets.length} packets, ${input.seconds} s of a ${mbits.toFixed(2)} Mbit/s stream`,
);
console.log(`median CPU ${(cpu * 1000).toFixed(1)} ms: ${share.toFixed(3)} % of a core per stream`);
console.log(`${((cpu / input.packets.length) * 1e6).toFixed(2)} µs per packet`);
