/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and prints the functions with the most self time,
 * with their file and line: what to look at first when a path is slow.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)?.callFrame;
  const micros = profile.timeDeltas[i] ?? 0;
  total += micros;
  if (frame === undefined) return;
  const file = frame.url.replace(/^.*\/work\/main\//, '');
  const key = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + micros);
});

const percent = (micros: number) => ((micros / total) * 100).toFixed(1);
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
for (const [key, micros] of rows) {
  console.log(
    `${percent(micros).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}`,
  );
}
