/**
 * Helpers of the alert tests: alarms appended as a media node appends them, and a reader of
 * Server-Sent Events frames.
 */
import assert from 'node:assert/strict';

import { accountStreamName, type AccountEvent } from '../../../../src/domain/account.ts';
import { alarmStreamName, type AlarmEvent } from '../../../../src/domain/alarm.ts';
import type { DeviceEvent } from '../../../../src/domain/device.ts';
import type { EventStore } from '../../../../src/event-store/event-store.ts';
import { apiProjections } from '../../../../src/projections/control-plane.ts';
import { ProjectionRunner } from '../../../../src/projections/projection-runner.ts';
import type { Db } from '../../../../src/sql/database.ts';

export const start = new Date('2024-05-01T08:00:00.000Z');
export const at = (ms: number) => new Date(start.getTime() + ms);

/** Adds a device to a tenant (optionally in an organisation), as batch-add does. */
export async function addDevice(
  store: EventStore,
  deviceId: string,
  userId: string,
  deviceOrgId?: string,
) {
  const event: DeviceEvent = {
    type: 'DeviceAdded',
    data: {
      deviceId,
      userId,
      name: `Camera ${deviceId.slice(-2)}`,
      password: 'pw',
      ...(deviceOrgId === undefined ? {} : { deviceOrgId }),
      at: start.toISOString(),
    },
  };
  await store.appendToStream(`device-${deviceId}`, [{ type: event.type, data: event.data }]);
}

/** Appends `count` alarms of `deviceId`, received `everyMs` apart from `fromMs` after start. */
export async function appendAlarms(
  store: EventStore,
  deviceId: string,
  count: number,
  everyMs: number,
  fromMs = 0,
) {
  for (let i = 0; i < count; i++) {
    const receivedAt = at(fromMs + i * everyMs).toISOString();
    const event: AlarmEvent = {
      type: 'DeviceAlarmReceived',
      data: {
        alarmId: `${deviceId}-${fromMs + i * everyMs}`,
        deviceId,
        channelId: deviceId,
        priority: 1,
        method: 2,
        alarmTime: receivedAt,
        receivedAt,
      },
    };
    await store.appendToStream(alarmStreamName(deviceId), [{ type: event.type, data: event.data }]);
  }
}

export interface Frame {
  readonly id?: string;
  readonly data?: any;
}

/** Reads an SSE response until `count` events came (or `forMs` passed), then cancels it. */
export async function readFrames(response: Response, count: number, forMs = 5000) {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('Content-Type'), 'text/event-stream; charset=utf-8');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => void reader.cancel(), forMs);
  const frames: Frame[] = [];
  let buffer = '';
  while (frames.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame.data !== undefined) frames.push(frame);
    }
  }
  clearTimeout(timer);
  await reader.cancel();
  return frames;
}

function parseFrame(text: string): Frame {
  const frame: { id?: string; data?: any } = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
  }
  return frame;
}

/** An account of tenant `userId` in the log and the read models, as `POST …/users` makes one. */
export async function createAccount(db: Db, store: EventStore, loginName: string, userId: string) {
  const event: AccountEvent = {
    type: 'AccountCreated',
    data: {
      loginName,
      userId,
      kind: 'ENTERPRISE',
      role: 'COMMON_USER',
      deviceOrgId: '0',
      displayName: loginName,
      passwordHash: 'not-a-real-hash',
      at: start.toISOString(),
    },
  };
  await store.appendToStream(accountStreamName(loginName), [
    { type: event.type, data: event.data },
  ]);
  await catchUp(db, store);
}

/** Brings the API's read models up to the log. */
export async function catchUp(db: Db, store: EventStore) {
  const runner = new ProjectionRunner({
    db,
    dialect: 'sqlite',
    store,
    projections: apiProjections,
  });
  await runner.catchUp();
}
