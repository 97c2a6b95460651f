/**
 * Reads a V8 .cpuprofile (node --cpu-prof, or tests/bench/media/run.ts --profile) and prints
 * the functions with the most self time, then those with the most inclusive time (itself and
 * what it called), with their file and line: what to look at first when a path is slow.
 * Shares are of the busy time: the `(idle)` samples (the event loop waiting) are left out,
 * and printed apart as the part of the profile the thread was busy.
 *
 *   node --import tsx tests/bench/profile-top.ts <file.cpuprofile> [rows]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const path = process.argv[2];
if (path === undefined) throw new Error('Cannot read profile: give the .cpuprofile path');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) parentOf.set(child, node.id);
}

function keyOf(node: ProfileNode): string {
  const frame = node.callFrame;
  const file = frame.url.replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
  const at = file === '' ? '' : ` ${file}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${at}`;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let busy = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const micros = profile.timeDeltas[i] ?? 0;
  if (node === undefined) return;
  const key = keyOf(node);
  if (key === '(idle)') {
    idle += micros;
    return;
  }
  busy += micros;
  self.set(key, (self.get(key) ?? 0) + micros);
  // Each function once per sample, however deep it recursed.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const ancestor = byId.get(at);
    if (ancestor !== undefined) seen.add(keyOf(ancestor));
  }
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
});

const percent = (micros: number) => ((micros / busy) * 100).toFixed(1);
function print(title: string, times: Map<string, number>): void {
  console.log(title);
  const rows = [...times.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, micros] of rows) {
    console.log(
      `${percent(micros).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    );
  }
}

const wall = busy + idle;
console.log(
  `busy ${(busy / 1000).toFixed(0)} ms of ${(wall / 1000).toFixed(0)} ms ` +
    `(${((busy / wall) * 100).toFixed(2)} % of the profiled thread); shares below are of busy`,
);
print('self', self);
inclusive.delete('(root)');
print('inclusive', inclusive);
