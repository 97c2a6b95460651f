import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A child process whose stdout lines are kept (pino and the simulator print JSON lines). */
export class RunningProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();
  #exit: Promise<number | null>;

  /** Runs `entry` with Node and tsx, or with `command` where given (e.g. the deno binary). */
  constructor(entry: string, args: string[], env: Record<string, string>, command?: string) {
    const [file, argv] =
      command === undefined
        ? [process.execPath, ['--import', 'tsx', entry, ...args]]
        : [command, [entry, ...args]];
    this.child = spawn(file, argv, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    const take = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      this.lines.push(...parts.filter((line) => line.trim() !== ''));
      for (const wake of [...this.#waiters]) wake();
    };
    this.child.stdout?.on('data', take);
    this.child.stderr?.on('data', take);
    this.#exit = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** JSON lines printed so far (others skipped). */
  json(): Record<string, unknown>[] {
    const out = [];
    for (const line of this.lines) {
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not JSON: a banner or a warning.
      }
    }
    return out;
  }

  /** Resolves with the first JSON line matching, waiting up to `timeoutMs`. */
  async waitFor(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs = 15_000,
    what = 'a matching line',
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.json().find(predicate);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(
          `Timed out waiting for ${what}; output:\n${this.lines.slice(-30).join('\n')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 250));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      });
    }
  }

  count(predicate: (line: Record<string, unknown>) => boolean): number {
    return this.json().filter(predicate).length;
  }

  exited(): Promise<number | null> {
    return this.#exit;
  }

  /** Stops the process (SIGTERM by default) and waits for its exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.#exit;
  }
}

export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'a condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
