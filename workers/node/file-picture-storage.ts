/**
 * Pictures as files under a directory (`ARGUS_DATA_DIR/pictures` by default), one file per
 * key, with the content type in a `.type` file beside it. Keys are checked by
 * `assertPictureKey`, so none leaves the directory.
 */
import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { ArgusError, errorCodes } from '../../src/errors.ts';
import {
  assertPictureKey,
  type PictureStorage,
  type StoredPicture,
} from '../../src/storage/picture-storage.ts';

export class FilePictureStorage implements PictureStorage {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.type`, contentType);
    // Written aside and renamed: a reader never sees half a picture.
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, bytes);
    await rename(partial, path);
  }

  async get(key: string): Promise<StoredPicture | undefined> {
    const path = this.#path(key);
    try {
      const [bytes, contentType] = await Promise.all([
        readFile(path),
        readFile(`${path}.type`, 'utf8'),
      ]);
      return {
        bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        contentType,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    await rm(path, { force: true });
    await rm(`${path}.type`, { force: true });
  }

  #path(key: string): string {
    assertPictureKey(key);
    // The names of the files beside a picture are no keys of their own.
    if (/\.(type|partial)$/.test(key)) {
      throw new ArgusError(
        errorCodes.VALIDATION,
        `Cannot use picture key: reserved ending: ${key}`,
      );
    }
    return join(this.#root, ...key.split('/'));
  }
}
