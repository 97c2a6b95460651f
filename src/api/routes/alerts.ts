/**
 * User alerts: console users receive the alarms of the devices they may see, throttled to at
 * most one alert per window (src/fanout/alerts), on a Server-Sent Events stream and, where
 * they enabled it, as Web Push. Settings: a user's own window (set by the user or an
 * administrator), and a tenant default set by an administrator.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';

import type { Principal } from '../../auth/permissions.ts';
import {
  alertWindowBounds,
  decideAddPushSubscription,
  decideChangeAlertSettings,
  decideRemovePushSubscription,
  defaultAlertWindowS,
  foldAlertSettings,
  tenantAlertSettingsStream,
  userAlertSettingsStream,
  type AlertSettings,
  type AlertSettingsEvent,
} from '../../domain/alert-settings.ts';
import { handleCommand } from '../../domain/command-handler.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import {
  ensureRecipient,
  readAlertSettings,
  recipientOf,
} from '../../fanout/alerts/alert-recipients.ts';
import { alertStream, lastAlertSeq } from '../../fanout/alerts/alert-stream.ts';
import { loadVapidKeys } from '../../fanout/alerts/vapid-keys.ts';
import { privateRange } from '../../fanout/callback-url.ts';
import { findAccount } from '../../read-models/control-plane-queries.ts';
import type { ApiDeps, ApiEnv } from '../context.ts';
import { defineRoute, type RouteRegistry } from '../openapi/registry.ts';
import { loginName } from './accounts.ts';

export interface AlertRouteOptions {
  /** How often the stream looks for new alerts; 250 ms by default. */
  readonly pollIntervalMs?: number;
  /** Interval of the keep-alive comments; 15 s by default. */
  readonly heartbeatMs?: number;
  /** The reconnection delay suggested to clients; 3 s by default. */
  readonly retryMs?: number;
}

const tenant = z.object({ user_id: z.string() });
const userParams = tenant.extend({ login_name: loginName });
const sequence = z.string().regex(/^\d{1,15}$/, 'must be an alert id of this stream (digits)');
const windowS = z
  .number()
  .int()
  .min(alertWindowBounds.min)
  .max(alertWindowBounds.max)
  .describe('seconds: at most one alert per window');
const base64url = z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, 'must be base64url');

const userSettingsBody = z.object({
  alert_window_s: windowS,
  web_push: z.object({ enabled: z.boolean() }).optional(),
});
const settingsAnswer = z.object({
  alert_window_s: z.number(),
  source: z.enum(['user', 'tenant', 'default']).describe('where the window comes from'),
  web_push: z.object({ enabled: z.boolean(), subscriptions: z.number() }),
});
const pushSubscriptionBody = z.object({
  endpoint: z
    .string()
    .url()
    .max(2048)
    .refine((url) => /^https?:\/\//.test(url), 'must be an http(s) URL'),
  keys: z.object({ p256dh: base64url.max(128), auth: base64url.max(64) }),
});

export function alertRoutes(deps: ApiDeps, registry: RouteRegistry, options: AlertRouteOptions) {
  const app = new Hono<ApiEnv>();
  const now = () => deps.now?.() ?? new Date();
  const common = { tag: 'Alerts', security: 'access-token' } as const;

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/alerts/stream',
      summary: 'Alerts of the alarms you may see, as Server-Sent Events (one per window)',
      permission: 'devices.read',
      request: { params: tenant, query: z.object({ after: sequence.optional() }) },
      response: {
        mediaType: 'text/event-stream',
        description:
          'each alert `{alert_id, alert_type, first_alarm, suppressed_count, by_device, ' +
          'window_start, window_end}` with its sequence number as `id`; resume with Last-Event-ID',
      },
    },
    async (c, { query }) => {
      const lastEventId = c.req.header('Last-Event-ID');
      if (lastEventId !== undefined && !sequence.safeParse(lastEventId).success) {
        throw new ArgusError(
          errorCodes.VALIDATION,
          'Cannot accept Last-Event-ID: not an alert id of this stream: ' +
            `${lastEventId.slice(0, 32)}`,
        );
      }
      const recipientId = await ensureRecipient(deps.db, deps.store, c.get('principal'), now());
      const resumeFrom = lastEventId ?? query.after;
      const after =
        resumeFrom === undefined ? await lastAlertSeq(deps.db, recipientId) : Number(resumeFrom);
      const stream = alertStream({
        db: deps.db,
        recipientId,
        after,
        pollIntervalMs: options.pollIntervalMs ?? 250,
        heartbeatMs: options.heartbeatMs ?? 15_000,
        retryMs: options.retryMs ?? 3000,
      });
      return new Response(stream, {
        headers: {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache',
          'X-Accel-Buffering': 'no',
        },
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/users/{login_name}/alert-settings',
      summary: "A user's alert window and Web Push (yours, or any user's for an administrator)",
      permission: 'devices.read',
      request: { params: userParams },
      response: settingsAnswer,
    },
    async (c, { params }) => {
      await assertMayConfigure(c, deps, params.login_name);
      return c.json(await settingsOf(deps, c.get('userId'), params.login_name));
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'put',
      path: '/v1/{user_id}/users/{login_name}/alert-settings',
      summary: "Sets a user's alert window (seconds) and whether alerts go out as Web Push",
      permission: 'devices.read',
      request: { params: userParams, body: userSettingsBody },
      response: settingsAnswer,
    },
    async (c, { params, body }) => {
      await assertMayConfigure(c, deps, params.login_name);
      const userId = c.get('userId');
      const webPush = body.web_push === undefined ? {} : { webPush: body.web_push.enabled };
      await changeSettings(deps, userId, userAlertSettingsStream(params.login_name), (settings) =>
        decideChangeAlertSettings(settings, {
          userId,
          loginName: params.login_name,
          alertWindowS: body.alert_window_s,
          ...webPush,
          at: now(),
        }),
      );
      return c.json(await settingsOf(deps, userId, params.login_name));
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/alert-settings',
      summary: "The tenant's default alert window",
      permission: 'messages.manage',
      request: { params: tenant },
      response: z.object({ alert_window_s: z.number() }),
    },
    async (c) => {
      const userId = c.get('userId');
      const settings = await readAlertSettings(
        deps.store,
        userId,
        tenantAlertSettingsStream(userId),
      );
      return c.json({ alert_window_s: settings.alertWindowS ?? defaultAlertWindowS });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'put',
      path: '/v1/{user_id}/alert-settings',
      summary: "Sets the tenant's default alert window, for users who set none",
      permission: 'messages.manage',
      request: { params: tenant, body: z.object({ alert_window_s: windowS }) },
      response: z.object({ alert_window_s: z.number() }),
    },
    async (c, { body }) => {
      const userId = c.get('userId');
      await changeSettings(deps, userId, tenantAlertSettingsStream(userId), (settings) =>
        decideChangeAlertSettings(settings, {
          userId,
          alertWindowS: body.alert_window_s,
          at: now(),
        }),
      );
      return c.json({ alert_window_s: body.alert_window_s });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/v1/{user_id}/alerts/vapid-public-key',
      summary: 'The application server key browsers subscribe to Web Push with (RFC 8292)',
      permission: 'devices.read',
      request: { params: tenant },
      response: z.object({ vapid_public_key: z.string().describe('base64url P-256 point') }),
    },
    async (c) => {
      const keys = await loadVapidKeys(deps.db);
      return c.json({ vapid_public_key: keys.publicKey });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'post',
      path: '/v1/{user_id}/alerts/push-subscriptions',
      summary: "Stores your browser's PushSubscription: alerts go to it where Web Push is on",
      permission: 'devices.read',
      request: { params: tenant, body: pushSubscriptionBody },
      response: z.object({ endpoint: z.string(), subscriptions: z.number() }),
    },
    async (c, { body }) => {
      assertPushEndpoint(body.endpoint, deps.callbacks?.allowPrivate ?? false);
      const principal = c.get('principal');
      const recipient = recipientOf(principal);
      const subscription = { endpoint: body.endpoint, ...body.keys };
      const settings = await changeSettings(
        deps,
        principal.userId,
        userAlertSettingsStream(recipient),
        (s) =>
          decideAddPushSubscription(s, {
            userId: principal.userId,
            loginName: recipient,
            subscription,
            at: now(),
          }),
      );
      await ensureRecipient(deps.db, deps.store, principal, now());
      return c.json({ endpoint: body.endpoint, subscriptions: settings.pushSubscriptions.length });
    },
  );

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'delete',
      path: '/v1/{user_id}/alerts/push-subscriptions',
      summary: 'Forgets one of your push subscriptions by its endpoint',
      permission: 'devices.read',
      request: { params: tenant, query: z.object({ endpoint: z.string().min(1).max(2048) }) },
      response: z.object({ subscriptions: z.number() }),
    },
    async (c, { query }) => {
      const principal = c.get('principal');
      const recipient = recipientOf(principal);
      const settings = await changeSettings(
        deps,
        principal.userId,
        userAlertSettingsStream(recipient),
        (s) =>
          decideRemovePushSubscription(s, {
            userId: principal.userId,
            loginName: recipient,
            endpoint: query.endpoint,
            at: now(),
          }),
      );
      return c.json({ subscriptions: settings.pushSubscriptions.length });
    },
  );
  return app;
}

/**
 * A user's settings are theirs and their administrators' to change.
 * @throws ArgusError FORBIDDEN for another user's, unless an administrator; NOT_FOUND where
 * the tenant has no such user
 */
async function assertMayConfigure(c: Context<ApiEnv>, deps: ApiDeps, login: string) {
  const principal: Principal = c.get('principal');
  if (principal.loginName !== login && principal.role !== 'ENTERPRISE_ADMIN') {
    throw new ArgusError(
      errorCodes.FORBIDDEN,
      `Cannot configure alerts of ${login}: only the user or an administrator may`,
    );
  }
  const account = await findAccount(deps.db, login);
  if (account === undefined || account.user_id !== principal.userId) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find user: ${login}`);
  }
}

/** Decides on a settings stream of tenant `userId` and answers the settings after. */
async function changeSettings(
  deps: ApiDeps,
  userId: string,
  streamName: string,
  decide: (settings: AlertSettings) => AlertSettingsEvent[],
): Promise<AlertSettings> {
  await handleCommand(
    deps.store,
    streamName,
    (events: AlertSettingsEvent[]) => foldAlertSettings(userId, events),
    decide,
  );
  return readAlertSettings(deps.store, userId, streamName);
}

/** A user's settings as answered: the window with where it comes from, and Web Push. */
async function settingsOf(deps: ApiDeps, userId: string, login: string) {
  const own = await readAlertSettings(deps.store, userId, userAlertSettingsStream(login));
  const tenantDefault = await readAlertSettings(
    deps.store,
    userId,
    tenantAlertSettingsStream(userId),
  );
  const [windowS, source] =
    own.alertWindowS !== undefined
      ? [own.alertWindowS, 'user' as const]
      : tenantDefault.alertWindowS !== undefined
        ? [tenantDefault.alertWindowS, 'tenant' as const]
        : [defaultAlertWindowS, 'default' as const];
  return {
    alert_window_s: windowS,
    source,
    web_push: { enabled: own.webPush, subscriptions: own.pushSubscriptions.length },
  };
}

/**
 * Alerts are posted to the endpoint from the platform: like a callback URL, it may not aim at
 * the platform's own network unless the operator allows private destinations.
 * @throws ArgusError VALIDATION for a plain-http, loopback or private endpoint
 */
function assertPushEndpoint(endpoint: string, allowPrivate: boolean): void {
  if (allowPrivate) return;
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const range = /^localhost\.?$|\.localhost\.?$/i.test(host) ? 'loopback' : privateRange(host);
  if (url.protocol !== 'https:' || range !== undefined) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      'Cannot accept push subscription: the endpoint must be https on a public address: ' +
        `${url.origin}`,
    );
  }
}
