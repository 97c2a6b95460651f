/**
 * The API/console process on Node: Hono through @hono/node-server over the embedded SQLite
 * event store and read models.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { serve } from '@hono/node-server';

import { playerAssets, startApiService } from '../../src/api/api-service.ts';
import { readConfig } from '../../src/config.ts';
import { SqlEventStore } from '../../src/event-store/sql-event-store.ts';
import { deliveryPolicy } from '../../src/fanout/callback-settings.ts';
import { DeliveryLoop } from '../../src/fanout/delivery-loop.ts';
import { alertLoop } from '../../src/fanout/alerts/default-alert-loop.ts';
import { FilePictureStorage } from './file-picture-storage.ts';
import { createLogger, databaseDialect, openEmbeddedDatabase } from './runtime.ts';

const config = readConfig(process.env);
const logger = createLogger(config, 'api');
const db = await openEmbeddedDatabase(config);
const dialect = databaseDialect(config);
const require = createRequire(import.meta.url);

const service = await startApiService({
  db,
  dialect,
  config,
  logger,
  announce: (text) => console.log(text),
  pictureStorage: new FilePictureStorage(join(config.ARGUS_DATA_DIR, 'pictures')),
  assets: playerAssets({
    mpegtsJs: readFileSync(require.resolve('mpegts.js/dist/mpegts.js')),
    hlsJs: readFileSync(require.resolve('hls.js/dist/hls.min.js')),
  }),
});

// The fanout runs in the API process on Node: callbacks are delivered from the event log.
const deliveries = new AbortController();
void new DeliveryLoop({
  db,
  dialect,
  store: new SqlEventStore({ db, dialect }),
  logger: logger.child({ component: 'fanout' }),
  policy: deliveryPolicy(config),
}).run(deliveries.signal);
void alertLoop({ db, dialect, logger: logger.child({ component: 'alerts' }) }).run(
  deliveries.signal,
);

const server = serve(
  { fetch: service.app.fetch, hostname: config.ARGUS_HTTP_HOST, port: config.ARGUS_HTTP_PORT },
  (info) => logger.info({ port: info.port }, 'api listening'),
);

server.on('error', (err: NodeJS.ErrnoException) => {
  const reason = err.code === 'EADDRINUSE' ? 'in use (set ARGUS_HTTP_PORT)' : err.message;
  logger.error({ port: config.ARGUS_HTTP_PORT }, `Cannot listen on the API port: ${reason}`);
  process.exit(1);
});

function shutdown(): void {
  deliveries.abort();
  service.stop();
  server.close();
  void db.destroy().finally(() => process.exit(0));
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
// Started by `npm start`: stop with it, however it ended.
process.on('disconnect', shutdown);
