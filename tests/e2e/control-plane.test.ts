/**
 * The control plane on the real API process: the operator key printed once on first start
 * creates an enterprise, whose AK/SK logs in (2 live tokens at most) and builds its
 * organisation tree; the OpenAPI document and its page are served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Platform } from '../support/platform.ts';

describe('control plane end to end', () => {
  const platform = new Platform();
  let operatorKey = '';

  before(async () => {
    await platform.start();
    const line = platform.api.lines.find((l) => l.includes('Operator key'));
    operatorKey = /(op-[0-9a-f]+)/.exec(line ?? '')?.[1] ?? '';
  });
  after(async () => {
    await platform.stop();
    platform.removeData();
  });

  it('the first start prints the operator key once', () => {
    assert.match(operatorKey, /^op-[0-9a-f]{48}$/);
  });

  it('an enterprise the operator creates logs in, holds 2 tokens and builds its tree', async () => {
    const created = await platform.request(
      'POST',
      '/operator/enterprises',
      { name: 'Acme' },
      { 'Operator-Key': operatorKey },
    );
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const { user_id: acme, ak, sk } = created.json;

    const login = (force?: boolean) =>
      platform.request('POST', `/v2/${acme}/enterprises/access-token`, {
        ak,
        sk,
        ...(force === undefined ? {} : { force_update: force }),
      });
    const first = await login();
    assert.equal(first.status, 200);
    assert.equal((await login()).status, 200);
    assert.equal((await login()).status, 409);
    const forced = await login(true);
    assert.equal(forced.status, 200);

    const token = { 'Access-Token': forced.json.access_token as string };
    const org = await platform.request(
      'POST',
      `/v1/${acme}/device-orgs`,
      { device_org_name: 'North', parent_org_id: '0' },
      token,
    );
    assert.equal(org.status, 200, JSON.stringify(org.json));
    const tree = await platform.request('GET', `/v1/${acme}/device-orgs/tree`, undefined, token);
    assert.deepEqual(
      tree.json.device_orgs.map((o: any) => o.device_org_name),
      ['North'],
    );
    const evicted = await platform.request('GET', `/v1/${acme}/devices`, undefined, {
      'Access-Token': first.json.access_token,
    });
    assert.equal(evicted.status, 401);
  });

  it('openapi.json and the docs page are served', async () => {
    const doc = await platform.request('GET', '/openapi.json');
    assert.equal(doc.json.openapi, '3.1.0');
    assert.ok('/v1/{user_id}/device-orgs' in doc.json.paths);
    const page = await fetch(`${platform.apiUrl}/docs`);
    assert.match(await page.text(), /Argus northbound API/);
  });
});
