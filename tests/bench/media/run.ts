/**
 * `npm run bench:media`: the real API and media node on loopback, a sender process with
 * N cameras streaming a 2 Mbit/s 25 fps H.264 clip as PS over RTP/UDP, and M HTTP-FLV viewers
 * per stream in this process. For each step it reads the media node's CPU time and RSS from
 * /proc over a steady window and the viewers' latency (sender stamp → receipt) and time to
 * first frame, then prints them beside the issue's reference figures. Never part of
 * `npm test`: figures are read by people, not asserted. Needs ffmpeg (libx264) and Linux.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Platform } from '../../support/platform.ts';
import { RunningProcess } from '../../support/processes.ts';
import { CLIP_HEIGHT, CLIP_WIDTH, makeClip } from './clip.ts';
import { runMatrix, type BenchContext } from './matrix.ts';
import { LEGEND, formatTable, percentile } from './report.ts';
import { benchIds } from './sip-device.ts';
import { waitOnline } from './streams.ts';

/**
 * Streams, then the viewers per stream measured with them (cumulative within each N).
 * `--matrix "1:0,1;10:0,10"` runs other steps (N ascending, M ascending within an N).
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
const PASSWORD = 'bench-pass-1';

function startPlatform(): Platform {
  const rtpBase = 20000 + 2 * Math.floor(Math.random() * 4000);
  return new Platform({
    env: {
      // Streams stay up without viewers, so that M = 0 measures ingest alone.
      ARGUS_LIVE_LINGER_S: '3600',
      ARGUS_LOG_LEVEL: 'info',
      ARGUS_RTP_PORTS: `${rtpBase}-${rtpBase + 4 * MAX_STREAMS + 20}`,
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
  const stop = async () => {
    await sender?.stop();
    await platform.stop();
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
    const context: BenchContext = { platform, sender, channels };
    const { steps, idle, streamStartMs } = await runMatrix(context, MATRIX);

    console.log(
      `Argus media node, ${CLIP_WIDTH}x${CLIP_HEIGHT} H.264 2 Mbit/s 25 fps PS over RTP/UDP, ` +
        `HTTP-FLV viewers; reference: ZLMediaKit (issue 3); ratio = this run / reference`,
    );
    console.log(formatTable(steps));
    console.log(LEGEND);
    const startP50 = percentile(streamStartMs, 50) ?? 0;
    console.log(
      `idle media node: ${idle.cpuPercent.toFixed(2)}% of a core, RSS ${idle.rssMiB.toFixed(1)} MiB; ` +
        `stream start (live URL opened → first frame, INVITE included) p50 ${startP50.toFixed(0)} ms; ` +
        `run took ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await stop();
  }
}

await main();
