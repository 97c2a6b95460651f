/**
 * The control-plane API as specifications: AK/SK pairs and their token limits, refresh,
 * accounts and roles, device organisations and the operator API, through Hono's in-process
 * `app.request` on real SQLite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ak,
  platform,
  sk,
  start,
  tokenTtlSeconds,
  type Answer,
  type Platform,
} from './control-plane-support.ts';

const ivm = {
  validation: 'IVM.10000001',
  unauthenticated: 'IVM.10000002',
  forbidden: 'IVM.10000003',
  notFound: 'IVM.10000004',
  conflict: 'IVM.10000005',
};

/** An error answer: its status, code, and the request ID in header and body. */
function assertError(answer: Answer, status: number, errorCode: string): string {
  assert.equal(answer.status, status, answer.text);
  assert.deepEqual(Object.keys(answer.json).sort(), ['error_code', 'error_msg', 'request_id']);
  assert.equal(answer.json.error_code, errorCode);
  assert.equal(answer.json.request_id, answer.headers.get('X-Request-Id'));
  return answer.json.error_msg as string;
}

async function tokenOf(p: Platform, pair = { ak, sk }, forceUpdate?: boolean): Promise<string> {
  const answer = await p.login(pair, forceUpdate);
  assert.equal(answer.status, 200, answer.text);
  return answer.json.access_token as string;
}

const devices = '/v1/{user_id}/devices';
const credentials = '/v1/{user_id}/enterprises/credentials';

describe('AK/SK access tokens', () => {
  it('access-token issues 2 live tokens per pair and refuses a third with 409', async () => {
    const p = await platform();
    const first = await tokenOf(p);
    const second = await tokenOf(p);

    const third = await p.login();

    const message = assertError(third, 409, ivm.conflict);
    assert.match(message, /^Cannot issue access token: the AK holds 2 live tokens already/);
    for (const token of [first, second]) {
      assert.equal((await p.call('GET', devices, { token })).status, 200);
    }
  });

  it('access-token with force_update evicts the oldest token, refused from then on', async () => {
    const p = await platform();
    const first = await tokenOf(p);
    const second = await tokenOf(p);

    const third = await tokenOf(p, { ak, sk }, true);

    const refused = await p.call('GET', devices, { token: first });
    assert.match(assertError(refused, 401, ivm.unauthenticated), /revoked or replaced/);
    for (const token of [second, third]) {
      assert.equal((await p.call('GET', devices, { token })).status, 200);
    }
  });

  it('access-token counts no expired token against the limit', async () => {
    const p = await platform();
    await tokenOf(p);
    await tokenOf(p);

    p.clock.now = new Date(start.getTime() + tokenTtlSeconds * 1000);

    assert.equal((await p.login()).status, 200);
  });

  it('refresh replaces a live token: the new one works, the old one is refused', async () => {
    const p = await platform();
    const old = await tokenOf(p);
    p.clock.now = new Date(start.getTime() + 600_000);

    const refreshed = await p.call('POST', '/v2/{user_id}/enterprises/access-token/refresh', {
      token: old,
    });

    assert.equal(refreshed.status, 200, refreshed.text);
    assert.deepEqual(Object.keys(refreshed.json).sort(), ['access_token', 'expire_time']);
    const fresh = refreshed.json.access_token as string;
    assert.equal((await p.call('GET', devices, { token: fresh })).status, 200);
    assertError(await p.call('GET', devices, { token: old }), 401, ivm.unauthenticated);
    const again = await p.call('POST', '/v2/{user_id}/enterprises/access-token/refresh', {
      token: old,
    });
    assertError(again, 401, ivm.unauthenticated);
  });
});

describe('/v1/{user_id}/enterprises/credentials', () => {
  it('credentials creates a second pair, shows its SK once, refuses a third with 409', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    p.clock.now = new Date(start.getTime() + 1000);

    const created = await p.call('POST', credentials, { token });
    assert.equal(created.status, 200, created.text);
    assert.match(created.json.sk, /^[0-9a-f]{40}$/);
    assert.match(
      created.json.create_time,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/,
    );

    const listed = await p.call('GET', credentials, { token });
    assert.equal(listed.json.total, 2);
    assert.doesNotMatch(listed.text, new RegExp(created.json.sk));
    assert.deepEqual(
      listed.json.credentials.map((c: any) => [c.ak, c.live_tokens]),
      [
        [ak, 1],
        [created.json.ak, 0],
      ],
    );

    const third = await p.call('POST', credentials, { token });
    assert.equal(
      assertError(third, 409, ivm.conflict),
      'Cannot issue credential: the enterprise holds 2 already',
    );
  });

  it('credentials deleted make room for another pair and end the tokens of the pair', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    const second = await p.call('POST', credentials, { token });
    const pair = { ak: second.json.ak as string, sk: second.json.sk as string };
    const secondToken = await tokenOf(p, pair);

    const deleted = await p.call('DELETE', `${credentials}/${pair.ak}`, { token });

    assert.equal(deleted.status, 200, deleted.text);
    const refused = await p.call('GET', devices, { token: secondToken });
    assert.match(assertError(refused, 401, ivm.unauthenticated), /AK is no longer valid/);
    assertError(await p.login(pair), 401, ivm.unauthenticated);
    assert.equal((await p.call('POST', credentials, { token })).status, 200);
    const again = await p.call('DELETE', `${credentials}/${pair.ak}`, { token });
    assertError(again, 404, ivm.notFound);
  });
});

describe('operator API and accounts', () => {
  it('operator creates an enterprise whose AK/SK log in, and refuses a wrong key', async () => {
    const p = await platform();
    const headers = { 'Operator-Key': p.operatorKey };

    const created = await p.call('POST', '/operator/enterprises', {
      body: { name: 'Acme' },
      headers,
    });

    assert.equal(created.status, 200, created.text);
    const { user_id: acme, ak: acmeAk, sk: acmeSk } = created.json;
    const login = await p.login({ ak: acmeAk, sk: acmeSk }, undefined, acme);
    assert.equal(login.status, 200, login.text);
    const listed = await p.call('GET', '/operator/enterprises?limit=10', { headers });
    assert.equal(listed.json.total, 2);
    for (const key of ['', 'op-wrong']) {
      const refused = await p.call('GET', '/operator/enterprises', {
        headers: { 'Operator-Key': key },
      });
      assertError(refused, 401, ivm.unauthenticated);
    }
  });

  it('a personal account logs in with its password to a tenant of its own', async () => {
    const p = await platform();
    const created = await p.call('POST', '/operator/personal-accounts', {
      body: { login_name: 'carol', password: 'carol-password', name: 'Carol' },
      headers: { 'Operator-Key': p.operatorKey },
    });
    assert.equal(created.status, 200, created.text);

    const token = await p.loginAs('carol', 'carol-password');

    const own = await p.call('GET', `/v1/${created.json.user_id}/devices`, { token });
    assert.equal(own.status, 200, own.text);
    assertError(await p.call('GET', devices, { token }), 403, ivm.forbidden);
    const creds = await p.call('GET', `/v1/${created.json.user_id}/enterprises/credentials`, {
      token,
    });
    assertError(creds, 403, ivm.forbidden);
  });

  it('a common user reads and watches but manages nothing', async () => {
    const p = await platform();
    const admin = await tokenOf(p);
    const body = { login_name: 'dave', password: 'dave-password', name: 'Dave' };
    assert.equal((await p.call('POST', '/v1/{user_id}/users', { token: admin, body })).status, 200);
    const token = await p.loginAs('dave', 'dave-password');

    assert.equal((await p.call('GET', devices, { token })).status, 200);
    assert.equal((await p.call('GET', '/v1/{user_id}/device-orgs/tree', { token })).status, 200);
    const refused = [
      await p.call('GET', credentials, { token }),
      await p.call('POST', '/v1/{user_id}/users', { token, body: { ...body, login_name: 'x1' } }),
      await p.call('POST', '/v1/{user_id}/device-orgs', {
        token,
        body: { device_org_name: 'North', parent_org_id: '0' },
      }),
      await p.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
        token,
        body: {
          devices: [
            { device_id: '34020000001320000001', device_name: 'Cam', device_password: 'pw' },
          ],
        },
      }),
    ];
    for (const answer of refused) assertError(answer, 403, ivm.forbidden);
  });

  it('a department manager manages users and organisations of their department only', async () => {
    const p = await platform();
    const admin = await tokenOf(p);
    const org = (name: string, parent: string) =>
      p.call('POST', '/v1/{user_id}/device-orgs', {
        token: admin,
        body: { device_org_name: name, parent_org_id: parent },
      });
    const north = (await org('North', '0')).json.device_org_id as string;
    const south = (await org('South', '0')).json.device_org_id as string;
    await p.call('POST', '/v1/{user_id}/users', {
      token: admin,
      body: {
        login_name: 'erin',
        password: 'erin-password',
        name: 'Erin',
        role: 'DEPARTMENT_MANAGER',
        device_org_id: north,
      },
    });
    const token = await p.loginAs('erin', 'erin-password');
    const user = (login: string, orgId: string, role = 'COMMON_USER') =>
      p.call('POST', '/v1/{user_id}/users', {
        token,
        body: {
          login_name: login,
          password: 'password-1',
          name: login,
          role,
          device_org_id: orgId,
        },
      });

    assert.equal((await user('frank', north)).status, 200);
    assertError(await user('gina', south), 403, ivm.forbidden);
    assertError(await user('hank', north, 'ENTERPRISE_ADMIN'), 403, ivm.forbidden);
    const below = await p.call('POST', '/v1/{user_id}/device-orgs', {
      token,
      body: { device_org_name: 'Gate', parent_org_id: north },
    });
    assert.equal(below.status, 200, below.text);
    const outside = await p.call('PUT', `/v1/{user_id}/device-orgs/${south}`, {
      token,
      body: { device_org_name: 'Mine' },
    });
    assertError(outside, 403, ivm.forbidden);
    const listed = await p.call('GET', '/v1/{user_id}/users', { token });
    assert.deepEqual(listed.json.users.map((u: any) => u.login_name).sort(), ['erin', 'frank']);
  });
});

describe('/v1/{user_id}/device-orgs', () => {
  async function create(p: Platform, token: string, name: string, parent: string) {
    return p.call('POST', '/v1/{user_id}/device-orgs', {
      token,
      body: { device_org_name: name, parent_org_id: parent },
    });
  }

  it('device-orgs nest 9 levels with the root and refuse a tenth with 409', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    let parent = '0';
    for (let level = 2; level <= 9; level++) {
      const answer = await create(p, token, `Level ${level}`, parent);
      assert.equal(answer.status, 200, answer.text);
      parent = answer.json.device_org_id;
    }

    const tenth = await create(p, token, 'Level 10', parent);

    assert.match(assertError(tenth, 409, ivm.conflict), /at most 9 levels deep$/);
  });

  it('device-orgs list sub-orgs a page at a time, rename, search the tree by name', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    const north = (await create(p, token, 'North', '0')).json.device_org_id;
    await create(p, token, 'South', '0');
    const gate = (await create(p, token, 'Gate', north)).json.device_org_id;

    const page = await p.call('GET', '/v1/{user_id}/device-orgs/0/sub-orgs?limit=1&offset=1', {
      token,
    });
    assert.equal(page.json.total, 2);
    assert.deepEqual(
      page.json.device_orgs.map((o: any) => o.device_org_name),
      ['South'],
    );
    const renamed = await p.call('PUT', `/v1/{user_id}/device-orgs/${gate}`, {
      token,
      body: { device_org_name: 'Main gate' },
    });
    assert.equal(renamed.status, 200);
    const tree = await p.call('GET', '/v1/{user_id}/device-orgs/tree?device_org_name=GATE', {
      token,
    });
    assert.deepEqual(tree.json.device_orgs, [
      {
        device_org_id: north,
        device_org_name: 'North',
        parent_org_id: '0',
        level: 2,
        children: [
          {
            device_org_id: gate,
            device_org_name: 'Main gate',
            parent_org_id: north,
            level: 3,
            children: [],
          },
        ],
      },
    ]);
  });

  it('device-orgs refuse deleting an org with sub-orgs or users, delete it empty', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    const north = (await create(p, token, 'North', '0')).json.device_org_id;
    const gate = (await create(p, token, 'Gate', north)).json.device_org_id;
    await p.call('POST', '/v1/{user_id}/users', {
      token,
      body: { login_name: 'ivan', password: 'ivan-password', name: 'Ivan', device_org_id: gate },
    });

    const withChild = await p.call('DELETE', `/v1/{user_id}/device-orgs/${north}`, { token });
    assert.match(assertError(withChild, 409, ivm.conflict), /holds 1 sub-organisations$/);
    const withUser = await p.call('DELETE', `/v1/{user_id}/device-orgs/${gate}`, { token });
    assert.match(assertError(withUser, 409, ivm.conflict), /holds 1 users$/);

    await p.call('DELETE', '/v1/{user_id}/users/ivan', { token });
    assert.equal(
      (await p.call('DELETE', `/v1/{user_id}/device-orgs/${gate}`, { token })).status,
      200,
    );
    assert.equal(
      (await p.call('DELETE', `/v1/{user_id}/device-orgs/${north}`, { token })).status,
      200,
    );
    assertError(
      await p.call('DELETE', '/v1/{user_id}/device-orgs/0', { token }),
      409,
      ivm.conflict,
    );
  });
});

describe('API hygiene', () => {
  it('validation errors name each wrong field in the error body', async () => {
    const p = await platform();
    const token = await tokenOf(p);

    const answer = await p.call('POST', '/v1/{user_id}/device-orgs', {
      token,
      body: { device_org_name: '', parent_org_id: 'x' },
    });

    const message = assertError(answer, 400, ivm.validation);
    assert.match(message, /^Cannot accept request: device_org_name must .*; parent_org_id must be/);
  });

  it('paging takes limit 1000 and refuses 1001 on every list', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    const lists = [
      '/v1/{user_id}/devices',
      '/v1/{user_id}/users',
      '/v1/{user_id}/device-orgs/0/sub-orgs',
    ];

    for (const list of lists) {
      const ok = await p.call('GET', `${list}?limit=1000&offset=0`, { token });
      assert.equal(ok.status, 200, `${list}: ${ok.text}`);
      assert.equal(typeof ok.json.total, 'number');
      assertError(await p.call('GET', `${list}?limit=1001`, { token }), 400, ivm.validation);
    }
  });

  it('every answer carries X-Request-Id', async () => {
    const p = await platform();
    for (const path of ['/healthz', '/openapi.json', devices]) {
      const answer = await p.call('GET', path);
      assert.match(answer.headers.get('X-Request-Id') ?? '', /^[0-9a-f-]{36}$/);
    }
  });
});
