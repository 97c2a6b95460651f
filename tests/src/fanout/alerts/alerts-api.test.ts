/**
 * User alerts through the real app: users of one enterprise sign in, open
 * `GET /v1/{user_id}/alerts/stream`, and the alert loop (its clock injected) turns the alarms
 * appended meanwhile into alerts on each stream, throttled by each user's window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AlertLoop } from '../../../../src/fanout/alerts/alert-loop.ts';
import { withAlertTables } from '../../../../src/fanout/alerts/alert-tables.ts';
import { silentLogger } from '../../../../src/logger.ts';
import { platform, type Platform } from '../../api/control-plane-support.ts';
import { addDevice, appendAlarms, at, readFrames, start } from './support.ts';

const camera = '34020000001320000001';
const deptCamera = '34020000001320000002';
const foreign = '34020000001320000009';
const otherTenant = '100000000000000002';
const password = 'password-0001';

async function adminToken(p: Platform): Promise<string> {
  const answer = await p.login();
  assert.equal(answer.status, 200, answer.text);
  return answer.json.access_token as string;
}

async function createUser(p: Platform, token: string, body: Record<string, unknown>) {
  const answer = await p.call('POST', '/v1/{user_id}/users', {
    token,
    body: { password, name: String(body['login_name']), ...body },
  });
  assert.equal(answer.status, 200, answer.text);
  return p.loginAs(String(body['login_name']), password);
}

function openStream(p: Platform, token: string, headers: Record<string, string> = {}) {
  return p.app.request(`/v1/${'100000000000000001'}/alerts/stream`, {
    headers: { 'Access-Token': token, ...headers },
  });
}

async function alertCount(p: Platform, recipient: string): Promise<number> {
  const rows = await withAlertTables(p.db)
    .selectFrom('alerts')
    .select('alert_seq')
    .where('recipient_id', '=', `100000000000000001/${recipient}`)
    .execute();
  return rows.length;
}

describe('GET /v1/{user_id}/alerts/stream', () => {
  it('for 20 alarms in 10 s a 20 s user gets one alert and a summary, a 5 s user two', async () => {
    const p = await platform();
    const admin = await adminToken(p);
    const alice = await createUser(p, admin, { login_name: 'alice' });
    const bob = await createUser(p, admin, { login_name: 'bob' });
    const settings = await p.call('PUT', '/v1/{user_id}/users/bob/alert-settings', {
      token: bob,
      body: { alert_window_s: 5 },
    });
    assert.equal(settings.status, 200, settings.text);
    assert.deepEqual(settings.json, {
      alert_window_s: 5,
      source: 'user',
      web_push: { enabled: false, subscriptions: 0 },
    });
    await addDevice(p.store, camera, '100000000000000001');
    await addDevice(p.store, foreign, otherTenant);
    await p.runner.catchUp();

    const aliceStream = await openStream(p, alice);
    const bobStream = await openStream(p, bob);
    const aliceFrames = readFrames(aliceStream, 2);
    const bobFrames = readFrames(bobStream, 3);

    await appendAlarms(p.store, camera, 20, 500);
    await appendAlarms(p.store, foreign, 5, 500);
    const clock = { now: at(10_000) };
    const loop = new AlertLoop({
      db: p.db,
      dialect: 'sqlite',
      store: p.store,
      logger: silentLogger,
      now: () => clock.now,
    });
    await loop.runOnce();
    clock.now = at(30_000);
    await loop.runOnce();

    const forAlice = (await aliceFrames).map((frame) => frame.data);
    assert.deepEqual(
      forAlice.map((a) => [a.alert_type, a.first_alarm.alarm_id, a.suppressed_count]),
      [
        ['alarm', `${camera}-0`, 0],
        ['summary', `${camera}-500`, 19],
      ],
    );
    assert.deepEqual(forAlice[1].by_device, { [camera]: 19 });
    assert.equal(forAlice[0].window_start, start.toISOString());
    assert.equal(forAlice[0].window_end, at(20_000).toISOString());
    const forBob = (await bobFrames).map((frame) => frame.data);
    assert.deepEqual(
      forBob.map((a) => [a.alert_type, a.first_alarm.alarm_id, a.suppressed_count]),
      [
        ['alarm', `${camera}-0`, 0],
        ['alarm', `${camera}-5000`, 9],
        ['summary', `${camera}-5500`, 9],
      ],
    );
    assert.equal(await alertCount(p, 'alice'), 2);
    assert.equal(await alertCount(p, 'bob'), 3);
  });

  it('resumes from Last-Event-ID without a repeat', async () => {
    const p = await platform();
    const admin = await adminToken(p);
    const alice = await createUser(p, admin, { login_name: 'alice' });
    await addDevice(p.store, camera, '100000000000000001');
    const first = readFrames(await openStream(p, alice), 1);
    const clock = { now: at(0) };
    const loop = new AlertLoop({
      ...{ db: p.db, dialect: 'sqlite', store: p.store, logger: silentLogger },
      now: () => clock.now,
    });
    await appendAlarms(p.store, camera, 1, 0, 0);
    await loop.runOnce();
    const [seen] = await first;

    await appendAlarms(p.store, camera, 1, 0, 60_000);
    clock.now = at(60_000);
    await loop.runOnce();
    const resumed = await readFrames(await openStream(p, alice, { 'Last-Event-ID': seen!.id! }), 1);
    assert.equal(resumed[0]?.data.first_alarm.alarm_id, `${camera}-60000`);
    assert.equal(Number(resumed[0]?.id), Number(seen!.id) + 1);
  });

  it('alerts a department manager only of devices in their department', async () => {
    const p = await platform();
    const admin = await adminToken(p);
    const org = await p.call('POST', '/v1/{user_id}/device-orgs', {
      token: admin,
      body: { device_org_name: 'Gate', parent_org_id: '0' },
    });
    assert.equal(org.status, 200, org.text);
    const orgId = String(org.json.device_org_id);
    const carol = await createUser(p, admin, {
      login_name: 'carol',
      role: 'DEPARTMENT_MANAGER',
      device_org_id: orgId,
    });
    await addDevice(p.store, camera, '100000000000000001');
    await addDevice(p.store, deptCamera, '100000000000000001', orgId);
    await p.runner.catchUp();
    const frames = readFrames(await openStream(p, carol), 1);

    await appendAlarms(p.store, camera, 3, 100);
    await appendAlarms(p.store, deptCamera, 1, 0, 1000);
    const loop = new AlertLoop({
      ...{ db: p.db, dialect: 'sqlite', store: p.store, logger: silentLogger },
      now: () => at(60_000),
    });
    await loop.runOnce();

    const [alert] = await frames;
    assert.equal(alert?.data.first_alarm.device_id, deptCamera);
    assert.equal(alert?.data.suppressed_count, 0);
    assert.equal(await alertCount(p, 'carol'), 1);
  });

  it('lets only the user or an admin change their settings, and admins the default', async () => {
    const p = await platform();
    const admin = await adminToken(p);
    const alice = await createUser(p, admin, { login_name: 'alice' });
    await createUser(p, admin, { login_name: 'bob' });

    const refused = await p.call('PUT', '/v1/{user_id}/users/bob/alert-settings', {
      token: alice,
      body: { alert_window_s: 5 },
    });
    assert.equal(refused.status, 403, refused.text);
    const tenantDefault = await p.call('PUT', '/v1/{user_id}/alert-settings', {
      token: admin,
      body: { alert_window_s: 60 },
    });
    assert.equal(tenantDefault.status, 200, tenantDefault.text);
    const bob = await p.call('GET', '/v1/{user_id}/users/bob/alert-settings', { token: admin });
    assert.equal(bob.json.alert_window_s, 60);
    assert.equal(bob.json.source, 'tenant');
    const notAdmin = await p.call('PUT', '/v1/{user_id}/alert-settings', {
      token: alice,
      body: { alert_window_s: 1 },
    });
    assert.equal(notAdmin.status, 403);
    const invalid = await p.call('PUT', '/v1/{user_id}/users/alice/alert-settings', {
      token: alice,
      body: { alert_window_s: 0 },
    });
    assert.equal(invalid.status, 400);
    assert.match(invalid.json.error_msg, /alert_window_s/);
  });
});
