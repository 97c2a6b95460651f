/**
 * The API/console as a Cloudflare Worker (wrangler.toml): the same Hono app over D1 for the
 * event store and read models. Reads work; appends are refused with a typed error until the
 * D1 event-store adapter (batched, without interactive transactions) exists, so the
 * projection runner and the first-start bootstrap do not run here yet.
 */
import type { D1Database, ExecutionContext } from '@cloudflare/workers-types';
import { Kysely } from 'kysely';
import { D1Dialect } from 'kysely-d1';

import { sipSettings } from '../../src/api/api-service.ts';
import { createApp } from '../../src/api/app.ts';
import { TokenService } from '../../src/auth/tokens.ts';
import { readConfig } from '../../src/config.ts';
import { callbackSettings } from '../../src/fanout/callback-settings.ts';
import { SqlEventStore } from '../../src/event-store/sql-event-store.ts';
import { silentLogger } from '../../src/logger.ts';
import { ProjectionRunner } from '../../src/projections/projection-runner.ts';
import { apiProjections } from '../../src/projections/control-plane.ts';
import type { Database } from '../../src/sql/database.ts';
import { migrateToLatest } from '../../schema/migrate.ts';

export interface Env {
  readonly DB: D1Database;
  readonly ARGUS_SECRET: string;
  readonly [variable: string]: unknown;
}

let app: Promise<ReturnType<typeof createApp>> | undefined;

async function build(env: Env): Promise<ReturnType<typeof createApp>> {
  const variables = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const config = readConfig(variables);
  const db = new Kysely<Database>({ dialect: new D1Dialect({ database: env.DB }) });
  await migrateToLatest(db as Kysely<unknown>, 'sqlite');

  const store = new SqlEventStore({ db, dialect: 'd1' });
  const runner = new ProjectionRunner({
    db,
    dialect: 'd1',
    store,
    projections: apiProjections,
  });
  return createApp({
    store,
    db,
    runner,
    tokens: new TokenService(env.ARGUS_SECRET),
    logger: silentLogger,
    sip: sipSettings(config),
    tokenTtlSeconds: config.ARGUS_TOKEN_TTL_S,
    callbacks: callbackSettings(config),
    controlLockSeconds: config.ARGUS_CONTROL_LOCK_S,
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    app ??= build(env);
    return (await app).fetch(request, env, ctx);
  },
};
