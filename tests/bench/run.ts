/**
 * `npm run bench`: prints this run's figures beside the committed baseline (measured on the
 * project's 2-core machine) and their ratio. `npm run bench -- --save` makes this run the
 * baseline. Never part of `npm test`: timings are read by people, not asserted.
 */
import { readFileSync, writeFileSync } from 'node:fs';

import { measureEventStore } from './event-store.ts';
import { preparePipelineInput, runPipeline } from './media-pipeline.ts';

const baselinePath = new URL('./baseline.json', import.meta.url);

type Figures = Record<string, number>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function measurePipeline(): Figures {
  const input = preparePipelineInput(30);
  runPipeline(input); // warm-up: JIT and caches
  const seconds: number[] = [];
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    if (runPipeline(input) === 0) throw new Error('the pipeline produced no FLV tags');
    seconds.push((performance.now() - started) / 1000);
  }
  const s = median(seconds);
  const megabits = (input.bytes * 8) / 1e6 / s;
  return {
    'media: RTP packets/s': input.packets.length / s,
    'media: frames/s': input.frames / s,
    'media: Mbit/s ingested': megabits,
    // A 1080p camera's main stream is about 4 Mbit/s.
    'media: 4 Mbit/s cameras per core': megabits / 4,
  };
}

async function main(): Promise<void> {
  const figures: Figures = { ...measurePipeline() };
  const store = await measureEventStore(2000);
  figures['event store: appends/s (SQLite, one per transaction)'] = store.appendsPerSecond;
  figures['projection: events/s (SQLite)'] = store.projectedPerSecond;
  figures['process: RSS MiB'] = process.memoryUsage().rss / 2 ** 20;

  let baseline: Figures = {};
  try {
    baseline = JSON.parse(readFileSync(baselinePath, 'utf8')) as Figures;
  } catch {
    console.log('No baseline yet: run `npm run bench -- --save` to record one.');
  }
  const rows = Object.entries(figures).map(([name, value]) => {
    const base = baseline[name];
    const ratio = base === undefined ? '' : (value / base).toFixed(2);
    return [name, value.toFixed(1), base === undefined ? '-' : base.toFixed(1), ratio];
  });
  const widths = [52, 12, 12, 7];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 8)).join(' ');
  console.log(line(['figure', 'this run', 'baseline', 'ratio']));
  for (const row of rows) console.log(line(row as string[]));

  if (process.argv.includes('--save')) {
    writeFileSync(baselinePath, `${JSON.stringify(figures, null, 2)}\n`);
    console.log('Saved as the baseline.');
  }
}

await main();
