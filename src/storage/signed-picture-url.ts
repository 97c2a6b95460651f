/**
 * Short-lived picture URLs: `/pictures/<key>?expires=<unix seconds>&signature=<hex>` (the key's
 * `/` written as `~`), where the signature is HMAC-SHA256 with the platform secret over a
 * fixed label, the key and the expiry (Web Crypto). Anyone holding the URL may fetch the
 * picture until it expires, without an access token; changing the key or the expiry breaks
 * the signature.
 */
import { constantTimeEqual } from '../auth/secrets.ts';
import { ArgusError, errorCodes } from '../errors.ts';

/** How long a picture URL works: 5 minutes. */
export const pictureUrlTtlSeconds = 300;

/** The query a signed picture URL carries. */
export interface PictureSignature {
  readonly expires: number;
  readonly signature: string;
}

// A label of its own, so that no other HMAC made with the platform secret verifies here.
const label = 'argus-picture-url-v1';
const encoder = new TextEncoder();

export class PictureUrlSigner {
  readonly #key: Promise<CryptoKey>;

  constructor(secret: string) {
    this.#key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
  }

  /** The signature of `key` for a URL that expires at `now` + the TTL. */
  async sign(key: string, now: Date): Promise<PictureSignature> {
    const expires = Math.floor(now.getTime() / 1000) + pictureUrlTtlSeconds;
    return { expires, signature: await this.#mac(key, expires) };
  }

  /**
   * Checks a URL's query for `key` at `now`.
   * @throws ArgusError FORBIDDEN where the expiry or signature is missing, does not match, or
   * has passed
   */
  async verify(key: string, query: { expires?: string; signature?: string }, now: Date) {
    const expires = Number(query.expires);
    if (!/^\d{1,12}$/.test(query.expires ?? '') || query.signature === undefined) {
      throw forbidden('the URL carries no expiry or signature');
    }
    const expected = await this.#mac(key, expires);
    if (!constantTimeEqual(expected, query.signature)) {
      throw forbidden('the signature does not match');
    }
    if (now.getTime() > expires * 1000) {
      throw forbidden(`the URL expired at ${new Date(expires * 1000).toISOString()}`);
    }
  }

  async #mac(key: string, expires: number): Promise<string> {
    const message = encoder.encode(`${label}\n${key}\n${expires}`);
    const mac = await crypto.subtle.sign('HMAC', await this.#key, message);
    return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
}

function forbidden(reason: string): ArgusError {
  return new ArgusError(errorCodes.FORBIDDEN, `Cannot serve picture: ${reason}`);
}

/**
 * The path and query of a signed picture URL (relative to the API's origin). The key is one
 * path segment, its `/` written as `~` (which keys never contain), so that a router needs no
 * wildcard for it.
 */
export function picturePath(key: string, signature: PictureSignature): string {
  const query = `expires=${signature.expires}&signature=${signature.signature}`;
  return `/pictures/${key.replaceAll('/', '~')}?${query}`;
}

/** The storage key of a picture URL's path segment. */
export function pictureKeyOfSegment(segment: string): string {
  return segment.replaceAll('~', '/');
}
