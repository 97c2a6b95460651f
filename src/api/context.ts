import type { EventStore } from '../event-store/event-store.ts';
import type { Logger } from '../logger.ts';
import type { ProjectionRunner } from '../projections/projection-runner.ts';
import type { Db } from '../sql/database.ts';
import type { Principal } from '../auth/permissions.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { CallbackSettings } from '../fanout/callback-verification.ts';
import type { PictureStorage } from '../storage/picture-storage.ts';

/** What the API needs from its runtime entry. */
export interface ApiDeps {
  readonly store: EventStore;
  readonly db: Db;
  readonly runner: ProjectionRunner;
  readonly tokens: TokenService;
  readonly logger: Logger;
  /**
   * Where devices register, returned by batch-add for the device's settings. Host and port
   * are those a media node announced; these are used until one has.
   */
  readonly sip: { serverId: string; domain: string; host: string; port: number };
  readonly tokenTtlSeconds: number;
  /** How long a PTZ control lock lasts unused (ARGUS_CONTROL_LOCK_S); 120 s by default. */
  readonly controlLockSeconds?: number;
  /**
   * How callback URLs are verified at registration; by default a 1 s answer and no private
   * addresses.
   */
  readonly callbacks?: CallbackSettings;
  readonly now?: () => Date;
  /** Static files the runtime provides (the player library), by path under /assets/. */
  readonly assets?: Readonly<Record<string, { body: Uint8Array | string; contentType: string }>>;
  /**
   * Where intelligence pictures are kept and the secret their URLs are signed with; without
   * it, pictures are refused (503) and data without pictures is still recorded.
   */
  readonly pictures?: { readonly storage: PictureStorage; readonly secret: string };
}

export interface ApiEnv {
  Variables: {
    requestId: string;
    userId: string;
    logger: Logger;
    /** Who called, set with `userId` by the access-token check. */
    principal: Principal;
  };
}
