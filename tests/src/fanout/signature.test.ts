/**
 * Signatures as a receiver checks them: a reference implementation written here with
 * node:crypto must agree with what Argus sends.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { describe, it } from 'node:test';

import { signedHeaders, signatureHeaders } from '../../../src/fanout/signature.ts';

const now = new Date('2024-05-01T08:00:00.000Z');
const body = JSON.stringify({
  message_id: '42',
  message_type: 'device_status',
  data: {},
  test: false,
});
const callbackUrl = 'https://isv.example.com/argus';

/** What a receiver does: recompute the HMAC of `timestamp.body` and compare in constant time. */
function receiverAccepts(key: string, headers: Record<string, string>, rawBody: string): boolean {
  const timestamp = headers[signatureHeaders.timestamp] ?? '';
  const mac = createHmac('sha256', key).update(`${timestamp}.${rawBody}`).digest('hex');
  const expected = `sha256=${mac}`;
  const given = Buffer.from(headers[signatureHeaders.signature] ?? '');
  return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
}

describe('signedHeaders', () => {
  it('signedHeaders signs timestamp and body so that node:crypto HMAC verifies it', async () => {
    const headers = await signedHeaders(
      { callbackUrl, signingKey: 'auth-key-0001', keySource: 'auth_key' },
      body,
      now,
    );
    assert.equal(headers[signatureHeaders.timestamp], '1714550400');
    assert.equal(receiverAccepts('auth-key-0001', headers, body), true);
  });

  it('signedHeaders signatures fail for another body, timestamp or key', async () => {
    const headers = await signedHeaders(
      { callbackUrl, signingKey: 'auth-key-0001', keySource: 'auth_key' },
      body,
      now,
    );
    assert.equal(receiverAccepts('auth-key-0001', headers, body.replace('42', '43')), false);
    assert.equal(receiverAccepts('auth-key-0002', headers, body), false);
    const replayed = { ...headers, [signatureHeaders.timestamp]: '1714550401' };
    assert.equal(receiverAccepts('auth-key-0001', replayed, body), false);
  });

  it('signedHeaders adds the IVM signature, SHA-256 of url|timestamp|auth_key', async () => {
    const headers = await signedHeaders(
      { callbackUrl, signingKey: 'auth-key-0001', keySource: 'auth_key' },
      body,
      now,
    );
    const expected = createHash('sha256')
      .update(`${callbackUrl}|1714550400|auth-key-0001`)
      .digest('hex');
    assert.equal(headers[signatureHeaders.ivmTimestamp], '1714550400');
    assert.equal(headers[signatureHeaders.ivmSignature], expected);
  });

  it('signedHeaders leaves out the IVM signature where the key was generated', async () => {
    const headers = await signedHeaders(
      { callbackUrl, signingKey: 'f'.repeat(64), keySource: 'generated' },
      body,
      now,
    );
    assert.equal(headers[signatureHeaders.ivmSignature], undefined);
    assert.equal(receiverAccepts('f'.repeat(64), headers, body), true);
  });
});
