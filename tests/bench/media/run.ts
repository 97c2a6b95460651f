/**
 * `npm run bench:media`: the real API and media node on loopback, a sender process with
 * N cameras streaming a 2 Mbit/s 25 fps H.264 clip as PS over RTP/UDP, and M HTTP-FLV viewers
 * per stream in this process. For each step it reads the media node's CPU time and RSS from
 * /proc over a steady window and the viewers' latency (sender stamp → receipt) and time to
 * first frame, then prints them beside the issue's reference figures. Never part of
 * `npm test`: figures are read by people, not asserted. Needs ffmpeg (libx264) and Linux.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Platform } from '../../support/platform.ts';
import { RunningProcess } from '../../support/processes.ts';
import { CLIP_HEIGHT, CLIP_WIDTH, makeClip } from './clip.ts';
import { runMatrix, type BenchContext } from './matrix.ts';
import { INSPECT_NODE_OPTIONS, NodeProfiler } from './node-profiler.ts';
import { LEGEND, formatTable, formatThreads, percentile } from './report.ts';
import { benchIds } from './sip-device.ts';
import { waitOnline } from './streams.ts';

/**
 * Streams, then the viewers per stream measured with them (cumulative within each N).
 * `--matrix "1:0,1;10:0,10"` runs other steps (N ascending, M ascending within an N).
 * `--profile DIR` also writes a CPU profile of the media node over each step's steady
 * windows (and the idle one) to DIR, for tests/bench/profile-top.ts; the profiler's own
 * sampling then adds to the CPU figures, so read shares from the profiles, not the table.
 */
const FULL_MATRIX: [number, number[]][] = [
  [1, [0, 1, 10, 100, 500]],
  [10, [0, 1, 10]],
  [50, [0, 1, 10]],
  [100, [0, 1, 10]],
];

function parseMatrix(text: string): [number, number[]][] {
  return text.split(';').map((step) => {
    const [n, ms] = step.split(':');
    return [Number(n), (ms ?? '0').split(',').map(Number)];
  });
}

const matrixArg = process.argv[process.argv.indexOf('--matrix') + 1];
const MATRIX = process.argv.includes('--matrix') ? parseMatrix(matrixArg ?? '') : FULL_MATRIX;
const MAX_STREAMS = Math.max(...MATRIX.map(([n]) => n));
/** The value after `--name`, undefined where the flag is absent. */
function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}
const PROFILE_DIR = option('--profile');
/** `--node-options "--trace-gc"`: more NODE_OPTIONS for both platform processes. */
const NODE_OPTIONS = [PROFILE_DIR && INSPECT_NODE_OPTIONS, option('--node-options')]
  .filter((value) => value !== undefined && value !== '')
  .join(' ');
/** `--v8-flags "--trace-gc"`: V8 flags set in the media node once running (needs --profile). */
const V8_FLAGS = option('--v8-flags');
/** `--node-log FILE`: the media node's output lines (logs, --trace-gc) are written there. */
const NODE_LOG = option('--node-log');
const PASSWORD = 'bench-pass-1';

function startPlatform(): Platform {
  const rtpBase = 20000 + 2 * Math.floor(Math.random() * 4000);
  return new Platform({
    env: {
      // Streams stay up without viewers, so that M = 0 measures ingest alone.
      ARGUS_LIVE_LINGER_S: '3600',
      ARGUS_LOG_LEVEL: 'info',
      ARGUS_RTP_PORTS: `${rtpBase}-${rtpBase + 4 * MAX_STREAMS + 20}`,
      ...(NODE_OPTIONS !== '' && { NODE_OPTIONS }),
    },
  });
}

/** Adds the cameras, then starts the sender; resolves once every camera is registered. */
async function startSender(platform: Platform, clipPath: string): Promise<RunningProcess> {
  const ids = Array.from({ length: MAX_STREAMS }, (_, i) => benchIds(i + 1));
  const added = await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
    devices: ids.map(({ deviceId }) => ({
      device_id: deviceId,
      device_name: 'Bench camera',
      device_password: PASSWORD,
    })),
  });
  if (added.status !== 200 || added.json.failed_num !== 0) {
    throw new Error(`Cannot add the bench cameras: ${JSON.stringify(added.json)}`);
  }
  const sender = new RunningProcess(
    'tests/bench/media/sender.ts',
    [String(platform.sipPort), String(MAX_STREAMS), PASSWORD, clipPath],
    {},
  );
  await sender.waitFor((l) => l['event'] === 'ready', 60_000, 'the sender');
  return sender;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'argus-bench-media-'));
  const platform = startPlatform();
  let sender: RunningProcess | undefined;
  let profiler: NodeProfiler | undefined;
  const stop = async () => {
    profiler?.close();
    await sender?.stop();
    await platform.stop();
    if (NODE_LOG !== undefined) writeFileSync(NODE_LOG, platform.media.lines.join('\n'));
    platform.removeData();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const started = performance.now();
    const clipPath = makeClip(dir);
    await platform.start();
    sender = await startSender(platform, clipPath);
    const channels = await waitOnline(platform, MAX_STREAMS);
    if (PROFILE_DIR !== undefined) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      profiler = await NodeProfiler.attach(platform.media);
      if (V8_FLAGS !== undefined) await profiler.setV8Flags(V8_FLAGS);
    }
    const profile = profiler && PROFILE_DIR !== undefined && { profiler, dir: PROFILE_DIR };
    const context: BenchContext = { platform, sender, channels, ...(profile && { profile }) };
    const { steps, idle, streamStartMs } = await runMatrix(context, MATRIX);

    console.log(
      `Argus media node, ${CLIP_WIDTH}x${CLIP_HEIGHT} H.264 2 Mbit/s 25 fps PS over RTP/UDP, ` +
        `HTTP-FLV viewers; reference: ZLMediaKit (issue 3); ratio = this run / reference`,
    );
    console.log(formatTable(steps));
    console.log(formatThreads(steps));
    console.log(LEGEND);
    const startP50 = percentile(streamStartMs, 50) ?? 0;
    console.log(
      `idle media node: ${idle.cpuPercent.toFixed(2)}% of a core, ` +
        `RSS ${idle.rssMiB.toFixed(1)} MiB; ` +
        'stream start (live URL opened → first frame, INVITE included) ' +
        `p50 ${startP50.toFixed(0)} ms; ` +
        `run took ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await stop();
  }
}

await main();
