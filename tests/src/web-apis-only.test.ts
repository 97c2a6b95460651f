/**
 * src/ runs unchanged on Node, Deno and workerd: it may use Web APIs only (DESIGN.md). The
 * lint rule says so while editing; this test holds it in CI.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { repoRoot } from '../support/processes.ts';

const forbidden: [RegExp, string][] = [
  [/from\s+['"]node:/, 'a node: import'],
  [/require\(/, 'require()'],
  [/\bBuffer\./, 'Buffer'],
  [/\bprocess\.(env|argv|exit|on|cwd)\b/, 'process'],
  [/from\s+['"](better-sqlite3|pino|fs|path|os|net|dgram|http)['"]/, 'a Node-only package'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

it('src/ uses Web APIs only', () => {
  const offences = sourceFiles(join(repoRoot, 'src')).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return forbidden
      .filter(([pattern]) => pattern.test(text))
      .map(([, what]) => `${file}: ${what}`);
  });
  assert.deepEqual(offences, []);
});
