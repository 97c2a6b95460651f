/**
 * Events out through the real processes: an integrator registers a callback URL (a real
 * HTTP server on loopback, allowed by ARGUS_CALLBACK_ALLOW_PRIVATE) and opens the SSE event
 * stream; a simulated camera registers and is then stopped. The receiver gets the device's
 * login as a signed `device_status` message (verified here with node:crypto), the SSE stream
 * carries the same event with its global position as `id`, and a restart of the API neither
 * repeats nor skips a delivery.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';

import {
  startCallbackReceiver,
  type CallbackReceiver,
  type ReceivedMessage,
} from '../support/callback-receiver.ts';
import { Platform } from '../support/platform.ts';
import { eventually, RunningProcess } from '../support/processes.ts';
import { startOnlineCamera } from '../support/simulator.ts';

const deviceId = '34020000001320000071';
const password = 'cam-pass-71';
const authKey = 'callback-key-71';

/** The signature a receiver computes: HMAC-SHA256 over `timestamp.body` with the key. */
function expectedSignature(headers: IncomingHttpHeaders, body: string): string {
  const timestamp = String(headers['x-argus-timestamp']);
  return `sha256=${createHmac('sha256', authKey).update(`${timestamp}.${body}`).digest('hex')}`;
}

const loginsOf = (received: ReceivedMessage[]) =>
  received.filter((r) => !r.json.test && r.json.message_type === 'device_status');

describe('callbacks and the event stream end to end', () => {
  const platform = new Platform({ env: { ARGUS_CALLBACK_ALLOW_PRIVATE: 'true' } });
  let receiver: CallbackReceiver;
  let camera: RunningProcess | undefined;

  before(async () => {
    receiver = await startCallbackReceiver();
    await platform.start();
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
    receiver.server.close();
  });

  it('verifies the URL with a test message, then delivers signed device status', async () => {
    const registered = await platform.call('POST', '/v1/{user_id}/messages/callback', {
      callback_url: receiver.url,
      subscription_type: 'DEVICE_STATUS',
      auth_key: authKey,
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.json));
    assert.equal(receiver.received[0]?.json.test, true, 'a test message came first');

    const token = await platform.token();
    const sse = await fetch(`${platform.apiUrl}/v1/${platform.userId}/events`, {
      headers: { 'Access-Token': token },
    });
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /text\/event-stream/);

    camera = await startOnlineCamera(platform, { deviceId, password });

    const delivered = await eventually(
      async () => {
        const found = loginsOf(receiver.received).find((r) => r.json.data?.device_id === deviceId);
        return found;
      },
      15_000,
      'a device_status message for the camera',
    );
    assert.equal(
      delivered.headers['x-argus-signature'],
      expectedSignature(delivered.headers, delivered.body),
    );
    assert.match(delivered.json.message_id, /^\d+$/);

    const text = await readUntil(sse, `"${deviceId}"`, 15_000);
    assert.match(text, /^id: \d+$/m, 'each event carries its global position');
  });

  it('a restarted API delivers what came after, and nothing twice', async () => {
    const before = loginsOf(receiver.received).map((r) => r.json.message_id);
    await camera?.stop('SIGKILL');
    camera = undefined;

    await platform.api.stop();
    platform.api = new RunningProcess('workers/node/server.ts', [], {
      ...platform.env,
      ARGUS_HTTP_PORT: String(new URL(platform.apiUrl).port),
    });
    await platform.api.waitFor((l) => l['msg'] === 'api listening', 30_000, 'api');

    // The media node takes the camera offline after a restart of the camera's simulator.
    camera = await startOnlineCamera(platform, { deviceId, password });
    await eventually(
      async () => (loginsOf(receiver.received).length > before.length ? true : undefined),
      15_000,
      'a new device_status message after the restart',
    );
    const ids = loginsOf(receiver.received).map((r) => r.json.message_id);
    assert.equal(new Set(ids).size, ids.length, `no message delivered twice: ${ids.join(',')}`);
    assert.deepEqual(ids.slice(0, before.length), before, 'in the order of the log');
  });
});

/** Reads an SSE response until `needle` appears; returns the text read, then cancels. */
async function readUntil(response: Response, needle: string, ms: number): Promise<string> {
  const reader = response.body?.getReader();
  assert.ok(reader !== undefined);
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => void reader.cancel(), ms);
  try {
    while (!text.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
  assert.ok(text.includes(needle), `the event stream carried ${needle}: ${text.slice(0, 500)}`);
  return text;
}
