import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';

import { ArgusError, errorCodes } from '../errors.ts';
import type { ApiDeps, ApiEnv } from './context.ts';
import { errorBody, httpMapping } from './http-errors.ts';
import { consolePage } from './page.ts';
import { authRoutes, requireAccessToken } from './routes/auth.ts';
import { deviceRoutes } from './routes/devices.ts';
import { liveRoutes } from './routes/live.ts';

/** Largest request body the API reads. */
export const maxBodyBytes = 1024 * 1024;

/**
 * The northbound API and console as one Hono app, the same on every runtime. Every error
 * leaves through `onError` as `{error_code, error_msg, request_id}` with its HTTP status.
 */
export function createApp(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();

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

  app.route('/', authRoutes(deps));
  app.use('/v1/:user_id/*', requireAccessToken(deps));
  app.use('/v2/:user_id/devices/*', requireAccessToken(deps));
  app.route('/', deviceRoutes(deps));
  app.route('/', liveRoutes(deps));

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
