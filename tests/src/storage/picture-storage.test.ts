/**
 * The picture storage port as a contract, run against every adapter: the in-memory one and
 * the filesystem one of the Node runtime.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { MemoryPictureStorage } from '../../../src/storage/memory-picture-storage.ts';
import { isPictureKey, type PictureStorage } from '../../../src/storage/picture-storage.ts';
import { FilePictureStorage } from '../../../workers/node/file-picture-storage.ts';
import { jpeg, png } from '../intelligence/pictures.ts';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function fileStorage(): PictureStorage {
  const dir = mkdtempSync(join(tmpdir(), 'argus-pictures-'));
  dirs.push(dir);
  return new FilePictureStorage(join(dir, 'pictures'));
}

const adapters: Record<string, () => PictureStorage> = {
  memory: () => new MemoryPictureStorage(),
  filesystem: fileStorage,
};

for (const [name, make] of Object.entries(adapters)) {
  describe(`picture storage (${name})`, () => {
    it('picture storage gives back the bytes and content type it was given', async () => {
      const storage = make();
      await storage.put('intelligence/1/d-1/original-ab.jpg', jpeg, 'image/jpeg');
      await storage.put('intelligence/1/d-1/panorama-cd.png', png, 'image/png');

      const first = await storage.get('intelligence/1/d-1/original-ab.jpg');
      const second = await storage.get('intelligence/1/d-1/panorama-cd.png');
      assert.deepEqual(first && Buffer.from(first.bytes), Buffer.from(jpeg));
      assert.equal(first?.contentType, 'image/jpeg');
      assert.deepEqual(second && Buffer.from(second.bytes), Buffer.from(png));
      assert.equal(second?.contentType, 'image/png');
    });

    it('picture storage answers undefined for a key never stored', async () => {
      assert.equal(await make().get('intelligence/1/none/original-00.jpg'), undefined);
    });

    it('picture storage replaces on put and forgets on delete', async () => {
      const storage = make();
      const key = 'intelligence/1/d-2/original-ef.jpg';
      await storage.put(key, jpeg, 'image/jpeg');
      await storage.put(key, png, 'image/png');
      assert.equal((await storage.get(key))?.contentType, 'image/png');

      await storage.delete(key);
      assert.equal(await storage.get(key), undefined);
      await storage.delete(key);
    });

    it('picture storage refuses keys that could leave its root', async () => {
      const storage = make();
      for (const key of ['../escape.jpg', 'a/../../b.jpg', '/abs.jpg', 'a//b.jpg', 'a/./b', '']) {
        await assert.rejects(storage.put(key, jpeg, 'image/jpeg'), (error) =>
          isArgusError(error, errorCodes.VALIDATION),
        );
        await assert.rejects(storage.get(key), (error) =>
          isArgusError(error, errorCodes.VALIDATION),
        );
      }
    });
  });
}

describe('picture keys', () => {
  it('picture keys allow 200 characters and refuse 201', () => {
    assert.equal(isPictureKey(`a/${'b'.repeat(198)}`), true);
    assert.equal(isPictureKey(`a/${'b'.repeat(199)}`), false);
  });

  it('file picture storage keeps each picture under its root as a file of its key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-pictures-'));
    dirs.push(dir);
    const storage = new FilePictureStorage(join(dir, 'pictures'));
    await storage.put('intelligence/7/x/original-12.jpg', jpeg, 'image/jpeg');
    const files = readdirSync(join(dir, 'pictures', 'intelligence', '7', 'x')).sort();
    assert.deepEqual(files, ['original-12.jpg', 'original-12.jpg.type']);
    await assert.rejects(storage.put('a/b.jpg.type', jpeg, 'image/jpeg'), (error) =>
      isArgusError(error, errorCodes.VALIDATION),
    );
  });
});
