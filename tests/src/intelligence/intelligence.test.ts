/**
 * The intelligence data decider as given recorded data → command → events or error, and the
 * event id that makes a repeated `data_id` one event in the store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import {
  decideIntelligenceData,
  intelligenceEventId,
  intelligenceStreamName,
  type ReportIntelligenceData,
} from '../../../src/domain/intelligence.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';

const deviceId = '34020000001320000001';
const report: ReportIntelligenceData = {
  userId: '100000000000000001',
  deviceId,
  channelId: '34020000001310000001',
  dataId: 'face-0001',
  dataType: 'FACE',
  time: '2024-05-01 16:00:00',
  attributes: { age: 30, glasses: true },
  pictures: {
    original: { key: 'intelligence/x/original-1.jpg', contentType: 'image/jpeg', size: 3 },
  },
  alarmId: 'alarm-7',
  receivedAt: new Date('2024-05-01T08:00:01.000Z'),
};

function refused(code: string, reason: RegExp) {
  return (error: unknown) =>
    isArgusError(error) && error.code === code && reason.test(error.message);
}

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('intelligence data decider', () => {
  it('intelligence data is recorded with its time read as Beijing time where zone-less', () => {
    const [event] = decideIntelligenceData(undefined, report);
    assert.deepEqual(event, {
      type: 'IntelligenceDataReceived',
      data: {
        dataId: 'face-0001',
        userId: report.userId,
        deviceId,
        channelId: report.channelId,
        dataType: 'FACE',
        time: '2024-05-01T16:00:00.000+08:00',
        attributes: { age: 30, glasses: true },
        pictures: report.pictures,
        alarmId: 'alarm-7',
        receivedAt: '2024-05-01T08:00:01.000Z',
      },
    });
  });

  it('intelligence data keeps the offset the sender gave', () => {
    const [event] = decideIntelligenceData(undefined, { ...report, time: '2024-05-01T10:00:00Z' });
    assert.equal(event?.data.time, '2024-05-01T10:00:00.000+00:00');
  });

  it('intelligence data sent again for the same device records nothing', () => {
    assert.deepEqual(decideIntelligenceData({ deviceId }, report), []);
  });

  it('intelligence data whose data_id another device used is refused', () => {
    assert.throws(
      () => decideIntelligenceData({ deviceId: '34020000001320000009' }, report),
      refused(errorCodes.CONFLICT, /already recorded for device 34020000001320000009$/),
    );
  });

  it('intelligence data with a malformed time, type, id or oversized attributes is refused', () => {
    const cases: [Partial<ReportIntelligenceData>, RegExp][] = [
      [{ time: '2024-02-30T08:00:00' }, /time must be .*: 2024-02-30T08:00:00$/],
      [{ dataType: 'FACE DETECTED' }, /data_type must be/],
      [{ dataId: '../etc' }, /data_id must be 1 to 64/],
      [{ alarmId: 'a/b' }, /alarm_id must be/],
      [{ attributes: { blob: 'x'.repeat(16 * 1024) } }, /attributes are larger than 16384 bytes/],
    ];
    for (const [change, reason] of cases) {
      assert.throws(
        () => decideIntelligenceData(undefined, { ...report, ...change }),
        refused(errorCodes.VALIDATION, reason),
      );
    }
  });

  it('intelligence event ids are UUIDs, one per tenant and data_id', async () => {
    const id = await intelligenceEventId('1', 'face-0001');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(await intelligenceEventId('1', 'face-0001'), id);
    assert.notEqual(await intelligenceEventId('2', 'face-0001'), id);
    assert.notEqual(await intelligenceEventId('1', 'face-0002'), id);
  });

  it('intelligence data appended twice with its event id is stored once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-intel-'));
    dirs.push(dir);
    const store = new SqlEventStore({
      db: await openSqliteDatabase(join(dir, 'a.db')),
      dialect: 'sqlite',
    });
    const id = await intelligenceEventId(report.userId, report.dataId);
    const events = decideIntelligenceData(undefined, report).map((event) => ({
      id,
      type: event.type,
      data: { ...event.data },
    }));
    const stream = intelligenceStreamName(deviceId);
    const first = await store.appendToStream(stream, events, { expectedRevision: 'any' });
    const again = await store.appendToStream(stream, events, { expectedRevision: 'any' });
    assert.equal(again.lastPosition, first.lastPosition);
    assert.equal((await store.readStream(stream)).length, 1);
    await assert.rejects(
      store.appendToStream(intelligenceStreamName('34020000001320000009'), events),
      (error) => isArgusError(error, errorCodes.CONFLICT),
    );
  });
});
