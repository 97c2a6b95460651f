/**
 * The benchmark's steps: for each N, start the streams that are missing (a first viewer
 * makes the node INVITE, then leaves; the linger keeps the stream up), then add viewers up
 * to each M, let them settle and measure over a steady window.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Platform } from '../../support/platform.ts';
import type { RunningProcess } from '../../support/processes.ts';
import type { NodeProfiler } from './node-profiler.ts';
import { cpuSeconds, hostBusySeconds, rssMiB, threadCpuSeconds } from './proc-stats.ts';
import type { StepResult } from './report.ts';
import { liveUrls, openViewers, type BenchChannel } from './streams.ts';
import type { FlvViewer } from './viewer.ts';

const WARM_UP_MS = 3000;
/** Extra settling after streams start: their first seconds cost more (JIT, events, GC). */
const STREAM_WARM_UP_MS = 3000;
/** CPU is the median of WINDOWS windows of WINDOW_MS: one window alone varied by ±5 points. */
const WINDOWS = 3;
const WINDOW_MS = 4000;
const IDLE_WINDOW_MS = 5000;

export interface BenchContext {
  readonly platform: Platform;
  readonly sender: RunningProcess;
  readonly channels: readonly BenchChannel[];
  /** Where given, each step's steady windows are profiled into `dir` (`--profile`). */
  readonly profile?: { readonly profiler: NodeProfiler; readonly dir: string };
}

export interface MatrixResult {
  steps: StepResult[];
  idle: { cpuPercent: number; rssMiB: number };
  /** Live URL opened to first frame, for each stream's first viewer (INVITE included). */
  streamStartMs: number[];
}

interface Window {
  cpuPercent: number;
  senderCpuPercent: number;
  benchCpuPercent: number;
  hostCpuPercent: number;
  rssMiB: number;
  /** CPU seconds of the media node per kind of thread over the window. */
  threadSeconds: Map<string, number>;
  bytes: number;
  seconds: number;
}

/** CPU of the media node, the sender and this process over `ms`, and the viewers' bytes. */
async function measure(context: BenchContext, viewers: FlvViewer[], ms: number): Promise<Window> {
  const nodePid = context.platform.media.child.pid ?? 0;
  const senderPid = context.sender.child.pid ?? 0;
  const bytesBefore = viewers.reduce((sum, v) => sum + v.bytes, 0);
  const threads0 = threadCpuSeconds(nodePid);
  const [host0, node0, sender0, bench0, t0] = [
    hostBusySeconds(),
    cpuSeconds(nodePid),
    cpuSeconds(senderPid),
    process.cpuUsage(),
    performance.now(),
  ];
  const rss: number[] = [];
  const sampleEvery = Math.min(1000, ms);
  for (let waited = 0; waited < ms; waited += sampleEvery) {
    await sleep(sampleEvery);
    rss.push(rssMiB(nodePid));
  }
  const seconds = (performance.now() - t0) / 1000;
  const bench = process.cpuUsage(bench0);
  const threadSeconds = new Map<string, number>();
  for (const [kind, used] of threadCpuSeconds(nodePid)) {
    threadSeconds.set(kind, used - (threads0.get(kind) ?? 0));
  }
  return {
    cpuPercent: ((cpuSeconds(nodePid) - node0) / seconds) * 100,
    senderCpuPercent: ((cpuSeconds(senderPid) - sender0) / seconds) * 100,
    benchCpuPercent: ((bench.user + bench.system) / 1e6 / seconds) * 100,
    hostCpuPercent: ((hostBusySeconds() - host0) / seconds) * 100,
    // Mean of one sample a second: V8's heap breathes by megabytes between collections.
    rssMiB: rss.reduce((sum, value) => sum + value, 0) / rss.length,
    threadSeconds,
    bytes: viewers.reduce((sum, v) => sum + v.bytes, 0) - bytesBefore,
    seconds,
  };
}

/** Runs `work` under the media node's profiler where profiling, writing `<name>.cpuprofile`. */
async function profiled<T>(context: BenchContext, name: string, work: () => Promise<T>) {
  const { profile } = context;
  if (profile === undefined) return work();
  await profile.profiler.startGcCount();
  await profile.profiler.start();
  const result = await work();
  await profile.profiler.stop(join(profile.dir, `${name}.cpuprofile`));
  const gc = await profile.profiler.gcCount();
  const memory = await profile.profiler.memory();
  writeFileSync(join(profile.dir, `${name}.json`), JSON.stringify({ gc, memory }, null, 2));
  return result;
}

/** WINDOWS windows back to back: the median CPU of each process, bytes and RSS of all. */
async function measureSteady(context: BenchContext, viewers: FlvViewer[]): Promise<Window> {
  const windows: Window[] = [];
  for (let i = 0; i < WINDOWS; i++) windows.push(await measure(context, viewers, WINDOW_MS));
  const median = (pick: (w: Window) => number) =>
    [...windows.map(pick)].sort((a, b) => a - b)[Math.floor(windows.length / 2)] ?? 0;
  const sum = (pick: (w: Window) => number) => windows.reduce((total, w) => total + pick(w), 0);
  return {
    cpuPercent: median((w) => w.cpuPercent),
    senderCpuPercent: median((w) => w.senderCpuPercent),
    benchCpuPercent: median((w) => w.benchCpuPercent),
    hostCpuPercent: median((w) => w.hostCpuPercent),
    rssMiB: sum((w) => w.rssMiB) / windows.length,
    threadSeconds: sumThreads(windows),
    bytes: sum((w) => w.bytes),
    seconds: sum((w) => w.seconds),
  };
}

function sumThreads(windows: readonly Window[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const window of windows) {
    for (const [kind, used] of window.threadSeconds) total.set(kind, (total.get(kind) ?? 0) + used);
  }
  return total;
}

/** Starts streams for `channels`: one viewer each until its first frame, then it leaves. */
async function startStreams(
  context: BenchContext,
  channels: readonly BenchChannel[],
  urls: Map<BenchChannel, string>,
  streamStartMs: number[],
): Promise<void> {
  const fresh = await liveUrls(context.platform, [...channels]);
  channels.forEach((channel, i) => urls.set(channel, fresh[i] ?? ''));
  const starters = await openViewers(fresh);
  if (starters.length !== channels.length) {
    throw new Error(`Cannot start the streams: ${starters.length} of ${channels.length} played`);
  }
  for (const viewer of starters) {
    streamStartMs.push(viewer.firstFrameMs ?? 0);
    viewer.close();
  }
}

/** Runs every (N, M) step; N grows, streams of the previous N keep running. */
export async function runMatrix(
  context: BenchContext,
  matrix: [number, number[]][],
): Promise<MatrixResult> {
  const idleWindow = await profiled(context, 'idle', () => measure(context, [], IDLE_WINDOW_MS));
  const idle = { cpuPercent: idleWindow.cpuPercent, rssMiB: idleWindow.rssMiB };
  const steps: StepResult[] = [];
  const streamStartMs: number[] = [];
  const urls = new Map<BenchChannel, string>();
  // RSS per stream is the growth since the previous N with no viewers (idle at first).
  let baseRss = { streams: 0, rssMiB: idle.rssMiB };
  for (const [n, viewerCounts] of matrix) {
    const channels = context.channels.slice(0, n);
    await startStreams(context, channels.slice(urls.size), urls, streamStartMs);
    await sleep(STREAM_WARM_UP_MS);
    let viewers: FlvViewer[] = [];
    let ingestCpuPercent = 0;
    const rssBase = baseRss;
    let previousM = 0;
    for (const m of viewerCounts) {
      const wanted = channels.flatMap((c) => Array<string>(m - previousM).fill(urls.get(c) ?? ''));
      previousM = m;
      const fresh = await openViewers(wanted);
      for (const viewer of viewers) viewer.latencies.length = 0;
      viewers = [...viewers, ...fresh];
      await sleep(WARM_UP_MS);
      for (const viewer of viewers) viewer.recording = true;
      const window = await profiled(context, `n${n}-m${m}`, () => measureSteady(context, viewers));
      for (const viewer of viewers) viewer.recording = false;
      if (m === 0) ingestCpuPercent = window.cpuPercent;
      if (m === 0) baseRss = { streams: n, rssMiB: window.rssMiB };
      steps.push({
        streams: n,
        viewersPerStream: m,
        cpuPercent: window.cpuPercent,
        idleCpuPercent: idle.cpuPercent,
        ingestCpuPercent,
        rssPerStreamMiB: (window.rssMiB - rssBase.rssMiB) / (n - rssBase.streams),
        latencyMs: viewers.flatMap((v) => v.latencies),
        firstFrameMs: fresh.map((v) => v.firstFrameMs ?? 0),
        mbitPerViewer:
          viewers.length === 0 ? 0 : (window.bytes * 8) / 1e6 / window.seconds / viewers.length,
        viewersLost: viewers.filter((v) => v.ended).length + (m * n - viewers.length),
        senderCpuPercent: window.senderCpuPercent,
        benchCpuPercent: window.benchCpuPercent,
        hostCpuPercent: window.hostCpuPercent,
        threadCpuPercent: new Map(
          [...window.threadSeconds].map(([kind, used]) => [kind, (used / window.seconds) * 100]),
        ),
      });
    }
    for (const viewer of viewers) viewer.close();
  }
  return { steps, idle, streamStartMs };
}
