/**
 * Alarms as specifications: the Notify Alarm read with any subset of its fields, the decider
 * (device time → ISO 8601 with offset), the projection on real SQLite (owner from DeviceAdded,
 * newest first, a retransmission once) and the `device_alarm` message it makes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseManscdp } from '../../../media-node/formats/manscdp.ts';
import { buildAlarmResponse, readAlarmNotify } from '../../../media-node/formats/manscdp-alarm.ts';
import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { alarmStreamName, decideAlarm } from '../../../src/domain/alarm.ts';
import { decideAddDevice, initialDevice } from '../../../src/domain/device.ts';
import { isoWithOffset, parseLocalTime } from '../../../src/domain/local-time.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { messageOf } from '../../../src/fanout/messages.ts';
import { alarmProjection } from '../../../src/projections/alarm-projection.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { listAlarms } from '../../../src/read-models/alarm-queries.ts';

const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';
const utf8 = (text: string) => new TextEncoder().encode(text);

/** A Notify Alarm as a Hikvision NVR writes it (GB/T 28181-2016 §A.2.5.4). */
const FULL = `<?xml version="1.0" encoding="UTF-8"?>
<Notify>
<CmdType>Alarm</CmdType>
<SN>17</SN>
<DeviceID>${channelId}</DeviceID>
<AlarmPriority>1</AlarmPriority>
<AlarmMethod>5</AlarmMethod>
<AlarmTime>2026-03-01T08:30:05</AlarmTime>
<AlarmDescription>周界入侵</AlarmDescription>
<Longitude>116.397</Longitude>
<Latitude>39.909</Latitude>
<Info>
<AlarmType>2</AlarmType>
<AlarmTypeParam><EventType>1</EventType></AlarmTypeParam>
</Info>
</Notify>`;

describe('readAlarmNotify', () => {
  it('readAlarmNotify reads every field of a full alarm', () => {
    assert.deepEqual(readAlarmNotify(parseManscdp(utf8(FULL))), {
      sourceId: channelId,
      sn: 17,
      priority: 1,
      method: 5,
      type: 2,
      eventType: 1,
      time: '2026-03-01T08:30:05',
      longitude: 116.397,
      latitude: 39.909,
      description: '周界入侵',
    });
  });

  it('readAlarmNotify leaves out what is missing, empty, "null" or unreadable', () => {
    const body =
      `<Notify><CmdType>Alarm</CmdType><SN>3</SN><DeviceID>${deviceId}</DeviceID>` +
      '<AlarmPriority>null</AlarmPriority><AlarmMethod></AlarmMethod>' +
      '<Longitude>999</Longitude><AlarmTime>soon</AlarmTime></Notify>';
    assert.deepEqual(readAlarmNotify(parseManscdp(utf8(body))), {
      sourceId: deviceId,
      sn: 3,
      time: 'soon',
    });
  });

  it('readAlarmNotify refuses another message, and the answer is a Response Alarm OK', () => {
    const keepalive =
      '<Notify><CmdType>Keepalive</CmdType><SN>1</SN>' +
      `<DeviceID>${deviceId}</DeviceID></Notify>`;
    assert.throws(() => readAlarmNotify(parseManscdp(utf8(keepalive))), /Cannot read Alarm/);
    const answer = parseManscdp(buildAlarmResponse(17, channelId));
    assert.deepEqual(
      [answer.root, answer.cmdType, answer.sn, answer.deviceId, answer.fields['Result']],
      ['Response', 'Alarm', 17, channelId, 'OK'],
    );
  });
});

describe('decideAlarm', () => {
  const receivedAt = new Date('2026-03-01T00:31:00.000Z');

  it("decideAlarm reads a zone-less device time in the devices' zone, answering the offset", () => {
    const report = readAlarmNotify(parseManscdp(utf8(FULL)));
    const [event] = decideAlarm({
      alarmId: 'a1',
      deviceId,
      report,
      receivedAt,
      offsetMinutes: 480,
    });
    assert.equal(event?.data.alarmTime, '2026-03-01T08:30:05.000+08:00');
    assert.equal(event?.data.channelId, channelId);
    assert.equal(event?.data.deviceTime, undefined);
  });

  it('decideAlarm keeps an unreadable time as written and dates the alarm when received', () => {
    const [event] = decideAlarm({
      alarmId: 'a2',
      deviceId,
      report: { sourceId: deviceId, time: '2026-02-30T25:00:00' },
      receivedAt,
      offsetMinutes: -300,
    });
    assert.deepEqual(event?.data, {
      alarmId: 'a2',
      deviceId,
      channelId: deviceId,
      alarmTime: '2026-02-28T19:31:00.000-05:00',
      deviceTime: '2026-02-30T25:00:00',
      receivedAt: receivedAt.toISOString(),
    });
  });

  it('parseLocalTime honours an explicit offset and isoWithOffset writes one', () => {
    assert.equal(
      parseLocalTime('2026-03-01T08:00:00Z', 480)?.toISOString(),
      '2026-03-01T08:00:00.000Z',
    );
    assert.equal(
      parseLocalTime('2026-03-01 08:00:00+0100', 480)?.toISOString(),
      '2026-03-01T07:00:00.000Z',
    );
    assert.equal(parseLocalTime('2026-13-01T08:00:00', 480), undefined);
    assert.equal(
      isoWithOffset(new Date('2026-03-01T00:00:00Z'), 330),
      '2026-03-01T05:30:00.000+05:30',
    );
  });
});

describe('alarm projection and message', () => {
  it('alarms are listed per enterprise newest first, repeats once, as device_alarm', async () => {
    const db = await openSqliteDatabase(':memory:');
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    const at = new Date('2026-03-01T00:00:00Z');
    const added = decideAddDevice(initialDevice(deviceId), {
      userId: 'tenant-1',
      name: 'NVR',
      password: 'x',
      at,
    });
    await store.appendToStream(
      streamNames.device(deviceId),
      added.map((e) => ({ type: e.type, data: { ...e.data } })),
    );
    const report = readAlarmNotify(parseManscdp(utf8(FULL)));
    const alarm = (alarmId: string, time: string, source = deviceId) =>
      decideAlarm({
        alarmId,
        deviceId: source,
        report: { ...report, time },
        receivedAt: at,
        offsetMinutes: 480,
      }).map((e) => ({ id: alarmId, type: e.type, data: { ...e.data } }));
    await store.appendToStream(alarmStreamName(deviceId), alarm('old', '2026-03-01T08:00:00'));
    await store.appendToStream(alarmStreamName(deviceId), alarm('new', '2026-03-01T09:00:00'));
    await store.appendToStream(alarmStreamName(deviceId), alarm('old', '2026-03-01T08:00:00'));
    // An alarm of a device never added belongs to no one.
    const stray = '34020000001320000999';
    await store.appendToStream(
      alarmStreamName(stray),
      alarm('stray', '2026-03-01T10:00:00', stray),
    );

    await new ProjectionRunner({
      db,
      dialect: 'sqlite',
      store,
      projections: [alarmProjection],
    }).catchUp();
    const page = { limit: 10, offset: 0 };
    const listed = await listAlarms(db, 'tenant-1', {}, page);
    assert.equal(listed.total, 2);
    assert.deepEqual(
      listed.rows.map((r) => r.alarm_id),
      ['new', 'old'],
    );
    assert.equal(listed.rows[0]?.description, '周界入侵');
    const ranged = await listAlarms(
      db,
      'tenant-1',
      { from: new Date('2026-03-01T00:30:00Z'), to: new Date('2026-03-01T01:00:00Z') },
      page,
    );
    assert.deepEqual(
      ranged.rows.map((r) => r.alarm_id),
      ['new'],
    );
    assert.equal((await listAlarms(db, 'tenant-2', {}, page)).total, 0);

    const [recorded] = await store.readStream(alarmStreamName(deviceId));
    assert.ok(recorded !== undefined);
    const message = messageOf(recorded);
    assert.equal(message?.messageType, 'device_alarm');
    assert.equal(message?.deviceId, deviceId);
    assert.equal(message?.data['alarm_time'], '2026-03-01T08:00:00.000+08:00');
    assert.equal(message?.data['channel_id'], channelId);
    await db.destroy();
  });
});
