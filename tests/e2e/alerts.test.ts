/**
 * User alerts through the real processes: two users of the enterprise sign in and follow
 * `GET /v1/{user_id}/alerts/stream` over HTTP while a simulated camera reports an alarm every
 * half second. Each user's alerts come at most one per their window, and once the camera
 * stops, every alarm it reported is either an alert's `first_alarm` or counted in a
 * `suppressed_count`: none is dropped, none is counted twice, also across a restart of the
 * API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Platform } from '../support/platform.ts';
import { eventually, RunningProcess } from '../support/processes.ts';

const deviceId = '34020000001320000601';
const password = 'alert-pass-1';

interface Alert {
  alert_id: string;
  alert_type: 'alarm' | 'summary';
  first_alarm: { alarm_id: string; device_id: string };
  suppressed_count: number;
  by_device: Record<string, number>;
  window_start: string;
  window_end: string;
}

/** Follows a user's alert stream in the background, collecting the alerts. */
function follow(platform: Platform, token: string, after?: number) {
  const alerts: Alert[] = [];
  const stop = new AbortController();
  const query = after === undefined ? '' : `?after=${after}`;
  const opened = fetch(`${platform.apiUrl}/v1/${platform.userId}/alerts/stream${query}`, {
    headers: { 'Access-Token': token },
    signal: stop.signal,
  });
  const done = (async () => {
    const response = await opened;
    assert.equal(response.status, 200);
    let buffer = '';
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((line) => line.startsWith('data: '));
        if (data !== undefined) alerts.push(JSON.parse(data.slice(6)) as Alert);
        buffer = buffer.slice(end + 2);
      }
    }
  })().catch((error: unknown) => {
    if (!stop.signal.aborted) throw error;
  });
  return { alerts, opened, close: async () => (stop.abort(), await done) };
}

/** Alarms accounted for by a user's alerts. */
const accounted = (alerts: readonly Alert[]) =>
  alerts.reduce((sum, a) => sum + a.suppressed_count + (a.alert_type === 'alarm' ? 1 : 0), 0);

describe('user alerts end to end', () => {
  const platform = new Platform({ env: { ARGUS_LOG_LEVEL: 'info' } });
  let camera: RunningProcess | undefined;

  /** The simulated camera, reporting an alarm every half second once registered. */
  function startCamera(): RunningProcess {
    return new RunningProcess(
      'simulator/cli.ts',
      [
        ...['--server', `127.0.0.1:${platform.sipPort}`, '--device-id', deviceId],
        ...['--password', password, '--alarm-every', '0.5'],
      ],
      {},
    );
  }

  before(() => platform.start());
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  it('throttles each user by their window and drops no alarm, across an API restart', async () => {
    const tokens: Record<string, string> = {};
    for (const [name, windowS] of [
      ['alice', 3],
      ['bob', 1],
    ] as const) {
      const body = { login_name: name, password: 'password-0001', name };
      assert.equal((await platform.call('POST', '/v1/{user_id}/users', body)).status, 200);
      const login = await platform.request('POST', '/v2/users/access-token', body);
      tokens[name] = login.json.access_token as string;
      const settings = await platform.request(
        'PUT',
        `/v1/{user_id}/users/${name}/alert-settings`,
        { alert_window_s: windowS },
        { 'Access-Token': tokens[name] },
      );
      assert.equal(settings.status, 200, JSON.stringify(settings.json));
    }
    const alice = follow(platform, tokens['alice']!);
    const bob = follow(platform, tokens['bob']!);
    await Promise.all([alice.opened, bob.opened]);

    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Alarm', device_password: password }],
    });
    camera = startCamera();
    await eventually(async () => (alice.alerts.length >= 2 ? true : undefined), 20_000, '2 alerts');
    await camera.stop('SIGKILL');
    camera = undefined;

    const listed = async () =>
      (await platform.call('GET', `/v1/{user_id}/alarms?device_id=${deviceId}&limit=1`)).json
        .total as number;
    const total = await eventually(
      async () => {
        const count = await listed();
        const all = [alice, bob].every((user) => accounted(user.alerts) === count);
        return count > 0 && all ? count : undefined;
      },
      20_000,
      'every alarm alerted or counted',
    );
    await Promise.all([alice.close(), bob.close()]);

    for (const [user, windowMs] of [
      [alice, 3000],
      [bob, 1000],
    ] as const) {
      const starts = user.alerts.map((a) => Date.parse(a.window_start));
      for (let i = 1; i < starts.length; i++) {
        assert.ok(starts[i]! - starts[i - 1]! >= windowMs, `alerts a window apart: ${starts}`);
      }
      assert.equal(user.alerts[0]?.first_alarm.device_id, deviceId);
      assert.equal(user.alerts[0]?.suppressed_count, 0);
    }
    assert.ok(bob.alerts.length > alice.alerts.length, 'the shorter window alerts more often');
    assert.ok(alice.alerts.length < total, 'alarms were held back');

    // After a restart the loop goes on from its position: alarms reported since are alerted
    // or counted, and none from before is alerted again (the count would then exceed them).
    await platform.api.stop('SIGTERM');
    platform.api = new RunningProcess('workers/node/server.ts', [], platform.env);
    const listening = await platform.api.waitFor((l) => l['msg'] === 'api listening', 30_000);
    platform.apiUrl = `http://127.0.0.1:${String(listening['port'])}`;
    camera = startCamera();
    await eventually(async () => ((await listed()) > total ? true : undefined), 20_000, 'alarms');
    await camera.stop('SIGKILL');
    camera = undefined;
    const resumed = follow(platform, tokens['alice']!, 0);
    await eventually(
      async () => {
        const count = await listed();
        return accounted(resumed.alerts) === count ? true : undefined;
      },
      20_000,
      'every alarm since the restart alerted or counted once',
    );
    await resumed.close();
    assert.deepEqual(
      resumed.alerts.slice(0, alice.alerts.length).map((a) => a.alert_id),
      alice.alerts.map((a) => a.alert_id),
    );
  });
});
