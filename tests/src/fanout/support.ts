/**
 * A platform for the fanout tests: a fresh SQLite file with the subscription tables, the event
 * store, a projection runner with the read models and subscriptions, a bootstrapped
 * enterprise, and a Hono app with the message and event routes behind the access-token check
 * (mounted here until src/api/app.ts wires them). Plus a scriptable callback receiver: a real
 * HTTP server on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Hono } from 'hono';

import { migrations } from '../../../schema/migrate.ts';
import { subscriptionsMigration } from '../../../schema/migrations/0020-subscriptions.ts';
import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { bootstrapEnterprise } from '../../../src/api/bootstrap.ts';
import type { ApiDeps, ApiEnv } from '../../../src/api/context.ts';
import { errorBody, httpMapping } from '../../../src/api/http-errors.ts';
import { eventRoutes, type EventRouteOptions } from '../../../src/api/routes/events.ts';
import { messageRoutes } from '../../../src/api/routes/messages.ts';
import { TokenService } from '../../../src/auth/tokens.ts';
import type { ChannelInfo, DeviceEvent } from '../../../src/domain/device.ts';
import {
  subscriptionId,
  subscriptionStreamName,
  type SubscriptionEvent,
  type SubscriptionType,
} from '../../../src/domain/subscription.ts';
import { ArgusError, errorCodes } from '../../../src/errors.ts';
import type { EventStore } from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import type { CallbackSettings } from '../../../src/fanout/callback-verification.ts';
import { silentLogger } from '../../../src/logger.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { readModelsProjection } from '../../../src/projections/read-models.ts';
import { subscriptionProjection } from '../../../src/projections/subscription-projection.ts';
import type { Db } from '../../../src/sql/database.ts';

export const userId = '100000000000000001';
export const otherUserId = '100000000000000002';
const ak = 'AK0000000001';
const sk = 'sk-right-0001';
export const start = new Date('2024-05-01T08:00:00.000Z');
const secret = 'a-test-secret-of-at-least-32-characters';
const tokenTtlSeconds = 3600;

const dirs: string[] = [];

/** Removes the databases made by `openFanoutDatabase`. */
export function removeDatabases(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh (or the given) SQLite file, migrated, with the subscription tables (0020). */
export async function openFanoutDatabase(path?: string): Promise<{ db: Db; path: string }> {
  let file = path;
  if (file === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'argus-fanout-'));
    dirs.push(dir);
    file = join(dir, 'argus.db');
  }
  const db = await openSqliteDatabase(file);
  const wired = Object.keys(migrations('sqlite')).some((name) => name.includes('subscriptions'));
  const exists = (await db.introspection.getTables()).some((t) => t.name === 'subscriptions');
  if (!wired && !exists) await subscriptionsMigration('sqlite').up(db as never);
  return { db, path: file };
}

/** The store and a runner over both the read models and the subscriptions. */
export function openStore(db: Db) {
  const store = new SqlEventStore({ db, dialect: 'sqlite', pollIntervalMs: 20 });
  const runner = new ProjectionRunner({
    db,
    dialect: 'sqlite',
    store,
    projections: [readModelsProjection, subscriptionProjection],
  });
  return { store, runner };
}

export interface PlatformOptions {
  readonly callbacks?: Partial<CallbackSettings>;
  readonly events?: EventRouteOptions;
  /** An existing database file (a restart). */
  readonly path?: string;
}

/** The platform with the routes mounted; `call` sends a request as the enterprise. */
export async function fanoutPlatform(options: PlatformOptions = {}) {
  const { db, path } = await openFanoutDatabase(options.path);
  const { store, runner } = openStore(db);
  const tokens = new TokenService(secret);
  await bootstrapEnterprise(store, { userId, ak, sk, now: start });
  await runner.catchUp();

  const clock = { now: start };
  const deps = {
    ...{ store, db, runner, tokens, logger: silentLogger, tokenTtlSeconds },
    sip: { serverId: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', port: 5060 },
    now: () => clock.now,
  } as ApiDeps;
  const callbacks: CallbackSettings = { timeoutMs: 1000, allowPrivate: true, ...options.callbacks };
  const token = `test-token-${crypto.randomUUID()}`;
  const app = routesApp(deps, callbacks, options.events ?? {}, token);

  async function call(
    method: string,
    path: string,
    request: { body?: unknown; headers?: HeadersInit } = {},
  ) {
    const headers = new Headers(request.headers);
    headers.set('Access-Token', token);
    const body = request.body === undefined ? null : JSON.stringify(request.body);
    const response = await app.request(path, { method, headers, body });
    const text = await response.text();
    return { status: response.status, text, json: text === '' ? undefined : JSON.parse(text) };
  }

  return { db, path, store, runner, clock, app, token, call, close: () => db.destroy() };
}

/**
 * What src/api/app.ts does around the routes: request id, logger, errors, and a token check.
 * The check is a stand-in for `requireAccessToken` (being reworked beside this slice, with
 * its own tests): it accepts `token` for `userId` only and sets `userId` as the real one does.
 */
function routesApp(
  deps: ApiDeps,
  callbacks: CallbackSettings,
  events: EventRouteOptions,
  token: string,
) {
  const app = new Hono<ApiEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', crypto.randomUUID());
    c.set('logger', silentLogger);
    await next();
  });
  app.use('/v1/:user_id/*', async (c, next) => {
    if (c.req.header('Access-Token') !== token || c.req.param('user_id') !== userId) {
      throw new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot authenticate: not the test token');
    }
    c.set('userId', userId);
    await next();
  });
  app.route('/', messageRoutes(deps, callbacks));
  app.route('/', eventRoutes(deps, events));
  app.onError((error, c) =>
    c.json(errorBody(error, c.get('requestId')), httpMapping(error).status),
  );
  return app;
}

/** Appends device events as a media node would. */
export async function given(store: EventStore, deviceId: string, ...events: DeviceEvent[]) {
  const result = await store.appendToStream(
    `device-${deviceId}`,
    events.map((event) => ({ type: event.type, data: { ...event.data } })),
  );
  return result.lastPosition;
}

export const at = (seconds: number) => new Date(start.getTime() + seconds * 1000).toISOString();

export const added = (deviceId: string, owner = userId): DeviceEvent => ({
  type: 'DeviceAdded',
  data: {
    deviceId,
    userId: owner,
    name: `Camera ${deviceId.slice(-2)}`,
    password: 'pw',
    at: at(0),
  },
});

export const registered = (deviceId: string, second = 1): DeviceEvent => ({
  type: 'DeviceRegistered',
  data: {
    deviceId,
    nodeId: 'media-1',
    transport: 'UDP',
    remoteAddress: '10.0.0.5:5060',
    expires: 3600,
    at: at(second),
  },
});

export const wentOffline = (deviceId: string, second = 2): DeviceEvent => ({
  type: 'DeviceWentOffline',
  data: { deviceId, reason: 'keepalive_timeout', at: at(second) },
});

export const cameOnline = (deviceId: string, second = 3): DeviceEvent => ({
  type: 'DeviceCameOnline',
  data: { deviceId, at: at(second) },
});

export const catalog = (deviceId: string, channels: ChannelInfo[], second = 4): DeviceEvent => ({
  type: 'DeviceCatalogUpdated',
  data: { deviceId, channels, at: at(second) },
});

/** Registers a subscription straight in the log (no test message), as the route would. */
export async function subscribe(
  store: EventStore,
  options: {
    url: string;
    type?: SubscriptionType;
    owner?: string;
    key?: string;
    keySource?: 'auth_key' | 'generated';
    startAfter?: number;
  },
) {
  const type = options.type ?? 'DEVICE_STATUS';
  const owner = options.owner ?? userId;
  const id = subscriptionId(owner, type);
  const event: SubscriptionEvent = {
    type: 'SubscriptionRegistered',
    data: {
      subscriptionId: id,
      userId: owner,
      subscriptionType: type,
      callbackUrl: options.url,
      signingKey: options.key ?? 'auth-key-0001',
      keySource: options.keySource ?? 'auth_key',
      startAfter: options.startAfter ?? 0,
      at: start.toISOString(),
    },
  };
  await store.appendToStream(subscriptionStreamName(id), [{ type: event.type, data: event.data }]);
  return id;
}

/** One request a receiver got. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: any;
}

/**
 * How the receiver answers a request: an HTTP status, or `hang` (answer 200 only after
 * `ms`, past the sender's timeout).
 */
export type Answer = number | { hang: number };

/**
 * A callback receiver on loopback. Each request takes the next answer of `script` (200 once
 * the script is used up) and is recorded.
 */
export async function receiver(script: Answer[] = []) {
  const received: Received[] = [];
  const pending = [...script];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: request.headers, body, json: JSON.parse(body) });
      const answer = pending.shift() ?? 200;
      if (typeof answer === 'number') {
        response.writeHead(answer).end();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!response.destroyed) response.writeHead(200).end();
      }, answer.hang);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/argus/callback`,
    received,
    /** Appends answers to the script. */
    answer: (...answers: Answer[]) => pending.push(...answers),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
