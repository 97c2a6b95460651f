import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * The shared fixtures folder (../shared/fixtures beside the checkout). Tests read the public
 * captures in place and skip, with a visible reason, where a fresh clone does not have them.
 */
export const fixturesRoot = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

/** Absolute path of a fixture under shared/fixtures, or undefined where it is absent. */
export function fixturePath(relative: string): string | undefined {
  const path = join(fixturesRoot, relative);
  return existsSync(path) ? path : undefined;
}

/** Reads a fixture, or returns undefined where it is absent. */
export function readFixture(relative: string): Uint8Array | undefined {
  const path = fixturePath(relative);
  return path === undefined ? undefined : new Uint8Array(readFileSync(path));
}

/** The `skip` option for node:test: a message where the fixture is missing, else false. */
export function skipWithoutFixture(relative: string): string | false {
  return fixturePath(relative) === undefined
    ? `fixture ${relative} is absent (../shared/fixtures not beside this checkout)`
    : false;
}
