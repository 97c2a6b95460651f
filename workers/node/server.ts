/**
 * The API/console process on Node: Hono through @hono/node-server over the embedded SQLite
 * event store and read models.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { serve } from '@hono/node-server';

import { playerAssets, startApiService } from '../../src/api/api-service.ts';
import { readConfig } from '../../src/config.ts';
import { createLogger, openEmbeddedDatabase } from './runtime.ts';

const config = readConfig(process.env);
const logger = createLogger(config, 'api');
const db = await openEmbeddedDatabase(config);
const require = createRequire(import.meta.url);

const service = await startApiService({
  db,
  dialect: 'sqlite',
  config,
  logger,
  announce: (text) => console.log(text),
  assets: playerAssets(readFileSync(require.resolve('mpegts.js/dist/mpegts.js'))),
});

const server = serve(
  { fetch: service.app.fetch, hostname: config.ARGUS_HTTP_HOST, port: config.ARGUS_HTTP_PORT },
  (info) => logger.info({ port: info.port }, 'api listening'),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    service.stop();
    server.close();
    void db.destroy().finally(() => process.exit(0));
  });
}
