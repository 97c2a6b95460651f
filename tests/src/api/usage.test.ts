/**
 * Daily usage as specifications: StreamUsageRecorded events in the log, projected to
 * stream_usage, reported per day (UTC, or the days of a `time_zone`) in total and per
 * channel, with periods across midnight split in proportion, peak bandwidth summed over
 * concurrent calls; the tenant's route and the operator's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DeviceEvent, StreamUsage } from '../../../src/domain/device.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import { daysOf, usageDays } from '../../../src/read-models/usage-days.ts';
import { platform, start, userId, type Platform } from './control-plane-support.ts';

const cameraId = '34020000001320000001';
const lens1 = '34020000001310000001';
const lens2 = '34020000001310000002';

async function givenCamera(p: Platform) {
  const added: DeviceEvent = {
    type: 'DeviceAdded',
    data: { deviceId: cameraId, userId, name: 'Gate', password: 'pw', at: start.toISOString() },
  };
  await p.store.appendToStream(streamNames.device(cameraId), [
    { type: added.type, data: { ...added.data } },
  ]);
}

/** One usage period of `seconds` from `from` (ISO 8601) on call `callId`. */
async function givenUsage(
  p: Platform,
  fields: { callId: string; from: string; seconds: number; bytesIn: number; bytesOut: number },
  channelId = lens1,
) {
  const from = Date.parse(fields.from);
  const usage: StreamUsage = {
    deviceId: cameraId,
    channelId,
    callId: fields.callId,
    bytesIn: fields.bytesIn,
    viewers: [{ protocol: 'HTTP_FLV', bytesOut: fields.bytesOut, seconds: fields.seconds }],
    from: new Date(from).toISOString(),
    to: new Date(from + fields.seconds * 1000).toISOString(),
  };
  await p.store.appendToStream(streamNames.liveSession(fields.callId), [
    { type: 'StreamUsageRecorded', data: { ...usage } },
  ]);
}

async function tokenOf(p: Platform): Promise<string> {
  const answer = await p.login();
  assert.equal(answer.status, 200, answer.text);
  return answer.json.access_token as string;
}

const usagePath = (query: string) => `/v1/{user_id}/usage?${query}`;

describe('GET /v1/{user_id}/usage', () => {
  it('splits a period across midnight UTC between the two days, in proportion', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenCamera(p);
    await givenUsage(p, {
      callId: 'call-1',
      from: '2024-05-01T23:59:30Z',
      seconds: 60,
      bytesIn: 6000,
      bytesOut: 12000,
    });
    await p.runner.catchUp();

    const answer = await p.call(
      'GET',
      usagePath('start_time=2024-05-01T00:00:00Z&end_time=2024-05-03T00:00:00Z'),
      {
        token,
      },
    );

    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.json.days.map((d: Record<string, unknown>) => [
        d['date'],
        d['bytes_in'],
        d['bytes_out'],
      ]),
      [
        ['2024-05-01', 3000, 6000],
        ['2024-05-02', 3000, 6000],
      ],
    );
    const [first] = answer.json.days;
    assert.equal(first.peak_bandwidth_in, 800);
    assert.equal(first.peak_bandwidth_out, 1600);
    assert.equal(first.average_bandwidth_in, Math.round((3000 * 8) / 86400));
    assert.equal(first.start_time, '2024-05-01T00:00:00.000+00:00');
    assert.equal(first.end_time, '2024-05-02T00:00:00.000+00:00');
    assert.deepEqual(
      answer.json.channels.map((c: Record<string, unknown>) => [c['device_id'], c['channel_id']]),
      [[cameraId, lens1]],
    );
  });

  it('counts days from midnight in time_zone where one is given', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenCamera(p);
    // 15:59:30Z–16:00:30Z is 23:59:30–00:00:30 in UTC+8.
    await givenUsage(p, {
      callId: 'call-1',
      from: '2024-05-01T15:59:30Z',
      seconds: 60,
      bytesIn: 6000,
      bytesOut: 0,
    });
    await givenUsage(p, {
      callId: 'call-2',
      from: '2024-05-01T10:00:00Z',
      seconds: 60,
      bytesIn: 1000,
      bytesOut: 0,
    });
    await p.runner.catchUp();

    const query = 'start_time=2024-05-01T00:00:00&end_time=2024-05-03T00:00:00&time_zone=%2B08:00';
    const answer = await p.call('GET', usagePath(query), { token });

    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.json.days.map((d: Record<string, unknown>) => [d['date'], d['bytes_in']]),
      [
        ['2024-05-01', 4000],
        ['2024-05-02', 3000],
      ],
    );
    assert.equal(answer.json.start_time, '2024-05-01T00:00:00.000+08:00');
  });

  it('sums concurrent calls into the peak, but not periods that follow each other', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    await givenCamera(p);
    const period = { seconds: 60, bytesIn: 7500, bytesOut: 0 };
    await givenUsage(p, { ...period, callId: 'call-1', from: '2024-05-01T08:00:00Z' });
    await givenUsage(p, { ...period, callId: 'call-1', from: '2024-05-01T08:01:00Z' });
    await givenUsage(p, { ...period, callId: 'call-2', from: '2024-05-01T08:00:30Z' }, lens2);
    await p.runner.catchUp();

    const range = 'start_time=2024-05-01T00:00:00Z&end_time=2024-05-02T00:00:00Z';
    const all = await p.call('GET', usagePath(range), { token });
    const one = await p.call('GET', usagePath(`${range}&channel_id=${lens1}`), { token });

    // 7500 bytes a minute is 1000 bit/s; two calls at once, 2000.
    assert.equal(all.json.days[0].peak_bandwidth_in, 2000);
    assert.equal(all.json.days[0].bytes_in, 22500);
    assert.equal(all.json.channels.length, 2);
    assert.equal(one.json.days[0].peak_bandwidth_in, 1000);
    assert.equal(one.json.days[0].bytes_in, 15000);
  });

  it('refuses a range longer than 31 days and an end before the start', async () => {
    const p = await platform();
    const token = await tokenOf(p);
    const long = await p.call(
      'GET',
      usagePath('start_time=2024-05-01T00:00:00Z&end_time=2024-06-02T00:00:00Z'),
      { token },
    );
    const backwards = await p.call(
      'GET',
      usagePath('start_time=2024-05-02T00:00:00Z&end_time=2024-05-01T00:00:00Z'),
      { token },
    );
    const missing = await p.call('GET', usagePath('start_time=2024-05-02T00:00:00Z'), { token });

    assert.equal(long.status, 400);
    assert.match(long.json.error_msg, /longer than 31 days/);
    assert.equal(backwards.status, 400);
    assert.match(backwards.json.error_msg, /end_time must be after start_time/);
    assert.equal(missing.status, 400);
    assert.match(missing.json.error_msg, /end_time/);
  });

  it("GET /operator/usage reads any tenant's usage with the operator key only", async () => {
    const p = await platform();
    await givenCamera(p);
    await givenUsage(p, {
      callId: 'call-1',
      from: '2024-05-01T08:00:00Z',
      seconds: 60,
      bytesIn: 100,
      bytesOut: 200,
    });
    await p.runner.catchUp();
    const query = `user_id=${userId}&start_time=2024-05-01T00:00:00Z&end_time=2024-05-02T00:00:00Z`;

    const answer = await p.call('GET', `/operator/usage?${query}`, {
      headers: { 'Operator-Key': p.operatorKey },
    });
    const refused = await p.call('GET', `/operator/usage?${query}`);

    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.user_id, userId);
    assert.equal(answer.json.days[0].bytes_out, 200);
    assert.equal(refused.status, 401);
  });
});

describe('usage days', () => {
  it('daysOf clips the first and last day to the range', () => {
    const days = daysOf(new Date('2024-05-01T12:00:00Z'), new Date('2024-05-02T06:00:00Z'), 0);
    assert.deepEqual(
      days.map((d) => [d.date, d.from.toISOString(), d.to.toISOString()]),
      [
        ['2024-05-01', '2024-05-01T12:00:00.000Z', '2024-05-02T00:00:00.000Z'],
        ['2024-05-02', '2024-05-02T00:00:00.000Z', '2024-05-02T06:00:00.000Z'],
      ],
    );
  });

  it('usageDays counts only the part of a period inside the range', () => {
    const period = {
      deviceId: cameraId,
      channelId: lens1,
      direction: 'OUT' as const,
      from: '2024-05-01T11:59:00Z',
      to: '2024-05-01T12:01:00Z',
      bytes: 1200,
    };
    const range = {
      from: new Date('2024-05-01T12:00:00Z'),
      to: new Date('2024-05-02T00:00:00Z'),
      offsetMinutes: 0,
    };
    const { days } = usageDays([period], range);
    assert.equal(days[0]?.bytesOut, 600);
    assert.equal(days[0]?.averageOut, Math.round((600 * 8) / (12 * 3600)));
  });
});
