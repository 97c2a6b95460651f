/**
 * The API/console process on Node: Hono through @hono/node-server, the embedded SQLite event
 * store, and a projection runner keeping the read models.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { serve } from '@hono/node-server';

import { createApp } from '../../src/api/app.ts';
import { bootstrapEnterprise } from '../../src/api/bootstrap.ts';
import { loadPlatformSecret } from '../../src/auth/platform-secret.ts';
import { TokenService } from '../../src/auth/tokens.ts';
import { readConfig } from '../../src/config.ts';
import { SqlEventStore } from '../../src/event-store/sql-event-store.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { readModelsProjection } from '../../src/projections/read-models.ts';
import { createLogger, openEmbeddedDatabase } from './runtime.ts';

const config = readConfig(process.env);
const logger = createLogger(config, 'api');
const db = await openEmbeddedDatabase(config);
const store = new SqlEventStore({ db, dialect: 'sqlite' });
const runner = new ProjectionRunner({
  db,
  dialect: 'sqlite',
  store,
  projections: [readModelsProjection],
  onError: (err) => logger.error({ err }, 'projection failed'),
});

const boot = await bootstrapEnterprise(store, {
  userId: config.ARGUS_USER_ID,
  ak: config.ARGUS_AK,
  sk: config.ARGUS_SK,
  now: new Date(),
});
if (boot !== undefined) {
  logger.info({ userId: boot.userId }, 'enterprise created');
  if (boot.generated !== undefined) {
    // Printed once, on first start: the secret key is stored only as a hash.
    console.log(
      `\nFirst start: enterprise created.\n  User ID: ${boot.userId}\n` +
        `  AK: ${boot.generated.ak}\n  SK: ${boot.generated.sk}\n  (keep the SK: it is not shown again)\n`,
    );
  }
}
await runner.catchUp();
const stop = new AbortController();
void runner.run(stop.signal);

const require = createRequire(import.meta.url);
const app = createApp({
  store,
  db,
  runner,
  tokens: new TokenService(await loadPlatformSecret(db, config.ARGUS_SECRET)),
  logger,
  sip: {
    serverId: config.ARGUS_SIP_ID,
    domain: config.ARGUS_SIP_DOMAIN,
    host: config.ARGUS_PUBLIC_HOST ?? '127.0.0.1',
    port: config.ARGUS_SIP_PORT,
  },
  tokenTtlSeconds: config.ARGUS_TOKEN_TTL_S,
  assets: {
    'mpegts.js': {
      body: readFileSync(require.resolve('mpegts.js/dist/mpegts.js')),
      contentType: 'text/javascript; charset=utf-8',
    },
  },
});

const server = serve(
  { fetch: app.fetch, hostname: config.ARGUS_HTTP_HOST, port: config.ARGUS_HTTP_PORT },
  (info) => logger.info({ port: info.port }, 'api listening'),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stop.abort();
    server.close();
    void db.destroy().finally(() => process.exit(0));
  });
}
