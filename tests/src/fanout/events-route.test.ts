/**
 * `GET /v1/{user_id}/events` as specifications: Server-Sent Events read through the mounted
 * sub-app, closed, and resumed with `Last-Event-ID`, also from a new API on the same database.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import {
  added,
  cameOnline,
  fanoutPlatform,
  given,
  otherUserId,
  registered,
  removeDatabases,
  userId,
  wentOffline,
} from './support.ts';

after(removeDatabases);

const cameraA = '34020000001320000001';
const cameraB = '34020000001320000002';
const foreign = '34020000001320000009';
const path = `/v1/${userId}/events`;

type Platform = Awaited<ReturnType<typeof fanoutPlatform>>;

interface Frame {
  readonly id?: string;
  readonly data?: any;
  readonly comment?: string;
  readonly retry?: number;
}

/**
 * Opens the stream and reads frames until `count` events (frames with data) came, or `forMs`
 * passed, then closes it. Comments are kept too.
 */
async function readEvents(
  platform: Platform,
  count: number,
  options: { query?: string; lastEventId?: string; forMs?: number } = {},
): Promise<Frame[]> {
  const headers: Record<string, string> = { 'Access-Token': platform.token };
  if (options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId;
  const response = await platform.app.request(`${path}${options.query ?? ''}`, { headers });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('Content-Type'), 'text/event-stream; charset=utf-8');

  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => void reader.cancel(), options.forMs ?? 5000);
  const frames: Frame[] = [];
  let buffer = '';
  while (frames.filter((frame) => frame.data !== undefined).length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      frames.push(parseFrame(buffer.slice(0, end)));
      buffer = buffer.slice(end + 2);
    }
  }
  clearTimeout(timer);
  await reader.cancel();
  return frames;
}

function parseFrame(text: string): Frame {
  const frame: { id?: string; data?: any; comment?: string; retry?: number } = {};
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else if (line.startsWith('id: ')) frame.id = line.slice(4);
    else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
    else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7));
  }
  return frame;
}

const events = (frames: Frame[]) => frames.filter((frame) => frame.data !== undefined);

describe('GET /v1/{user_id}/events', () => {
  // The global position is the id; resuming from Last-Event-ID gives no gap and no duplicate.
  it('sends the enterprise messages, then resumes from Last-Event-ID', async () => {
    const platform = await fanoutPlatform({ events: { heartbeatMs: 60_000 } });
    try {
      await given(platform.store, cameraA, added(cameraA), registered(cameraA));
      await given(platform.store, foreign, added(foreign, otherUserId), registered(foreign));
      await given(platform.store, cameraB, added(cameraB), registered(cameraB));

      const first = events(await readEvents(platform, 2, { query: '?after=0' }));
      assert.deepEqual(
        first.map((frame) => [frame.data.data.device_id, frame.data.data.event_type]),
        [
          [cameraA, 'login'],
          [cameraB, 'login'],
        ],
      );
      for (const frame of first) {
        assert.equal(frame.id, frame.data.message_id);
        assert.equal(frame.data.message_type, 'device_status');
        assert.equal(frame.data.test, false);
      }

      await given(platform.store, cameraA, wentOffline(cameraA), cameOnline(cameraA));
      const resumed = events(await readEvents(platform, 2, { lastEventId: first.at(-1)!.id! }));
      const ids = [...first, ...resumed].map((frame) => Number(frame.id));
      const all = await platform.store.readAll({ after: 0, maxCount: 1000 });
      const expected = all
        .filter((event) => event.type !== 'DeviceAdded' && event.streamName !== `device-${foreign}`)
        .filter((event) => event.streamName.startsWith('device-'))
        .map((event) => event.globalPosition);
      assert.deepEqual(ids, expected);
    } finally {
      await platform.close();
    }
  });

  it('resumes from Last-Event-ID on a new API over the same database', async () => {
    const before = await fanoutPlatform();
    await given(before.store, cameraA, added(cameraA), registered(cameraA));
    const first = events(await readEvents(before, 1, { query: '?after=0' }));
    await before.close();

    const restarted = await fanoutPlatform({ path: before.path });
    try {
      const next = await given(restarted.store, cameraA, wentOffline(cameraA));
      const resumed = events(await readEvents(restarted, 1, { lastEventId: first[0]!.id! }));
      assert.deepEqual(
        resumed.map((frame) => frame.id),
        [String(next)],
      );
    } finally {
      await restarted.close();
    }
  });

  it('starts at the head without a cursor, suggests a retry delay, sends heartbeats', async () => {
    const platform = await fanoutPlatform({ events: { heartbeatMs: 10, retryMs: 1500 } });
    try {
      await given(platform.store, cameraA, added(cameraA), registered(cameraA));
      const pending = readEvents(platform, 1);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const online = await given(platform.store, cameraA, wentOffline(cameraA));
      const frames = await pending;

      assert.deepEqual(
        events(frames).map((frame) => frame.id),
        [String(online)],
      );
      assert.equal(frames[0]?.retry, 1500);
      assert.ok(frames.some((frame) => frame.comment === 'heartbeat'));
    } finally {
      await platform.close();
    }
  });

  it('sends only the types asked for', async () => {
    const platform = await fanoutPlatform();
    try {
      await given(platform.store, cameraA, added(cameraA), registered(cameraA));
      const query = '?types=device_alarm&after=0';
      const alarms = await readEvents(platform, 1, { query, forMs: 150 });
      assert.deepEqual(events(alarms), []);
      const status = await readEvents(platform, 1, { query: '?types=device_status&after=0' });
      assert.equal(events(status).length, 1);
    } finally {
      await platform.close();
    }
  });

  it('refuses unknown types and a malformed Last-Event-ID with VALIDATION', async () => {
    const platform = await fanoutPlatform();
    try {
      const headers = { 'Access-Token': platform.token };
      const unknown = await platform.app.request(`${path}?types=device_status,weather`, {
        headers,
      });
      assert.equal(unknown.status, 400);
      assert.match((await unknown.json()).error_msg, /types has unknown types: weather/);

      const bad = await platform.app.request(path, {
        headers: { ...headers, 'Last-Event-ID': 'abc' },
      });
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).error_msg, /^Cannot accept Last-Event-ID: /);
    } finally {
      await platform.close();
    }
  });
});
