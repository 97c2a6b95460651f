/**
 * Web Push as specifications, checked against a reference written here with node:crypto:
 * RFC 8291/8188 decryption by the browser's keys, and RFC 8292 VAPID verification; then the
 * alert loop pushing alerts to a loopback push endpoint that does both.
 */
import assert from 'node:assert/strict';
import {
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  randomBytes,
  verify,
} from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../../schema/sqlite-node.ts';
import { userAlertSettingsStream } from '../../../../src/domain/alert-settings.ts';
import { SqlEventStore } from '../../../../src/event-store/sql-event-store.ts';
import { AlertLoop } from '../../../../src/fanout/alerts/alert-loop.ts';
import {
  ensureRecipient,
  readAlertSettings,
} from '../../../../src/fanout/alerts/alert-recipients.ts';
import { withAlertTables } from '../../../../src/fanout/alerts/alert-tables.ts';
import { PushSender } from '../../../../src/fanout/alerts/push-sender.ts';
import { loadVapidKeys } from '../../../../src/fanout/alerts/vapid-keys.ts';
import {
  encryptPushPayload,
  generateVapidKeys,
  vapidAuthorization,
} from '../../../../src/fanout/alerts/web-push.ts';
import { silentLogger } from '../../../../src/logger.ts';
import { platform } from '../../api/control-plane-support.ts';
import { addDevice, appendAlarms, at, createAccount } from './support.ts';

const userId = '100000000000000001';
const camera = '34020000001320000001';
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const b64url = (bytes: Buffer) => bytes.toString('base64url');

/** A browser's subscription keys: its ECDH key pair and auth secret. */
function browser() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, p256dh: b64url(ecdh.getPublicKey()), authText: b64url(auth) };
}

/** RFC 8291 §3.4 and RFC 8188, as a user agent decrypts: the reference. */
function decrypt(body: Buffer, ua: ReturnType<typeof browser>): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const asPublic = body.subarray(21, 21 + idLength);
  const sealed = body.subarray(21 + idLength);
  assert.ok(sealed.length <= recordSize, 'one record');
  const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

  const ecdhSecret = ua.ecdh.computeSecret(asPublic);
  const prkKey = hmac(ua.auth, ecdhSecret);
  const keyInfo = Buffer.concat([
    Buffer.from('WebPush: info\0'),
    ua.ecdh.getPublicKey(),
    asPublic,
    Buffer.from([1]),
  ]);
  const ikm = hmac(prkKey, keyInfo);
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const padded = Buffer.concat([
    decipher.update(sealed.subarray(0, sealed.length - 16)),
    decipher.final(),
  ]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  assert.equal(padded[end], 2, 'the last record ends with delimiter 2');
  return padded.subarray(0, end).toString('utf8');
}

/** RFC 8292 §2–3, as a push service checks `Authorization: vapid t=…, k=…`. */
function verifyVapid(header: string | undefined, endpoint: string, now: Date) {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
  assert.ok(match, `a vapid header: ${header}`);
  const [, token, k] = match;
  const raw = Buffer.from(k!, 'base64url');
  assert.equal(raw.length, 65);
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33)) },
    format: 'jwk',
  });
  const [head, claims, signature] = token!.split('.') as [string, string, string];
  const signed = Buffer.from(`${head}.${claims}`);
  const sig = Buffer.from(signature, 'base64url');
  assert.ok(verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig), 'signature');
  assert.equal(JSON.parse(Buffer.from(head, 'base64url').toString()).alg, 'ES256');
  const payload = JSON.parse(Buffer.from(claims, 'base64url').toString());
  assert.equal(payload.aud, new URL(endpoint).origin);
  const seconds = now.getTime() / 1000;
  assert.ok(payload.exp > seconds && payload.exp <= seconds + 24 * 3600, 'exp within 24 h');
  assert.match(payload.sub, /^(mailto|https):/);
  return k!;
}

/** A push service on loopback: records each request; `status(path)` picks the answer. */
async function pushService(status: (path: string) => number = () => 201) {
  const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(status(path)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Web Push', () => {
  it('encrypts a payload that the reference decrypts with the browser keys', async () => {
    const ua = browser();
    const text = JSON.stringify({ alert_id: 'x', suppressed_count: 19, note: '报警 ✓' });
    const target = { endpoint: 'https://push.example/1', p256dh: ua.p256dh, auth: ua.authText };
    const body = await encryptPushPayload(target, new TextEncoder().encode(text));
    assert.equal(decrypt(Buffer.from(body), ua), text);
    const again = await encryptPushPayload(target, new TextEncoder().encode(text));
    assert.notDeepEqual(again, body, 'a fresh salt and key each time');
  });

  it('refuses a subscription key that is not a P-256 point', async () => {
    const target = {
      endpoint: 'https://push.example/1',
      p256dh: b64url(randomBytes(32)),
      auth: b64url(randomBytes(16)),
    };
    await assert.rejects(encryptPushPayload(target, new Uint8Array(1)), {
      code: 'ARGUS.VALIDATION',
      message:
        'Cannot encrypt push message: p256dh must be a 65-byte P-256 point and auth 16 bytes',
    });
  });

  it('signs a VAPID token the reference verifies', async () => {
    const keys = await generateVapidKeys();
    const now = new Date();
    const endpoint = 'https://fcm.example.com/wp/abc';
    const header = await vapidAuthorization(endpoint, keys, 'mailto:ops@example.com', now);
    assert.equal(verifyVapid(header, endpoint, now), keys.publicKey);
  });

  it('pushes each alert to the subscribed browser, forgets an endpoint that is gone', async () => {
    const service = await pushService((path) => (path === '/gone' ? 410 : 201));
    const dir = mkdtempSync(join(tmpdir(), 'argus-push-'));
    dirs.push(dir);
    const db = await openSqliteDatabase(join(dir, 'argus.db'));
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    try {
      const ua = browser();
      const stream = userAlertSettingsStream('alice');
      const base = { userId, loginName: 'alice', at: at(0).toISOString() };
      await store.appendToStream(stream, [
        { type: 'AlertSettingsChanged', data: { ...base, alertWindowS: 20, webPush: true } },
        ...['/alice', '/gone'].map((path) => ({
          type: 'PushSubscriptionAdded',
          data: { ...base, endpoint: service.origin + path, p256dh: ua.p256dh, auth: ua.authText },
        })),
      ]);
      await addDevice(store, camera, userId);
      const principal = {
        userId,
        role: 'COMMON_USER',
        loginName: 'alice',
        deviceOrgId: '0',
      } as const;
      await createAccount(db, store, 'alice', userId);
      await ensureRecipient(db, store, principal, at(0));
      await appendAlarms(store, camera, 20, 500);

      const clock = { now: at(10_000) };
      const pusher = new PushSender({
        store,
        logger: silentLogger,
        keys: () => loadVapidKeys(db),
        subject: 'mailto:ops@example.com',
        now: () => clock.now,
      });
      const loop = new AlertLoop({
        ...{ db, dialect: 'sqlite', store, logger: silentLogger, pusher },
        now: () => clock.now,
      });
      await loop.runOnce();
      clock.now = at(30_000);
      await loop.runOnce();
      await loop.runOnce();

      const alerts = await withAlertTables(db)
        .selectFrom('alerts')
        .select('body')
        .orderBy('alert_seq')
        .execute();
      const toAlice = service.received.filter((r) => r.path === '/alice');
      assert.equal(toAlice.length, 2);
      assert.deepEqual(
        toAlice.map((r) => decrypt(r.body, ua)),
        alerts.map((a) => a.body),
      );
      const vapidKey = (await loadVapidKeys(db)).publicKey;
      for (const request of toAlice) {
        assert.equal(request.headers['content-encoding'], 'aes128gcm');
        assert.equal(
          verifyVapid(request.headers.authorization, service.origin, clock.now),
          vapidKey,
        );
      }
      assert.equal(service.received.filter((r) => r.path === '/gone').length, 1);
      const settings = await readAlertSettings(store, userId, stream);
      assert.deepEqual(
        settings.pushSubscriptions.map((s) => s.endpoint),
        [`${service.origin}/alice`],
      );
    } finally {
      await service.close();
      await db.destroy();
    }
  });

  it('stores a subscription through the API and refuses one on a private address', async () => {
    const p = await platform();
    const token = (await p.login()).json.access_token as string;
    const ua = browser();
    const keys = { p256dh: ua.p256dh, auth: ua.authText };
    const refused = await p.call('POST', '/v1/{user_id}/alerts/push-subscriptions', {
      token,
      body: { endpoint: 'http://127.0.0.1:9/push', keys },
    });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json.error_msg, /^Cannot accept push subscription: /);
    const stored = await p.call('POST', '/v1/{user_id}/alerts/push-subscriptions', {
      token,
      body: { endpoint: 'https://push.example.com/send/1', keys },
    });
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.json.subscriptions, 1);
    const vapid = await p.call('GET', '/v1/{user_id}/alerts/vapid-public-key', { token });
    assert.equal(Buffer.from(vapid.json.vapid_public_key, 'base64url').length, 65);
  });
});
