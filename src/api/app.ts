import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';

import { consoleRoutes } from '../console/routes.ts';
import { ArgusError, errorCodes } from '../errors.ts';
import type { ApiDeps, ApiEnv } from './context.ts';
import { errorBody, httpMapping } from './http-errors.ts';
import { deviceRouteDocs } from './openapi/device-route-docs.ts';
import { docsPage } from './openapi/docs-page.ts';
import { openApiDocument } from './openapi/document.ts';
import { assertPermitted, honoPath, RouteRegistry } from './openapi/registry.ts';
import { siteRouteDocs } from './openapi/site-route-docs.ts';
import { consolePage } from './page.ts';
import { accountRoutes } from './routes/accounts.ts';
import { alarmRoutes } from './routes/alarms.ts';
import { alertRoutes } from './routes/alerts.ts';
import { authRoutes, requireAccessToken } from './routes/auth.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { deviceOrgRoutes } from './routes/device-orgs.ts';
import { deviceQueryRoutes } from './routes/device-queries.ts';
import { deviceRoutes } from './routes/devices.ts';
import { eventRoutes } from './routes/events.ts';
import { intelligenceRoutes } from './routes/intelligence.ts';
import { liveRoutes } from './routes/live.ts';
import { messageRoutes } from './routes/messages.ts';
import { operatorRoutes } from './routes/operator.ts';
import { playbackRoutes } from './routes/playback.ts';
import { ptzRoutes } from './routes/ptz.ts';
import { recordRoutes } from './routes/records.ts';
import { servicePackageRoutes } from './routes/resources.ts';
import { shareRoutes } from './routes/shares.ts';

/** The API's version, as `/openapi.json` states it. */
export const apiVersion = '0.1.0';

/** Largest request body the API reads. */
export const maxBodyBytes = 1024 * 1024;

/**
 * The northbound API and console as one Hono app, the same on every runtime. Every error
 * leaves through `onError` as `{error_code, error_msg, request_id}` with its HTTP status.
 */
export function createApp(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const registry = new RouteRegistry();

  app.use('*', async (c, next) => {
    const requestId = crypto.randomUUID();
    c.set('requestId', requestId);
    c.set('logger', deps.logger.child({ requestId }));
    c.header('X-Request-Id', requestId);
    await next();
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => {
        throw new ArgusError(
          errorCodes.BODY_TOO_LARGE,
          `Cannot accept request: the body is larger than ${maxBodyBytes} bytes`,
        );
      },
    }),
  );

  app.get('/', (c) => c.html(consolePage));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/assets/:name', (c) => {
    const asset = deps.assets?.[c.req.param('name')];
    if (asset === undefined) throw new ArgusError(errorCodes.NOT_FOUND, 'Cannot find asset');
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': asset.contentType,
      'Cache-Control': 'public, max-age=3600',
    });
  });

  app.get('/openapi.json', (c) => c.json(openApiDocument(registry, apiVersion, app.routes)));
  app.get('/docs', (c) => c.html(docsPage));
  registry.document(...siteRouteDocs);
  app.route('/', consoleRoutes(registry));

  app.route('/', authRoutes(deps, registry));
  app.route('/', operatorRoutes(deps, registry));
  app.use('/v1/:user_id/*', requireAccessToken(deps));
  app.use('/v2/:user_id/devices/*', requireAccessToken(deps));
  app.route('/', credentialRoutes(deps, registry));
  app.route('/', accountRoutes(deps, registry));
  app.route('/', deviceOrgRoutes(deps, registry));
  app.route('/', deviceQueryRoutes(deps, registry));
  app.route('/', recordRoutes(deps, registry));
  app.route('/', playbackRoutes(deps, registry));
  app.route('/', ptzRoutes(deps, registry));
  app.route('/', alarmRoutes(deps, registry));
  app.route('/', intelligenceRoutes(deps, registry));
  app.route('/', alertRoutes(deps, registry, {}));
  app.route('/', servicePackageRoutes(deps, registry));
  app.route('/', shareRoutes(deps, registry));
  // The device and live handlers are plain Hono: their documented permission is checked here.
  registry.document(...deviceRouteDocs);
  for (const spec of deviceRouteDocs) {
    const action = spec.permission;
    if (action === undefined) continue;
    app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c, next) => {
      assertPermitted(c, action);
      await next();
    });
  }
  app.route('/', deviceRoutes(deps, registry));
  app.route('/', liveRoutes(deps));
  // Callbacks and the event stream carry the whole tenant's events: administrators only.
  for (const path of ['/v1/:user_id/messages/*', '/v1/:user_id/events']) {
    app.use(path, async (c, next) => {
      assertPermitted(c, 'messages.manage');
      await next();
    });
  }
  app.route('/', messageRoutes(deps, deps.callbacks ?? { timeoutMs: 1000, allowPrivate: false }));
  app.route('/', eventRoutes(deps));

  app.notFound((c) => {
    const error = new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot find route: ${c.req.method} ${c.req.path}`,
    );
    return c.json(errorBody(error, c.get('requestId')), 404);
  });
  app.onError((error, c) => {
    const { status } = httpMapping(error);
    const logger = c.get('logger') ?? deps.logger;
    if (status >= 500) logger.error({ err: error, path: c.req.path }, 'request failed');
    else logger.info({ code: (error as ArgusError).code, path: c.req.path }, error.message);
    return c.json(errorBody(error, c.get('requestId') ?? crypto.randomUUID()), status);
  });
  return app;
}
