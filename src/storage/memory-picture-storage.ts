/** Pictures in memory: for tests, and for a process that keeps nothing across restarts. */
import { assertPictureKey, type PictureStorage, type StoredPicture } from './picture-storage.ts';

export class MemoryPictureStorage implements PictureStorage {
  readonly #pictures = new Map<string, StoredPicture>();

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    assertPictureKey(key);
    // A copy: the caller may reuse its buffer.
    this.#pictures.set(key, { bytes: bytes.slice(), contentType });
  }

  async get(key: string): Promise<StoredPicture | undefined> {
    assertPictureKey(key);
    const picture = this.#pictures.get(key);
    return picture === undefined ? undefined : { ...picture, bytes: picture.bytes.slice() };
  }

  async delete(key: string): Promise<void> {
    assertPictureKey(key);
    this.#pictures.delete(key);
  }

  /** How many pictures are stored. */
  get size(): number {
    return this.#pictures.size;
  }
}
