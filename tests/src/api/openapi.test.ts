/**
 * `/openapi.json` as specifications: a structurally valid OpenAPI 3.1 document that lists
 * every route the Hono app serves, with schemas generated from the routes' zod schemas; and
 * `/docs`, the page that renders it from this server alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { platform } from './control-plane-support.ts';

type Json = Record<string, any>;

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every problem that makes `doc` an invalid OpenAPI 3.1 document (structure, refs). */
function openApi31Problems(doc: Json): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => ok || problems.push(problem);
  expect(/^3\.1\.\d+$/.test(doc.openapi), `openapi is ${doc.openapi}, not 3.1.x`);
  expect(typeof doc.info?.title === 'string', 'info.title is not a string');
  expect(typeof doc.info?.version === 'string', 'info.version is not a string');
  expect(typeof doc.paths === 'object', 'paths is not an object');
  const schemes = Object.keys(doc.components?.securitySchemes ?? {});
  const operationIds = new Set<string>();

  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    expect(path.startsWith('/'), `path ${path} does not start with /`);
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries<Json>(item)) {
      const where = `${method} ${path}`;
      expect(methods.includes(method), `${where}: not an HTTP method`);
      expect(!operationIds.has(op.operationId), `${where}: operationId repeated`);
      operationIds.add(op.operationId);
      const responses = Object.entries<Json>(op.responses ?? {});
      expect(responses.length > 0, `${where}: no responses`);
      for (const [status, response] of responses) {
        expect(/^[1-5]\d\d$|^default$/.test(status), `${where}: response key ${status}`);
        expect(typeof response.description === 'string', `${where} ${status}: no description`);
      }
      const parameters: Json[] = op.parameters ?? [];
      for (const p of parameters) {
        expect(typeof p.name === 'string', `${where}: a parameter without name`);
        expect(['path', 'query', 'header', 'cookie'].includes(p.in), `${where}: in ${p.in}`);
        expect(p.in !== 'path' || p.required === true, `${where}: path ${p.name} not required`);
        expect(typeof p.schema === 'object', `${where}: ${p.name} has no schema`);
      }
      for (const name of templated) {
        const declared = parameters.some((p) => p.in === 'path' && p.name === name);
        expect(declared, `${where}: path parameter ${name} not declared`);
      }
      for (const requirement of op.security ?? []) {
        for (const scheme of Object.keys(requirement)) {
          expect(schemes.includes(scheme), `${where}: unknown security scheme ${scheme}`);
        }
      }
    }
  }
  for (const ref of refsIn(doc)) {
    expect(resolves(doc, ref), `$ref ${ref} does not resolve`);
  }
  return problems;
}

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === '$ref' && typeof v === 'string' ? [v] : refsIn(v),
  );
}

function resolves(doc: Json, ref: string): boolean {
  if (!ref.startsWith('#/')) return false;
  let node: any = doc;
  for (const part of ref.slice(2).split('/')) node = node?.[part];
  return node !== undefined;
}

describe('/openapi.json', () => {
  it('openapi.json is a structurally valid OpenAPI 3.1 document', async () => {
    const p = await platform();

    const answer = await p.call('GET', '/openapi.json');

    assert.equal(answer.status, 200);
    assert.deepEqual(openApi31Problems(answer.json), []);
  });

  it('openapi.json lists every route the app serves', async () => {
    const p = await platform();
    const doc = (await p.call('GET', '/openapi.json')).json;

    const served = p.app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const listed = Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );

    assert.ok(served.length > 20, `only ${served.length} routes`);
    assert.deepEqual([...new Set(served)].sort(), [...new Set(listed)].sort());
  });

  it('openapi.json describes the control-plane, auth, device and live routes', async () => {
    const p = await platform();
    const doc = (await p.call('GET', '/openapi.json')).json;

    const undescribed = Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
      Object.entries<Json>(item)
        .filter(([, op]) => op['x-argus-undescribed'] === true)
        .map(([method]) => `${method} ${path}`),
    );
    const ours = new RegExp(
      String.raw`^\w+ \/(v\d\/(\{user_id\}|users)\/` +
        String.raw`(enterprises|users|device-orgs|devices|channels)|operator)`,
    );
    assert.deepEqual(
      undescribed.filter((route) => ours.test(route)),
      [],
    );

    const create = doc.paths['/v1/{user_id}/device-orgs'].post;
    const body = create.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required.sort(), ['device_org_name', 'parent_org_id']);
    assert.equal(create['x-argus-permission'], 'orgs.manage');
    const list = doc.paths['/v1/{user_id}/devices'].get;
    const limit = list.parameters.find((param: Json) => param.name === 'limit');
    assert.equal(limit.schema.maximum, 1000);
  });

  it('docs renders the document with nothing fetched from elsewhere', async () => {
    const p = await platform();

    const page = await p.call('GET', '/docs');

    assert.equal(page.status, 200);
    assert.match(page.headers.get('Content-Type') ?? '', /^text\/html/);
    assert.match(page.text, /fetch\('\/openapi\.json'\)/);
    assert.doesNotMatch(page.text, /(src|href)="(https?:)?\/\//);
  });
});
