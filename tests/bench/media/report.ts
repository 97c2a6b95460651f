/**
 * The benchmark's table: each figure beside the reference a C++ media server (ZLMediaKit)
 * reached on this kind of machine (issue 3, item 9) and the ratio this run / reference, as
 * tests/bench/run.ts prints figures beside its baseline. Ratios above 1 cost more than the
 * reference; for figures without a reference the column shows '-'.
 */

/** One (streams, viewers per stream) step of the matrix. */
export interface StepResult {
  readonly streams: number;
  readonly viewersPerStream: number;
  /** Media node CPU over the window, % of one core. */
  readonly cpuPercent: number;
  /** Its CPU with no streams (timers, projections), taken off before dividing by N. */
  readonly idleCpuPercent: number;
  /** Its CPU with the same streams and no viewers, for the per-viewer figure. */
  readonly ingestCpuPercent: number;
  readonly rssPerStreamMiB: number;
  readonly latencyMs: readonly number[];
  /** Request to first video frame of the viewers added in this step. */
  readonly firstFrameMs: readonly number[];
  readonly mbitPerViewer: number;
  readonly viewersLost: number;
  /** CPU of the sender process and of this process (viewers), % of one core. */
  readonly senderCpuPercent: number;
  readonly benchCpuPercent: number;
  /** The whole host, % of one core: more than the three above means other work shared it. */
  readonly hostCpuPercent: number;
  /** The media node's CPU per kind of thread (proc-stats.ts), % of one core, whole step. */
  readonly threadCpuPercent: ReadonlyMap<string, number>;
}

/** ZLMediaKit on a 2 Mbit/s 25 fps PS stream (issue 3). */
export const reference = {
  cpuPerStream: 0.26,
  cpuPerStreamOneViewer: 0.36,
  cpuPerExtraViewer: 0.05,
  rssPerStreamMiB: 1.2,
  latencyMs: [120, 160] as const,
  firstFrameMs: 16,
};

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function withRatio(value: number | undefined, ref: number | undefined, digits = 2): string {
  if (value === undefined) return '-';
  const shown = value.toFixed(digits);
  if (ref === undefined) return shown;
  return `${shown} (${ref}, ${(value / ref).toFixed(1)}x)`;
}

function row(step: StepResult): string[] {
  const { streams: n, viewersPerStream: m } = step;
  const perStream = (step.cpuPercent - step.idleCpuPercent) / n;
  const streamRef =
    m === 0 ? reference.cpuPerStream : m === 1 ? reference.cpuPerStreamOneViewer : undefined;
  const perViewer = m === 0 ? undefined : (step.cpuPercent - step.ingestCpuPercent) / (n * m);
  const p50 = percentile(step.latencyMs, 50);
  const p99 = percentile(step.latencyMs, 99);
  const midLatency = (reference.latencyMs[0] + reference.latencyMs[1]) / 2;
  const latency =
    p50 === undefined
      ? '-'
      : `${p50.toFixed(0)}/${(p99 ?? 0).toFixed(0)} (120-160, ${(p50 / midLatency).toFixed(1)}x)`;
  return [
    String(n),
    String(m),
    step.cpuPercent.toFixed(1),
    withRatio(perStream, streamRef),
    withRatio(perViewer, m === 0 ? undefined : reference.cpuPerExtraViewer, 3),
    withRatio(step.rssPerStreamMiB, m === 0 ? reference.rssPerStreamMiB : undefined, 1),
    latency,
    withRatio(percentile(step.firstFrameMs, 50), reference.firstFrameMs, 1),
    m === 0 ? '-' : step.mbitPerViewer.toFixed(2),
    String(step.viewersLost),
    `${step.senderCpuPercent.toFixed(0)}/${step.benchCpuPercent.toFixed(0)}`,
    otherCpu(step).toFixed(0),
  ];
}

const HEADINGS = [
  'N',
  'M',
  'node %core',
  '%core/stream (ref, x)',
  '%core/viewer (ref, x)',
  'RSS MiB/stream (ref, x)',
  'latency p50/p99 ms (ref, x)',
  '1st frame ms (ref, x)',
  'Mbit/s/viewer',
  'lost',
  'sender/bench %',
  'other %',
];

/** Host CPU not spent by the media node, the sender or the viewers (kernel threads, others). */
function otherCpu(step: StepResult): number {
  return step.hostCpuPercent - step.cpuPercent - step.senderCpuPercent - step.benchCpuPercent;
}

/** The table, one line per step, columns padded to their widest cell. */
export function formatTable(steps: readonly StepResult[]): string {
  const rows = [HEADINGS, ...steps.map(row)];
  const widths = HEADINGS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

/**
 * Where the media node's CPU went per step, by kind of thread: the main thread runs the
 * JavaScript and the event loop, V8's workers the collector's parallel and concurrent parts.
 */
export function formatThreads(steps: readonly StepResult[]): string {
  return steps
    .map((step) => {
      const kinds = [...step.threadCpuPercent]
        .filter(([, percent]) => percent >= 0.005)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, percent]) => `${kind} ${percent.toFixed(2)}`);
      return `N=${step.streams} M=${step.viewersPerStream} node threads %core: ${kinds.join(', ')}`;
    })
    .join('\n');
}

/** What each column means, printed under the table. */
export const LEGEND = [
  'node %core: media node CPU (all threads, /proc schedstat), % of one core: ' +
    'median of 3 windows of 4 s',
  '%core/stream: (node - idle node) / N, i.e. CPU seconds per stream-second x 100',
  '%core/viewer: (node - node with the same N and M = 0) / (N x M)',
  'RSS MiB/stream: growth of mean VmRSS since the previous N with M = 0 (idle for the first) ' +
    'per added stream; meaningless for small N (the V8 heap breathes by tens of MiB)',
  'latency: sender stamp (taken as the frame is muxed and sent) to receipt of its FLV tag, ' +
    'every frame of every viewer in the window; the reference is 120-160 ms, ratio on p50',
  '1st frame: HTTP request to the first video frame tag, for the viewers added in that step',
  'lost: viewers that never got a frame or were closed by the node',
  'sender/bench %: CPU of the sender process and of this process (the viewers), % of a core',
  'other %: host CPU (/proc/stat) spent outside those three: kernel threads and other work; ' +
    'high values mean the figures of that row were disturbed',
].join('\n');
