/**
 * The API service as every runtime runs it: the event store on the given database, the
 * projection runner following it, the first-start bootstrap, and the Hono app. Runtime
 * entries (workers/) only open the database, serve `app.fetch` and pass their environment.
 */
import { ensureOperatorKey } from '../auth/operator-key.ts';
import { loadPlatformSecret } from '../auth/platform-secret.ts';
import { TokenService } from '../auth/tokens.ts';
import type { ArgusConfig } from '../config.ts';
import { callbackSettings } from '../fanout/callback-settings.ts';
import { SqlEventStore } from '../event-store/sql-event-store.ts';
import type { Logger } from '../logger.ts';
import { ProjectionRunner } from '../projections/projection-runner.ts';
import { apiProjections } from '../projections/control-plane.ts';
import type { Db, SqlDialectKind } from '../sql/database.ts';
import type { PictureStorage } from '../storage/picture-storage.ts';
import { createApp } from './app.ts';
import { bootstrapEnterprise } from './bootstrap.ts';
import type { ApiDeps } from './context.ts';

export interface ApiServiceOptions {
  readonly db: Db;
  readonly dialect: SqlDialectKind;
  readonly config: ArgusConfig;
  readonly logger: Logger;
  readonly assets?: ApiDeps['assets'];
  /** Where intelligence pictures are kept (the runtime's adapter); none refuses pictures. */
  readonly pictureStorage?: PictureStorage;
  /** Where the generated AK/SK are shown once, on first start. */
  readonly announce: (text: string) => void;
}

export interface ApiService {
  readonly app: ReturnType<typeof createApp>;
  readonly runner: ProjectionRunner;
  stop(): void;
}

export async function startApiService(options: ApiServiceOptions): Promise<ApiService> {
  const { db, dialect, config, logger } = options;
  const store = new SqlEventStore({ db, dialect });
  const runner = new ProjectionRunner({
    db,
    dialect,
    store,
    projections: apiProjections,
    onError: (err) => logger.error({ err }, 'projection failed'),
  });

  await bootstrap(options, store);
  await runner.catchUp();
  const stop = new AbortController();
  void runner.run(stop.signal);

  const secret = await loadPlatformSecret(db, config.ARGUS_SECRET);
  const storage = options.pictureStorage;
  const app = createApp({
    store,
    db,
    runner,
    tokens: new TokenService(secret),
    logger,
    sip: sipSettings(config),
    tokenTtlSeconds: config.ARGUS_TOKEN_TTL_S,
    controlLockSeconds: config.ARGUS_CONTROL_LOCK_S,
    callbacks: callbackSettings(config),
    ...(options.assets === undefined ? {} : { assets: options.assets }),
    ...(storage === undefined ? {} : { pictures: { storage, secret } }),
  });
  return { app, runner, stop: () => stop.abort() };
}

/** The SIP server devices are told to use, until a media node announces its own address. */
export function sipSettings(config: ArgusConfig): ApiDeps['sip'] {
  return {
    serverId: config.ARGUS_SIP_ID,
    domain: config.ARGUS_SIP_DOMAIN,
    host: config.ARGUS_PUBLIC_HOST ?? '127.0.0.1',
    port: config.ARGUS_SIP_PORT,
  };
}

/** The files of the console's player libraries, as the runtime read them from node_modules. */
export interface PlayerLibraries {
  /** node_modules/mpegts.js/dist/mpegts.js: HTTP-FLV and WS-FLV. */
  readonly mpegtsJs: Uint8Array;
  /** node_modules/hls.js/dist/hls.min.js: HLS. */
  readonly hlsJs: Uint8Array;
}

/** The console's player libraries as `/assets/mpegts.js` and `/assets/hls.js`. */
export function playerAssets(libraries: PlayerLibraries): NonNullable<ApiDeps['assets']> {
  const contentType = 'text/javascript; charset=utf-8';
  return {
    'mpegts.js': { body: libraries.mpegtsJs, contentType },
    'hls.js': { body: libraries.hlsJs, contentType },
  };
}

async function bootstrap(options: ApiServiceOptions, store: SqlEventStore): Promise<void> {
  const { config, logger } = options;
  const operatorKey = await ensureOperatorKey(options.db);
  // Shown once, like the SK: only its hash is kept.
  if (operatorKey !== undefined) {
    options.announce(
      `\nOperator key (Operator-Key header of /operator/…): ${operatorKey}\n` +
        '  (keep it: it is not shown again)\n',
    );
  }

  const boot = await bootstrapEnterprise(store, {
    userId: config.ARGUS_USER_ID,
    ak: config.ARGUS_AK,
    sk: config.ARGUS_SK,
    now: new Date(),
  });
  if (boot === undefined) return;

  logger.info({ userId: boot.userId }, 'enterprise created');
  if (boot.generated === undefined) return;
  // Shown once: the secret key is stored only as a hash.
  options.announce(
    `\nFirst start: enterprise created.\n  User ID: ${boot.userId}\n` +
      `  AK: ${boot.generated.ak}\n  SK: ${boot.generated.sk}\n` +
      '  (keep the SK: it is not shown again)\n',
  );
}
