/**
 * The API runs on Deno too (deno.json, workers/deno): the same service over Deno's built-in
 * node:sqlite. A smoke suite: tokens, devices, live-connections, the SSE event stream and the
 * OpenAPI document; the shared API suite on every runtime is wider work (issue 7).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { repoRoot, RunningProcess } from '../support/processes.ts';

const deno = join(repoRoot, 'node_modules/.bin/deno');
const userId = '10000000000000000007';

describe(
  'API on Deno',
  { skip: existsSync(deno) ? false : 'the deno package is not installed' },
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'argus-deno-'));
    let api: RunningProcess;
    let base = '';

    before(async () => {
      api = new RunningProcess(
        'task',
        ['api'],
        {
          ARGUS_DATA_DIR: dataDir,
          ARGUS_HTTP_HOST: '127.0.0.1',
          ARGUS_HTTP_PORT: '0',
          ARGUS_USER_ID: userId,
          ARGUS_AK: 'DENOAK',
          ARGUS_SK: 'deno-secret',
          DENO_NO_UPDATE_CHECK: '1',
        },
        deno,
      );
      const listening = await api.waitFor((l) => l['msg'] === 'api listening', 60_000, 'deno api');
      base = `http://127.0.0.1:${String(listening['port'])}`;
    });
    after(async () => {
      await api?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('issues a token, adds a device and lists it', async () => {
      const post = (path: string, body: unknown, token = '') =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Access-Token': token },
          body: JSON.stringify(body),
        });
      const tokenResponse = await post(`/v2/${userId}/enterprises/access-token`, {
        ak: 'DENOAK',
        sk: 'deno-secret',
      });
      assert.equal(tokenResponse.status, 200);
      const { access_token: token } = (await tokenResponse.json()) as { access_token: string };

      const added = await post(
        `/v1/${userId}/devices/gb/batch-add`,
        {
          devices: [
            { device_id: '34020000001320000070', device_name: 'Deno cam', device_password: 'pw' },
          ],
        },
        token,
      );
      assert.equal(((await added.json()) as { failed_num: number }).failed_num, 0);

      const list = await fetch(`${base}/v1/${userId}/devices`, {
        headers: { 'Access-Token': token },
      });
      const body = (await list.json()) as { total: number; devices: { device_state: string }[] };
      assert.equal(body.total, 1);
      assert.equal(body.devices[0]?.device_state, 'UNREGISTERED');
    });

    it('refuses live video of a device that is not online, per item', async () => {
      const token = await login();
      const response = await fetch(`${base}/v2/${userId}/devices/channels/media/live-connections`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Access-Token': token },
        body: JSON.stringify({
          channels: [{ device_id: '34020000001320000070', channel_id: '34020000001310000001' }],
        }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { channels: { result: { code: string } }[] };
      assert.notEqual(body.channels[0]?.result.code, 'IVM.0', 'no live URL for an absent channel');
    });

    it('streams a device_unbind message over SSE when a device is deleted', async () => {
      const token = await login();
      const deviceId = '34020000001320000071';
      const send = (path: string, body: unknown) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Access-Token': token },
          body: JSON.stringify(body),
        });
      await send(`/v1/${userId}/devices/gb/batch-add`, {
        devices: [{ device_id: deviceId, device_name: 'Deno cam 2', device_password: 'pw' }],
      });

      const events = await fetch(`${base}/v1/${userId}/events?types=device_unbind`, {
        headers: { 'Access-Token': token },
      });
      assert.equal(events.status, 200);
      assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
      const deleted = await send(`/v1/${userId}/devices/batch-delete`, { devices: [deviceId] });
      assert.equal(deleted.status, 200, await deleted.clone().text());

      const text = await readUntil(events, deviceId);
      assert.match(text, /event: device_unbind|"message_type":"device_unbind"/);
      assert.match(text, /^id: \d+$/m);
    });

    it('serves the OpenAPI document', async () => {
      const response = await fetch(`${base}/openapi.json`);
      const document = (await response.json()) as { openapi: string; paths: object };
      assert.equal(document.openapi, '3.1.0');
      assert.ok(Object.keys(document.paths).length > 50);
    });

    async function login(): Promise<string> {
      const response = await fetch(`${base}/v2/${userId}/enterprises/access-token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ak: 'DENOAK', sk: 'deno-secret', force_update: true }),
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { access_token: string }).access_token;
    }
  },
);

/** Reads an SSE response until `needle` appears (or 20 s pass); returns what was read. */
async function readUntil(response: Response, needle: string): Promise<string> {
  const reader = response.body?.getReader();
  assert.ok(reader !== undefined);
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => void reader.cancel(), 20_000);
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
  assert.ok(text.includes(needle), `the event stream carried ${needle}: ${text.slice(0, 300)}`);
  return text;
}
