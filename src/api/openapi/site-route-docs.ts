/** The documentation of the routes that are not the API: console, health, assets, the docs. */
import { z } from 'zod';

import type { RouteSpec } from './registry.ts';

const common = { tag: 'Site', security: 'none' } as const;
const html = { mediaType: 'text/html', description: 'An HTML page' };

export const siteRouteDocs: readonly RouteSpec[] = [
  { ...common, method: 'get', path: '/', summary: 'The web console', response: html },
  {
    ...common,
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    response: z.object({ status: z.literal('ok') }),
  },
  {
    ...common,
    method: 'get',
    path: '/assets/{name}',
    summary: "The console's player libraries",
    request: { params: z.object({ name: z.string() }) },
    response: { mediaType: 'text/javascript', description: 'A script' },
  },
  {
    ...common,
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (OpenAPI 3.1)',
    response: { mediaType: 'application/json', description: 'The OpenAPI document' },
  },
  { ...common, method: 'get', path: '/docs', summary: 'This document as a page', response: html },
];
