/**
 * Route definitions that are also their documentation: each route names its method, path,
 * schemas and required permission once; `defineRoute` registers it on the Hono app, checks
 * the caller's permission, validates its input with the schemas, and records it in the
 * registry that `/openapi.json` is generated from.
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';

import { can, type Action } from '../../auth/permissions.ts';
import { ArgusError, errorCodes } from '../../errors.ts';
import type { ApiEnv } from '../context.ts';
import { parseInput, readJson } from '../validation.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** How a route is authenticated: an `Access-Token`, the `Operator-Key`, or not at all. */
export type RouteSecurity = 'access-token' | 'operator-key' | 'none';

export interface RouteSchemas {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
}

export interface RouteSpec<S extends RouteSchemas = RouteSchemas> {
  readonly method: HttpMethod;
  /** In OpenAPI form: `/v1/{user_id}/device-orgs/{device_org_id}`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly security: RouteSecurity;
  /** What the caller's role must allow (permissions.ts). */
  readonly permission?: Action;
  readonly request?: S;
  /** The 200 answer: a JSON schema, or another media type described in words. */
  readonly response: z.ZodType | { readonly mediaType: string; readonly description: string };
  /** Served but not described by its author (document.ts fills these in). */
  readonly undescribed?: boolean;
}

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteInput<S extends RouteSchemas> {
  readonly params: Parsed<S['params']>;
  readonly query: Parsed<S['query']>;
  readonly body: Parsed<S['body']>;
}

/** The routes an app serves, in the order they were defined. */
export class RouteRegistry {
  readonly #routes: RouteSpec[] = [];

  get routes(): readonly RouteSpec[] {
    return this.#routes;
  }

  /** Records a route served by plain Hono handlers elsewhere. */
  document(...specs: RouteSpec[]): void {
    this.#routes.push(...specs);
  }
}

/** `/v1/{user_id}/x` → `/v1/:user_id/x` */
export function honoPath(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * Serves `spec` on `app` with `handler`, after the permission check and input validation.
 * @throws (to the handler's caller, the app's error handler) ArgusError FORBIDDEN where the
 * role lacks the permission; VALIDATION naming the fields that are wrong
 */
export function defineRoute<S extends RouteSchemas>(
  app: Hono<ApiEnv>,
  registry: RouteRegistry,
  spec: RouteSpec<S>,
  handler: (c: Context<ApiEnv>, input: RouteInput<S>) => Response | Promise<Response>,
): void {
  registry.document(spec as RouteSpec);
  app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c) => {
    if (spec.permission !== undefined) assertPermitted(c, spec.permission);
    const schemas: RouteSchemas = spec.request ?? {};
    const input = {
      params: schemas.params && parseInput(schemas.params, c.req.param(), 'path'),
      query: schemas.query && parseInput(schemas.query, c.req.query(), 'query'),
      body: schemas.body && parseInput(schemas.body, await readJson(c.req.raw)),
    };
    return handler(c, input as RouteInput<S>);
  });
}

/** @throws ArgusError FORBIDDEN where the caller's role does not allow `action` */
export function assertPermitted(c: Context<ApiEnv>, action: Action): void {
  const principal = c.get('principal');
  if (principal === undefined || !can(principal.role, action)) {
    const [noun, verb] = action.split('.');
    throw new ArgusError(
      errorCodes.FORBIDDEN,
      `Cannot ${verb ?? ''} ${noun ?? ''}: not allowed to role ${principal?.role ?? 'none'}`,
    );
  }
}
