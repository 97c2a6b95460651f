/**
 * CPU time and resident memory of another process, read from Linux's /proc (proc(5)). CPU
 * time sums each thread's `schedstat` run time (nanoseconds), which resolves the fractions of
 * a percent one stream costs; /proc/<pid>/stat (clock ticks of 10 ms) is the fallback.
 */
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds the process has used so far, all threads together. */
export function cpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ');
      ns += Number(fields[0] ?? 0);
    }
    return ns / 1e9;
  } catch {
    return statCpuSeconds(pid);
  }
}

/**
 * CPU seconds per kind of thread: `main` (JavaScript, the event loop, and the garbage
 * collector's main-thread part) and the others by `comm` with digits dropped. Node 20 leaves
 * V8's workers (the collector's parallel and concurrent work, compilers) and the libuv pool
 * named `node`, shown as `helpers`. Threads that ended meanwhile are lost.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byKind = new Map<string, number>();
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const comm = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      const named = comm.replace(/\d+$/, '').trim();
      const kind = task === String(pid) ? 'main' : named === 'node' ? 'helpers' : named;
      const fields = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ');
      byKind.set(kind, (byKind.get(kind) ?? 0) + Number(fields[0] ?? 0) / 1e9);
    }
  } catch {
    // The process or a thread ended while being read.
  }
  return byKind;
}

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised name). */
function statCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** VmRSS in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return Number(kib ?? 0) / 1024;
}

/** CPU seconds the whole host has spent busy (not idle or iowait), all CPUs (/proc/stat). */
export function hostBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = ticks.reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
  return busy / CLOCK_TICKS_PER_SECOND;
}
