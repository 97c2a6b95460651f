/**
 * The API/console on Deno: `deno task api`. The same service as on Node, over Deno's
 * built-in `node:sqlite`, with the packages from `node_modules` (deno.json).
 */
import { Kysely } from 'kysely';

import { playerAssets, startApiService } from '../../src/api/api-service.ts';
import { readConfig } from '../../src/config.ts';
import type { Database } from '../../src/sql/database.ts';
import type { Logger } from '../../src/logger.ts';
import { migrateToLatest } from '../../schema/migrate.ts';
import { nodeSqliteDialect } from './node-sqlite-dialect.ts';

/** The part of the Deno namespace this entry uses (tsc on Node does not know Deno). */
declare const Deno: {
  env: { toObject(): Record<string, string> };
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  exit(code: number): never;
};

const config = readConfig(Deno.env.toObject());
const logger = jsonLogger('api', config.ARGUS_LOG_LEVEL);

await Deno.mkdir(config.ARGUS_DATA_DIR, { recursive: true });
const db = new Kysely<Database>({
  dialect: nodeSqliteDialect(`${config.ARGUS_DATA_DIR}/argus.db`),
});
await migrateToLatest(db as Kysely<unknown>, 'sqlite');

const service = await startApiService({
  db,
  dialect: 'sqlite',
  config,
  logger,
  announce: (text) => console.log(text),
  assets: playerAssets({
    mpegtsJs: await readModuleFile('mpegts.js/dist/mpegts.js'),
    hlsJs: await readModuleFile('hls.js/dist/hls.min.js'),
  }),
});

const server = Deno.serve(
  {
    port: config.ARGUS_HTTP_PORT,
    hostname: config.ARGUS_HTTP_HOST,
    onListen: ({ port }) => logger.info({ port, runtime: 'deno' }, 'api listening'),
  },
  service.app.fetch,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  Deno.addSignalListener(signal, () => {
    service.stop();
    void server.shutdown().finally(() => Deno.exit(0));
  });
}

/** A file of a package in the repository's node_modules. */
function readModuleFile(path: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(`../../node_modules/${path}`, import.meta.url).pathname);
}

/** pino's line format on stdout, without pino's Node-only transport machinery. */
function jsonLogger(name: string, level: string, bound: object = {}): Logger {
  const levels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: 100 };
  const threshold = levels[level as keyof typeof levels] ?? 30;
  const write = (value: number) => (fields: object, msg: string) => {
    if (value < threshold) return;
    const line = { level: value, time: Date.now(), name, ...bound, ...serialise(fields), msg };
    console.log(JSON.stringify(line));
  };
  return {
    debug: write(20),
    info: write(30),
    warn: write(40),
    error: write(50),
    child: (fields) => jsonLogger(name, level, { ...bound, ...fields }),
  };
}

function serialise(fields: object): object {
  const err = (fields as { err?: unknown }).err;
  if (!(err instanceof Error)) return fields;
  return { ...fields, err: { type: err.name, message: err.message, stack: err.stack } };
}
