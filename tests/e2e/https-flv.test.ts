/** HTTPS_FLV: with a TLS certificate the media node serves the same stream over HTTPS. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { Platform } from '../support/platform.ts';
import type { RunningProcess } from '../support/processes.ts';
import { startOnlineCamera } from '../support/simulator.ts';

const deviceId = '34020000001320000031';
const opensslMissing = existsSync('/usr/bin/openssl') ? false : 'openssl is not installed';

/** A self-signed certificate for 127.0.0.1. */
function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** Reads `ms` of an HTTPS stream, trusting only the test's certificate. */
function readFor(url: string, ca: Buffer, ms: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const request = get(url, { ca }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`));
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      setTimeout(() => {
        request.destroy();
        resolve(Buffer.concat(chunks));
      }, ms);
    });
    request.on('error', (error) => (chunks.length > 0 ? undefined : reject(error)));
  });
}

describe('HTTPS-FLV', { skip: opensslMissing || ffprobeMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'argus-tls-'));
  const tls = opensslMissing ? { cert: '', key: '' } : makeCertificate(dir);
  const platform = new Platform({
    env: { ARGUS_TLS_CERT: tls.cert, ARGUS_TLS_KEY: tls.key, ARGUS_MEDIA_HTTPS_PORT: '0' },
  });
  let camera: RunningProcess | undefined;

  before(async () => {
    await platform.start();
    camera = await startOnlineCamera(platform, { deviceId, password: 'tls-pw', name: 'TLS cam' });
  });
  after(async () => {
    await camera?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  it('gives an https URL that plays as H.264', async () => {
    const { json: channels } = await platform.call(
      'GET',
      `/v1/{user_id}/channels?device_id=${deviceId}`,
    );
    const { json } = await platform.call(
      'POST',
      '/v2/{user_id}/devices/channels/media/live-connections',
      {
        channels: [
          {
            device_id: deviceId,
            channel_id: channels.channels[0].channel_id,
            live_protocol: 'HTTPS_FLV',
          },
        ],
      },
    );
    const item = json.channels[0];
    assert.deepEqual(item.result, { code: 'IVM.0', msg: 'Success' });
    const url = item.cloud_trans_connections.live_url as string;
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/live\/\d{20}\/\d{20}\.flv\?token=/);

    const bytes = await readFor(url, readFileSync(tls.cert), 3500);
    const file = join(dir, 'live.flv');
    writeFileSync(file, bytes);
    const probed = await probeVideo(file, 10);
    assert.equal(probed.codec_name, 'h264');
    assert.equal(probed.width, 640);
    assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);
  });
});
