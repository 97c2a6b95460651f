/**
 * Alarms in and out through the real processes: a simulated camera sends Notify Alarm with
 * different subsets of its fields; each is answered with a Response Alarm (Result OK), listed
 * by `GET /v1/{user_id}/alarms` newest first with its device time as ISO 8601 with an offset,
 * and delivered to a callback receiver on loopback as a `device_alarm` message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { parseLocalTime } from '../../src/domain/local-time.ts';
import { channelIdAt } from '../../simulator/catalog-fleet.ts';
import { startCallbackReceiver, type CallbackReceiver } from '../support/callback-receiver.ts';
import { Platform } from '../support/platform.ts';
import { eventually, RunningProcess } from '../support/processes.ts';
import { isEvent } from '../support/simulator.ts';

const deviceId = '34020000001320000501';
const password = 'alarm-pass-1';
/** The description the simulator's full alarm carries (GB2312 on the wire). */
const intrusion = '仓库区域入侵报警';

describe('alarms end to end', () => {
  const platform = new Platform({
    env: { ARGUS_CALLBACK_ALLOW_PRIVATE: 'true', ARGUS_LOG_LEVEL: 'info' },
  });
  let receiver: CallbackReceiver;
  let camera: RunningProcess | undefined;

  before(async () => {
    receiver = await startCallbackReceiver('/alarms');
    await platform.start();
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
    receiver.server.close();
  });

  it('device alarms are answered, listed newest first and pushed as device_alarm', async () => {
    const registered = await platform.call('POST', '/v1/{user_id}/messages/callback', {
      callback_url: receiver.url,
      subscription_type: 'DEVICE_ALARM',
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.json));
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'Alarm', device_password: password }],
    });
    camera = new RunningProcess(
      'simulator/cli.ts',
      [
        ...['--server', `127.0.0.1:${platform.sipPort}`, '--device-id', deviceId],
        ...['--password', password, '--channels', '2', '--alarm-every', '0.5'],
      ],
      {},
    );
    await camera.waitFor(isEvent('registered'));
    // Four alarms: every field, DeviceID only, priority and time, method/type/description.
    await camera.waitFor((l) => l['event'] === 'alarm_sent' && l['variant'] === 'method-type');
    const answered = await camera.waitFor(isEvent('alarm_answered'));
    assert.equal(answered['result'], 'OK');
    const sent = camera.json().filter(isEvent('alarm_sent')).slice(0, 4);
    assert.ok(
      sent.every((line) => line['status'] === 200),
      JSON.stringify(sent),
    );

    const listed = await eventually(
      async () => {
        const { json } = await platform.call('GET', `/v1/{user_id}/alarms?device_id=${deviceId}`);
        return json.total >= 4 ? json : undefined;
      },
      15_000,
      'four alarms listed',
    );
    const alarms = listed.alarms as Record<string, unknown>[];
    const times = alarms.map((a) => Date.parse(String(a['alarm_time'])));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    for (const alarm of alarms) assert.match(String(alarm['alarm_time']), /[+-]\d\d:\d\d$/);

    const full = alarms.find((a) => a['alarm_description'] === intrusion);
    const fullSent = sent.find((l) => l['variant'] === 'full');
    assert.ok(full !== undefined && fullSent !== undefined);
    assert.equal(full['channel_id'], channelIdAt(deviceId, 0));
    assert.deepEqual(
      [full['alarm_priority'], full['alarm_method'], full['alarm_type'], full['event_type']],
      [1, 5, 2, 1],
    );
    assert.deepEqual([full['longitude'], full['latitude']], [116.397, 39.909]);
    const deviceTime = parseLocalTime(String(fullSent['time']), -new Date().getTimezoneOffset());
    assert.equal(Date.parse(String(full['alarm_time'])), deviceTime?.getTime());

    const bare = alarms.find((a) => a['channel_id'] === deviceId);
    assert.equal(bare?.['alarm_priority'], null);
    assert.equal(bare?.['alarm_description'], null);

    const byChannel = await platform.call(
      'GET',
      `/v1/{user_id}/alarms?channel_id=${deviceId}&limit=10&offset=0`,
    );
    assert.ok(
      (byChannel.json.alarms as Record<string, unknown>[]).every(
        (a) => a['channel_id'] === deviceId,
      ),
    );
    const future = await platform.call(
      'GET',
      `/v1/{user_id}/alarms?start_time=2999-01-01T00:00:00`,
    );
    assert.equal(future.json.total, 0);

    const pushed = await eventually(
      async () => {
        const found = receiver.received
          .map((r) => r.json)
          .filter((m) => !m.test && m.message_type === 'device_alarm');
        return found.length >= 4 ? found : undefined;
      },
      15_000,
      'device_alarm messages',
    );
    const pushedFull = pushed.find((m) => m.data['alarm_description'] === intrusion);
    assert.equal(pushedFull?.data['device_id'], deviceId);
    assert.equal(pushedFull?.data['alarm_time'], full['alarm_time']);
    assert.equal(pushedFull?.data['alarm_id'], full['alarm_id']);
  });

  it('refuses a time that is not a time, naming the field', async () => {
    const { status, json } = await platform.call('GET', '/v1/{user_id}/alarms?end_time=yesterday');
    assert.equal(status, 400);
    assert.match(json.error_msg, /end_time/);
  });
});
