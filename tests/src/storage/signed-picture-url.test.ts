/**
 * Signed picture URLs, checked against a reference HMAC written here: valid until their
 * expiry on an injected clock, refused once it passed or when the key or expiry is altered.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { PictureUrlSigner, picturePath } from '../../../src/storage/signed-picture-url.ts';

const secret = 'a-test-secret-of-at-least-32-characters';
const key = 'intelligence/100000000000000001/d-1/original-0123456789abcdef.jpg';
const issued = new Date('2024-05-01T08:00:00.000Z');
const at = (seconds: number) => new Date(issued.getTime() + seconds * 1000);

function refused(reason: RegExp) {
  return (error: unknown) =>
    isArgusError(error, errorCodes.FORBIDDEN) && reason.test((error as Error).message);
}

describe('signed picture URLs', () => {
  it('signed picture URLs last 5 minutes, signed as the reference computes', async () => {
    const signature = await new PictureUrlSigner(secret).sign(key, issued);
    assert.equal(signature.expires, issued.getTime() / 1000 + 300);
    const reference = createHmac('sha256', secret)
      .update(`argus-picture-url-v1\n${key}\n${signature.expires}`)
      .digest('hex');
    assert.equal(signature.signature, reference);
    assert.equal(
      picturePath(key, signature),
      `/pictures/${key.replaceAll('/', '~')}?expires=${signature.expires}&signature=${reference}`,
    );
  });

  it('signed picture URLs work until their expiry and are refused one second after', async () => {
    const signer = new PictureUrlSigner(secret);
    const { expires, signature } = await signer.sign(key, issued);
    const query = { expires: String(expires), signature };
    await signer.verify(key, query, at(300));
    await assert.rejects(signer.verify(key, query, at(301)), refused(/the URL expired at/));
  });

  it('signed picture URLs are refused when the key, expiry or secret differ', async () => {
    const signer = new PictureUrlSigner(secret);
    const { expires, signature } = await signer.sign(key, issued);
    const mismatch = refused(/^Cannot serve picture: the signature does not match$/);
    const later = { expires: String(expires + 3600), signature };
    await assert.rejects(signer.verify(key, later, issued), mismatch);
    const query = { expires: String(expires), signature };
    await assert.rejects(signer.verify(key.replace('d-1', 'd-2'), query, issued), mismatch);
    const other = new PictureUrlSigner('another-secret-of-at-least-32-characters');
    await assert.rejects(other.verify(key, query, issued), mismatch);
    await assert.rejects(signer.verify(key, { signature }, issued), refused(/no expiry/));
  });
});
