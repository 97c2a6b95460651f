/**
 * The floor under the media node's per-stream CPU: a bare Node process that only receives N
 * streams' RTP datagrams (`bare`), and one that also runs them through RtpIngest and an
 * FlvStreamHub without viewers (`ingest`), both fed by a sender process at 2 Mbit/s and 25 fps
 * per stream, as the benchmark's sender paces them. Prints each one's CPU (all threads,
 * /proc schedstat) minus its idle CPU, per stream, and how often its main thread woke up: at
 * N = 1 each wake-up reads only a few datagrams, so the fixed cost of a wake-up dominates.
 * People read the figures; no test asserts them. Linux only; needs ffmpeg for the clip.
 *
 *   node --import tsx tests/bench/media/udp-floor.ts [N ...]      (default 1 20)
 *
 * Run as a child with `receive <bare|ingest> <first port> <N>` or `send <first port> <N> <clip>`.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp } from '../../../media-node/formats/rtp.ts';
import { FlvStreamHub } from '../../../media-node/media/flv-stream-hub.ts';
import { RtpIngest } from '../../../media-node/media/rtp-ingest.ts';
import { silentLogger } from '../../../src/logger.ts';
import { RunningProcess } from '../../support/processes.ts';
import { CLIP_FPS, makeClip, readBenchClip } from './clip.ts';
import { cpuSeconds } from './proc-stats.ts';

const START_CODE = Uint8Array.of(0, 0, 0, 1);
const FRAME_MS = 1000 / CLIP_FPS;
const SETTLE_MS = 4000;
const WINDOW_MS = 8000;

function receive(mode: string, firstPort: number, streams: number): void {
  for (let i = 0; i < streams; i++) {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    socket.bind(firstPort + 2 * i, '127.0.0.1');
    if (mode === 'bare') {
      socket.on('message', () => undefined);
      continue;
    }
    const hub = new FlvStreamHub({ logger: silentLogger });
    const ingest = new RtpIngest({ onFrame: (frame) => hub.push(frame), logger: silentLogger });
    socket.on('message', (bytes) => ingest.push(bytes));
  }
  console.log(JSON.stringify({ event: 'ready' }));
}

function send(firstPort: number, streams: number, clipPath: string): void {
  const clip = readBenchClip(clipPath);
  const socket = createSocket('udp4');
  const sequences = Array<number>(streams).fill(0);
  const started = performance.now();
  let sent = 0;
  setInterval(() => {
    while (sent * FRAME_MS <= performance.now() - started) {
      const frame = clip[sent % clip.length];
      if (frame === undefined) return;
      const au = concatBytes([...frame.head, ...frame.tail].flatMap((nal) => [START_CODE, nal]));
      const pts = 90000 + sent * (90000 / CLIP_FPS);
      const pack = muxPsVideoFrame(au, { pts, keyframe: frame.keyframe });
      for (let i = 0; i < streams; i++) {
        const options = { payloadType: 96, ssrc: 1, timestamp: pts, firstSequence: 0 };
        const packets = packetizeRtp(pack, { ...options, firstSequence: sequences[i] ?? 0 });
        sequences[i] = ((sequences[i] ?? 0) + packets.length) & 0xffff;
        for (const p of packets) socket.send(buildRtpPacket(p), firstPort + 2 * i, '127.0.0.1');
      }
      sent++;
    }
  }, 4);
}

/** Voluntary context switches of the process's main thread: how often it went to sleep. */
function wakeUps(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
}

/** CPU % of a core and wake-ups per second of `pid` over `ms`. */
async function measure(pid: number, ms: number): Promise<{ cpu: number; wakeUps: number }> {
  const [cpu0, wake0, t0] = [cpuSeconds(pid), wakeUps(pid), performance.now()];
  await sleep(ms);
  const seconds = (performance.now() - t0) / 1000;
  return {
    cpu: ((cpuSeconds(pid) - cpu0) / seconds) * 100,
    wakeUps: (wakeUps(pid) - wake0) / seconds,
  };
}

async function floor(mode: string, streams: number, clipPath: string): Promise<string> {
  const firstPort = 42000 + 2 * Math.floor(Math.random() * 4000);
  const args = ['receive', mode, String(firstPort), String(streams)];
  const receiver = new RunningProcess('tests/bench/media/udp-floor.ts', args, {});
  await receiver.waitFor((l) => l['event'] === 'ready', 30_000, 'the receiver');
  const pid = receiver.child.pid ?? 0;
  await sleep(SETTLE_MS);
  const idle = await measure(pid, WINDOW_MS);
  const senderArgs = ['send', String(firstPort), String(streams), clipPath];
  const sender = new RunningProcess('tests/bench/media/udp-floor.ts', senderArgs, {});
  try {
    await sleep(SETTLE_MS);
    const busy = await measure(pid, WINDOW_MS);
    const perStream = (busy.cpu - idle.cpu) / streams;
    return (
      `${mode.padEnd(6)} N=${String(streams).padEnd(4)} ${busy.cpu.toFixed(2)} % ` +
      `(idle ${idle.cpu.toFixed(2)}): ${perStream.toFixed(3)} % of a core per stream, ` +
      `main thread woke ${busy.wakeUps.toFixed(0)}/s (idle ${idle.wakeUps.toFixed(0)}/s)`
    );
  } finally {
    await sender.stop();
    await receiver.stop();
  }
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'argus-udp-floor-'));
  try {
    const clipPath = makeClip(dir);
    for (const streams of counts.length === 0 ? [1, 20] : counts) {
      for (const mode of ['bare', 'ingest']) console.log(await floor(mode, streams, clipPath));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'receive') receive(rest[0] ?? 'bare', Number(rest[1]), Number(rest[2]));
else if (role === 'send') send(Number(rest[0]), Number(rest[1]), rest[2] ?? '');
else await main();
