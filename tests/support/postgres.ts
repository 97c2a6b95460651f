/**
 * Postgres for tests: the server `ARGUS_TEST_POSTGRES_URL` names, or else a throwaway one
 * started here from Debian's binaries (initdb + pg_ctl, loopback only, data under the system
 * temporary directory, stopped with `stop()`). Each test takes a fresh database of its own.
 * Where neither is possible, `skip` says why and the Postgres cases are skipped with it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

export interface TestPostgres {
  /** Where Postgres cases skip, why; undefined where a server answers. */
  readonly skip: string | undefined;
  /** A new empty database on the server; its URL. */
  createDatabase(): Promise<string>;
  /** Drops the databases created here and stops a throwaway server. */
  stop(): Promise<void>;
}

const urlVariable = 'ARGUS_TEST_POSTGRES_URL';

/** The test Postgres of this process: started on first call, shared by later calls. */
export function testPostgres(): Promise<TestPostgres> {
  shared ??= startTestPostgres();
  return shared;
}
let shared: Promise<TestPostgres> | undefined;

async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env[urlVariable];
  if (given !== undefined && given !== '') return onServer(given, async () => {});

  const bin = postgresBinDir();
  if (bin === undefined) {
    return skipped(`no Postgres: set ${urlVariable} or install postgresql (initdb not found)`);
  }
  try {
    const server = await startThrowaway(bin);
    return onServer(server.url, server.stop);
  } catch (error) {
    return skipped(`no Postgres: cannot start a throwaway server: ${(error as Error).message}`);
  }
}

function skipped(reason: string): TestPostgres {
  return {
    skip: reason,
    createDatabase: () => Promise.reject(new Error(reason)),
    stop: async () => {},
  };
}

function onServer(url: string, stopServer: () => Promise<void>): TestPostgres {
  const created: string[] = [];
  const admin = () => new pg.Client({ connectionString: url });
  return {
    skip: undefined,
    async createDatabase() {
      const name = `argus_test_${process.pid}_${created.length}_${Date.now() % 100000}`;
      const client = admin();
      await client.connect();
      try {
        // C collation orders text byte-wise, as SQLite does.
        await client.query(
          `create database ${name} template template0 lc_collate 'C' lc_ctype 'C'`,
        );
      } finally {
        await client.end();
      }
      created.push(name);
      const database = new URL(url);
      database.pathname = `/${name}`;
      return database.toString();
    },
    async stop() {
      const client = admin();
      await client.connect().catch(() => undefined);
      for (const name of created) {
        await client.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      }
      await client.end().catch(() => undefined);
      await stopServer();
    },
  };
}

/** The bin directory of the newest Debian Postgres, or where `initdb` is on PATH. */
function postgresBinDir(): string | undefined {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? join(path, '..') : undefined;
}

/**
 * initdb + pg_ctl on 127.0.0.1 and a free port, trust authentication for user `argus`. The
 * server refuses to run as root, so as root it runs as the `postgres` user.
 */
async function startThrowaway(bin: string) {
  const dir = mkdtempSync(join(tmpdir(), 'argus-pg-'));
  const data = join(dir, 'data');
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (asUser !== undefined) chownSync(dir, asUser.uid, asUser.gid);
  const run = (tool: string, args: string[]) => {
    const [file, argv] =
      asUser === undefined
        ? [join(bin, tool), args]
        : ['runuser', ['-u', asUser.name, '--', join(bin, tool), ...args]];
    execFileSync(file, argv, { stdio: 'pipe', timeout: 60_000 });
  };

  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'argus', '-A', 'trust', '-E', 'UTF8', '--locale=C']);
    const options = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`;
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that ends without calling stop() must not leave a server behind.
  process.once('exit', () => {
    if (stopped) return;
    // SIGQUIT is the postmaster's immediate shutdown.
    const pid = postmasterPid(data);
    if (pid > 0) process.kill(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `postgres://argus@127.0.0.1:${port}/postgres`, stop };
}

function postgresUser(): { name: string; uid: number; gid: number } {
  const name = 'postgres';
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));
  try {
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root and there is no postgres user to run the server as');
  }
}

/** The server's process id: the first line of postmaster.pid, 0 where it cannot be read. */
function postmasterPid(data: string): number {
  try {
    return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || 0;
  } catch {
    return 0;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
