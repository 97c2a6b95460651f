/**
 * The OpenAPI 3.1 document of the API, generated from the route registry: every route's
 * path, method, parameters, body and answer come from the zod schemas it validates with
 * (`z.toJSONSchema`, JSON Schema 2020-12, the dialect OpenAPI 3.1 uses).
 */
import { z } from 'zod';

import type { RouteRegistry, RouteSpec } from './registry.ts';

type Json = Record<string, unknown>;

const errorSchema = {
  type: 'object',
  properties: {
    error_code: { type: 'string', examples: ['IVM.10000001'] },
    error_msg: { type: 'string', examples: ['Cannot accept request: limit must be at most 1000'] },
    request_id: { type: 'string' },
  },
  required: ['error_code', 'error_msg', 'request_id'],
};

const errorAnswers: Record<string, string> = {
  '400': 'The request is invalid; error_msg names the fields',
  '401': 'No valid token or key',
  '403': 'The caller may not do this here',
  '404': 'Not found',
  '409': 'Refused by a rule (a limit, a name in use, a non-empty organisation)',
};

const securityOf: Record<RouteSpec['security'], Json[]> = {
  'access-token': [{ accessToken: [] }],
  'operator-key': [{ operatorKey: [] }],
  none: [],
};

/** A route as Hono serves it: `GET`, `/v1/:user_id/devices`. */
export interface ServedRoute {
  readonly method: string;
  readonly path: string;
}

/**
 * The document for the routes of `registry`, and for every other route the app serves
 * (`served`, Hono's `app.routes`): those are listed with their path parameters only and
 * marked `x-argus-undescribed`, so the document always names every route.
 */
export function openApiDocument(
  registry: RouteRegistry,
  version: string,
  served: readonly ServedRoute[] = [],
): Json {
  const shared: Record<string, unknown> = { Error: errorSchema };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of [...registry.routes, ...undescribed(registry, served)]) {
    paths[spec.path] ??= {};
    (paths[spec.path] as Json)[spec.method] = operation(spec, shared);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Argus northbound API',
      version,
      description:
        'Paths and fields follow the Huawei IVM northbound API. Lists page with `limit` ' +
        '(at most 1000) and `offset` (rows) and answer a numeric `total`; times are ISO 8601 ' +
        'with an offset; every answer carries an `X-Request-Id` header, and errors also ' +
        '`request_id` in the body.',
    },
    paths,
    components: {
      schemas: shared,
      securitySchemes: {
        accessToken: { type: 'apiKey', in: 'header', name: 'Access-Token' },
        operatorKey: { type: 'apiKey', in: 'header', name: 'Operator-Key' },
      },
    },
  };
}

/** The served routes the registry does not describe, as bare specs. */
function undescribed(registry: RouteRegistry, served: readonly ServedRoute[]): RouteSpec[] {
  const known = new Set(registry.routes.map((r) => `${r.method} ${r.path}`));
  const specs = new Map<string, RouteSpec>();
  for (const route of served) {
    const method = route.method.toLowerCase() as RouteSpec['method'];
    // Middleware (`ALL`, wildcards) is not a route of its own.
    if (route.method === 'ALL' || route.path.includes('*')) continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const key = `${method} ${path}`;
    if (known.has(key) || specs.has(key)) continue;
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
    specs.set(key, {
      method,
      path,
      summary: 'Not described yet',
      tag: 'Other',
      security: /^\/v[12]\/\{user_id\}\//.test(path) ? 'access-token' : 'none',
      request: { params: z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) },
      response: { mediaType: 'application/json', description: 'Not described yet' },
      undescribed: true,
    });
  }
  return [...specs.values()];
}

function operation(spec: RouteSpec, shared: Record<string, unknown>): Json {
  const id = operationId(spec);
  const schema = (s: z.ZodType, io: 'input' | 'output') => jsonSchema(s, io, id, shared);
  const request = spec.request ?? {};
  const parameters = [
    ...parametersOf(request.params, 'path', schema),
    ...parametersOf(request.query, 'query', schema),
  ];
  const success =
    'mediaType' in spec.response
      ? { description: spec.response.description, content: { [spec.response.mediaType]: {} } }
      : {
          description: 'OK',
          content: { 'application/json': { schema: schema(spec.response, 'output') } },
        };
  const errors = Object.fromEntries(
    Object.entries(errorAnswers).map(([status, description]) => [
      status,
      {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
  return {
    operationId: id,
    summary: spec.summary,
    tags: [spec.tag],
    security: securityOf[spec.security],
    ...(spec.permission === undefined ? {} : { 'x-argus-permission': spec.permission }),
    ...(spec.undescribed === true ? { 'x-argus-undescribed': true } : {}),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(request.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schema(request.body, 'input') } },
          },
        }),
    responses: { '200': success, ...errors },
  };
}

function parametersOf(
  source: z.ZodType | undefined,
  where: 'path' | 'query',
  schema: (s: z.ZodType, io: 'input' | 'output') => Json,
): Json[] {
  if (source === undefined) return [];
  const object = schema(source, 'input');
  const properties = (object['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((object['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }));
}

/**
 * A schema as JSON Schema, with its `$defs` (recursive parts) moved to the components under
 * names prefixed by the operation, and the references rewritten to match.
 */
function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  prefix: string,
  shared: Record<string, unknown>,
): Json {
  // The dialect is the document's (JSON Schema 2020-12 in OpenAPI 3.1): no `$schema` each.
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  const { $defs, ...rest } = generated;
  delete rest['$schema'];
  const rename = (ref: string) => ref.replace('#/$defs/', `#/components/schemas/${prefix}_`);
  for (const [name, def] of Object.entries(($defs ?? {}) as Json)) {
    shared[`${prefix}_${name}`] = rewriteRefs(def, rename);
  }
  return rewriteRefs(rest, rename) as Json;
}

function rewriteRefs(value: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      key === '$ref' && typeof v === 'string' ? rename(v) : rewriteRefs(v, rename),
    ]),
  );
}

/** `post /v1/{user_id}/device-orgs` → `post_v1_user_id_device_orgs` */
function operationId(spec: RouteSpec): string {
  const words = spec.path.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  return [spec.method, ...words].join('_');
}
