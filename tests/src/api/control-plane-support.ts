/**
 * An in-process platform for the control-plane API tests: a fresh SQLite file, the API's
 * projections, the bootstrapped enterprise and the operator key; `call` sends a request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { createApp } from '../../../src/api/app.ts';
import { bootstrapEnterprise } from '../../../src/api/bootstrap.ts';
import { ensureOperatorKey } from '../../../src/auth/operator-key.ts';
import { TokenService } from '../../../src/auth/tokens.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { silentLogger } from '../../../src/logger.ts';
import { apiProjections } from '../../../src/projections/control-plane.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';

export const userId = '100000000000000001';
export const ak = 'AK0000000001';
export const sk = 'sk-right-0001';
export const start = new Date('2024-05-01T08:00:00.000Z');
export const tokenTtlSeconds = 3600;

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

export async function platform() {
  const dir = mkdtempSync(join(tmpdir(), 'argus-cp-api-'));
  dirs.push(dir);
  const db = await openSqliteDatabase(join(dir, 'argus.db'));
  const store = new SqlEventStore({ db, dialect: 'sqlite' });
  const runner = new ProjectionRunner({
    db,
    dialect: 'sqlite',
    store,
    projections: apiProjections,
  });
  const tokens = new TokenService('a-test-secret-of-at-least-32-characters');
  await bootstrapEnterprise(store, { userId, ak, sk, now: start });
  const operatorKey = (await ensureOperatorKey(db)) ?? '';
  await runner.catchUp();

  const clock = { now: start };
  const app = createApp({
    ...{ store, db, runner, tokens, logger: silentLogger, tokenTtlSeconds },
    sip: { serverId: '34020000002000000001', domain: '3402000000', host: '127.0.0.1', port: 5060 },
    now: () => clock.now,
  });

  async function call(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers = new Headers(options.headers);
    if (options.token !== undefined) headers.set('Access-Token', options.token);
    const body = options.body === undefined ? null : JSON.stringify(options.body);
    const response = await app.request(path.replace('{user_id}', userId), {
      method,
      headers,
      body,
    });
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** A token of the bootstrapped pair (or `pair`), logging in through the API. */
  async function login(pair = { ak, sk }, forceUpdate?: boolean, tenant = userId) {
    const body = forceUpdate === undefined ? pair : { ...pair, force_update: forceUpdate };
    return call('POST', `/v2/${tenant}/enterprises/access-token`, { body });
  }

  /** Logs in as an account; resolves with its token. */
  async function loginAs(loginName: string, password: string): Promise<string> {
    const answer = await call('POST', '/v2/users/access-token', {
      body: { login_name: loginName, password },
    });
    if (answer.status !== 200) throw new Error(`login refused: ${answer.text}`);
    return answer.json.access_token as string;
  }

  return { db, store, runner, tokens, clock, app, operatorKey, call, login, loginAs };
}

export type Platform = Awaited<ReturnType<typeof platform>>;
