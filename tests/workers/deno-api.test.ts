/**
 * The API runs on Deno too (deno.json, workers/deno): the same service over Deno's built-in
 * node:sqlite. A smoke test here; the shared API suite on every runtime is wider work.
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
  },
);
