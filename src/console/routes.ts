/**
 * The console's own static files, `/console/{name}`: its stylesheet and browser modules,
 * kept in `src/` as strings so every runtime serves them without a file system or a build.
 */
import { Hono } from 'hono';
import { z } from 'zod';

import type { ApiEnv } from '../api/context.ts';
import type { RouteRegistry } from '../api/openapi/registry.ts';
import { ArgusError, errorCodes } from '../errors.ts';
import { consoleFiles } from './files.ts';

/** Serves `/console/{name}` and documents it in the registry. */
export function consoleRoutes(registry: RouteRegistry) {
  const app = new Hono<ApiEnv>();
  registry.document({
    method: 'get',
    path: '/console/{name}',
    summary: "The console's stylesheet and browser modules",
    tag: 'Site',
    security: 'none',
    request: { params: z.object({ name: z.string() }) },
    response: { mediaType: 'text/javascript', description: 'A module or stylesheet' },
  });

  app.get('/console/:name', (c) => {
    const name = c.req.param('name');
    const file = Object.hasOwn(consoleFiles, name) ? consoleFiles[name] : undefined;
    if (file === undefined) {
      throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find console file: ${name}`);
    }
    return c.body(file.body, 200, {
      'Content-Type': file.contentType,
      // The files change with the release: revalidate rather than keep a stale console.
      'Cache-Control': 'no-cache',
    });
  });
  return app;
}
