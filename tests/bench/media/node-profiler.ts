/**
 * CPU profiles of the media node over the benchmark's steady windows only (not its start-up
 * or the streams' first seconds): the node runs with `--inspect=127.0.0.1:0`, and this client
 * drives V8's profiler through the inspector protocol (Chrome DevTools Protocol, `Profiler`
 * domain) over the WebSocket the node announces on stderr. Loopback only.
 */
import { writeFileSync } from 'node:fs';

import WebSocket from 'ws';

import type { RunningProcess } from '../../support/processes.ts';

/** NODE_OPTIONS for the profiled process: an inspector on a port the system picks. */
export const INSPECT_NODE_OPTIONS = '--inspect=127.0.0.1:0';

/** Sampling period: 250 µs resolves one stream's work without costing much more. */
const SAMPLING_INTERVAL_US = 250;

/** perf_hooks kinds of GC entries (NODE_PERFORMANCE_GC_*). */
const GC_COUNTER = `(() => {
  const kinds = { 1: 'scavenge', 2: 'minor-mc', 4: 'mark-compact', 8: 'incremental', 16: 'weak' };
  const state = (globalThis.__argusBenchGc ??= { counts: {} });
  state.counts = {};
  if (state.observer === undefined) {
    const { PerformanceObserver } = require('node:perf_hooks');
    state.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = kinds[entry.detail?.kind] ?? String(entry.detail?.kind);
        const count = (state.counts[kind] ??= { count: 0, ms: 0 });
        count.count += 1;
        count.ms += entry.duration;
      }
    });
    state.observer.observe({ entryTypes: ['gc'] });
  }
  return 'ok';
})()`;

export class NodeProfiler {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown };
      if (message.id === undefined) return;
      this.#pending.get(message.id)?.(message.result);
      this.#pending.delete(message.id);
    });
  }

  /** Connects to the inspector `process` announced ("Debugger listening on ws://…"). */
  static async attach(process: RunningProcess): Promise<NodeProfiler> {
    const line = process.lines.find((l) => l.includes('Debugger listening on ws://'));
    const url = /ws:\/\/\S+/.exec(line ?? '')?.[0];
    if (url === undefined) throw new Error('Cannot profile the media node: no inspector URL');
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve());
      socket.on('error', reject);
    });
    const profiler = new NodeProfiler(socket);
    await profiler.#call('Profiler.enable');
    await profiler.#call('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    return profiler;
  }

  async start(): Promise<void> {
    await this.#call('Profiler.start');
  }

  /** Stops the profile started last and writes it as a .cpuprofile (profile-top.ts reads it). */
  async stop(path: string): Promise<void> {
    const { profile } = (await this.#call('Profiler.stop')) as { profile: unknown };
    writeFileSync(path, JSON.stringify(profile));
  }

  /**
   * Starts counting the node's garbage collections (perf_hooks `gc` entries: their count and
   * main-thread time by kind), from zero.
   */
  async startGcCount(): Promise<void> {
    await this.#evaluate(GC_COUNTER);
  }

  /** The collections since startGcCount(), by kind: count and main-thread milliseconds. */
  async gcCount(): Promise<Record<string, { count: number; ms: number }>> {
    const text = await this.#evaluate('JSON.stringify(globalThis.__argusBenchGc.counts)');
    return JSON.parse(text) as Record<string, { count: number; ms: number }>;
  }

  /** V8's heap statistics and process.memoryUsage() of the node now. */
  async memory(): Promise<Record<string, number>> {
    const text = await this.#evaluate(
      "JSON.stringify({ ...require('v8').getHeapStatistics(), ...process.memoryUsage() })",
    );
    return JSON.parse(text) as Record<string, number>;
  }

  /** Sets V8 flags in the running node (v8.setFlagsFromString), e.g. `--trace-gc`. */
  async setV8Flags(flags: string): Promise<void> {
    await this.#evaluate(`require('v8').setFlagsFromString(${JSON.stringify(flags)})`);
  }

  close(): void {
    this.#socket.close();
  }

  // The inspector's command-line API lends `require` to the expression.
  async #evaluate(expression: string): Promise<string> {
    const reply = (await this.#call('Runtime.evaluate', {
      expression,
      includeCommandLineAPI: true,
      returnByValue: true,
    })) as { result: { value?: unknown } };
    return String(reply.result.value ?? '');
  }

  #call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }
}
