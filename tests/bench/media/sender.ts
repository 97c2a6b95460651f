/**
 * The benchmark's sender process: N cameras (sip-device.ts) on one event loop, each
 * streaming the bench clip as PS over RTP/UDP at 25 fps once the platform INVITEs it. Every
 * frame carries its send time (clip.ts) on the host's monotonic clock. Prints JSON lines:
 * `ready` once all cameras are registered, `stream_started`/`stream_stopped` per call.
 *
 * Usage: sender.ts <sip port> <cameras> <password> <clip.h264>
 */
import type { Socket } from 'node:dgram';

import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp } from '../../../media-node/formats/rtp.ts';
import { CLIP_FPS, monotonicUs, readBenchClip, stampedAccessUnit } from './clip.ts';
import type { BenchFrame } from './clip.ts';
import { BenchDevice, type MediaTarget } from './sip-device.ts';

const FRAME_MS = 1000 / CLIP_FPS;
const TICKS_PER_FRAME = 90_000 / CLIP_FPS;
/** How often due frames are looked for; the stamp is taken when a frame really leaves. */
const TICK_MS = 4;
const REGISTER_BATCH = 10;
const MAX_LATE_MS = 1000;

interface Stream {
  readonly target: MediaTarget;
  readonly socket: Socket;
  startedMs: number;
  readonly firstPts: number;
  sent: number;
  sequence: number;
}

const [sipPort, count, password, clipPath] = process.argv.slice(2);
const frames: BenchFrame[] = readBenchClip(clipPath ?? '');
const streams = new Map<string, Stream>();
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

const handlers = {
  onPlay(callId: string, target: MediaTarget, socket: Socket) {
    const firstPts = Math.floor(Math.random() * 2 ** 30);
    streams.set(callId, {
      target,
      socket,
      startedMs: performance.now(),
      firstPts,
      sent: 0,
      sequence: 0,
    });
    emit({ event: 'stream_started', callId, port: target.port });
  },
  onStop(callId: string) {
    const stream = streams.get(callId);
    streams.delete(callId);
    emit({ event: 'stream_stopped', callId, frames: stream?.sent ?? 0 });
  },
};

/** Sends the frame of `stream` that is due: a PS pack split into RTP packets. */
function sendFrame(stream: Stream): void {
  const frame = frames[stream.sent % frames.length];
  if (frame === undefined) return;
  const pts = stream.firstPts + stream.sent * TICKS_PER_FRAME;
  const au = stampedAccessUnit(frame, monotonicUs());
  const pack = muxPsVideoFrame(au, { pts, keyframe: frame.keyframe });
  const { payloadType, ssrc, port, address } = stream.target;
  const packets = packetizeRtp(pack, {
    payloadType,
    ssrc,
    timestamp: pts % 2 ** 32,
    firstSequence: stream.sequence,
  });
  for (const packet of packets) stream.socket.send(buildRtpPacket(packet), port, address);
  stream.sequence = (stream.sequence + packets.length) & 0xffff;
  stream.sent++;
}

function tick(): void {
  const now = performance.now();
  for (const stream of streams.values()) {
    // Far behind (an overloaded host): skip ahead rather than burst, as a camera would.
    if (now - stream.startedMs - stream.sent * FRAME_MS > MAX_LATE_MS) {
      stream.startedMs = now - stream.sent * FRAME_MS;
    }
    while (stream.sent * FRAME_MS <= now - stream.startedMs) sendFrame(stream);
  }
}

async function main(): Promise<void> {
  const server = { host: '127.0.0.1', port: Number(sipPort) };
  const devices = Array.from(
    { length: Number(count) },
    (_, i) => new BenchDevice(i + 1, server, password ?? '', handlers),
  );
  for (let i = 0; i < devices.length; i += REGISTER_BATCH) {
    await Promise.all(devices.slice(i, i + REGISTER_BATCH).map((device) => device.start()));
  }
  const ticker = setInterval(tick, TICK_MS);
  emit({ event: 'ready', devices: devices.map((d) => [d.deviceId, d.channelId]) });

  process.once('SIGTERM', () => {
    clearInterval(ticker);
    for (const device of devices) device.stop();
    process.exit(0);
  });
}

await main();
