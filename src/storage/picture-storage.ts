/**
 * The picture storage port: where the pictures of intelligence data are kept, by key. Adapters
 * are the filesystem on Node (workers/node/file-picture-storage.ts) and memory for tests; an
 * S3- or R2-compatible one implements the same three calls. Keys are made by Argus, never
 * taken from a request as they are, and every adapter checks them with `assertPictureKey`.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** A picture as stored: its bytes and the content type sniffed from them at ingest. */
export interface StoredPicture {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

export interface PictureStorage {
  /** Stores `bytes` under `key`, replacing what was there. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The picture under `key`, undefined where there is none. */
  get(key: string): Promise<StoredPicture | undefined>;
  /** Removes the picture under `key`; removing an absent one is no error. */
  delete(key: string): Promise<void>;
}

/** Longest key: room for a tenant, a data_id of 64 characters, a type and a hash. */
export const maxPictureKeyLength = 200;

// Segments of letters, digits, `.`, `_` and `-`, none of them `.` or `..`, joined by `/`.
const keyPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** True where `key` is a key an adapter may store under (safe as a path and in a URL). */
export function isPictureKey(key: string): boolean {
  return key.length <= maxPictureKeyLength && keyPattern.test(key);
}

/** @throws ArgusError VALIDATION where `key` is not a picture key */
export function assertPictureKey(key: string): void {
  if (isPictureKey(key)) return;
  throw new ArgusError(errorCodes.VALIDATION, `Cannot use picture key: not a safe key: ${key}`);
}
