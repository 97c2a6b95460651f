/** Pictures as clients send them: base64 within a size limit, typed by their own bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  decodePicture,
  maxPictureBytes,
  sniffPictureType,
} from '../../../src/storage/picture-content.ts';
import { base64, jpeg, png } from '../intelligence/pictures.ts';

/** A JPEG of exactly `size` bytes: the fixture padded after its EOI marker. */
function jpegOfSize(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(jpeg.subarray(0, Math.min(jpeg.length, size)));
  return bytes;
}

function refusedWith(reason: RegExp) {
  return (error: unknown) =>
    isArgusError(error, errorCodes.VALIDATION) && reason.test((error as Error).message);
}

describe('picture content', () => {
  it('picture content reads the type from the bytes of a real JPEG and PNG', () => {
    assert.equal(sniffPictureType(jpeg), 'image/jpeg');
    assert.equal(sniffPictureType(png), 'image/png');
    assert.equal(sniffPictureType(new TextEncoder().encode('GIF89a…')), undefined);
    assert.equal(sniffPictureType(new Uint8Array([0xff, 0xd8])), undefined);
  });

  it('picture content decodes base64 to the same bytes', () => {
    const decoded = decodePicture('pictures.original', base64(png));
    assert.equal(decoded.contentType, 'image/png');
    assert.deepEqual(Buffer.from(decoded.bytes), Buffer.from(png));
  });

  it('picture content accepts a picture at the size limit and refuses one byte more', () => {
    assert.equal(decodePicture('p', base64(jpegOfSize(maxPictureBytes))).bytes.length, 524288);
    assert.throws(
      () => decodePicture('pictures.original', base64(jpegOfSize(maxPictureBytes + 1))),
      refusedWith(/^Cannot accept picture pictures\.original: larger than 524288 bytes/),
    );
  });

  it('picture content refuses what is neither JPEG nor PNG, whatever it claims', () => {
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    assert.throws(
      () => decodePicture('pictures.background', base64(gif)),
      refusedWith(/^Cannot accept picture pictures\.background: neither JPEG nor PNG$/),
    );
  });

  it('picture content refuses text that is not base64', () => {
    for (const text of ['not base64!', 'abc', 'data:image/jpeg;base64,/9j/']) {
      assert.throws(() => decodePicture('p', text), refusedWith(/not base64$/));
    }
  });
});
