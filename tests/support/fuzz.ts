/**
 * How many cases a property test runs: its own count in `npm test` (a few seconds in all),
 * scaled by ARGUS_FUZZ_SCALE for the long `npm run fuzz`.
 */
const scale = Math.max(1, Number(process.env['ARGUS_FUZZ_SCALE'] ?? 1) || 1);

export function fuzzRuns(runs: number): number {
  return Math.round(runs * scale);
}
