/**
 * Web Push messages with Web Crypto only: the payload encrypted for the browser's
 * subscription (RFC 8291, in the `aes128gcm` content coding of RFC 8188), and the request
 * authorised with VAPID (RFC 8292: an ES256 JWT for the push service's origin, and the
 * application server's public key).
 */
import { importJWK, SignJWT } from 'jose';

import { ArgusError, errorCodes } from '../../errors.ts';

/** The application server's VAPID key pair. */
export interface VapidKeys {
  /** The uncompressed P-256 point, base64url: what browsers subscribe with. */
  readonly publicKey: string;
  /** The private key as a JWK (kty EC, crv P-256, with `d`). */
  readonly privateJwk: JsonWebKey;
}

/** The browser's keys of one subscription (base64url). */
export interface PushTarget {
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
}

/** RFC 8188 record size Argus writes: one record holds the whole message. */
const recordSize = 4096;
/** Largest plaintext of one record: the record size less the tag (16) and the delimiter. */
export const maxPushPlaintext = recordSize - 16 - 1;
/** How long a VAPID token is good for; RFC 8292 §2 allows at most 24 hours. */
const vapidTtlSeconds = 12 * 3600;

const encoder = new TextEncoder();

/** A new VAPID key pair. */
export async function generateVapidKeys(): Promise<VapidKeys> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return { publicKey: base64url(raw), privateJwk };
}

/**
 * The body of a push message: `payload` encrypted for `target` (RFC 8291 §3.4): an ephemeral
 * ECDH key, the browser's auth secret and a random salt derive the content key and nonce.
 * @throws ArgusError VALIDATION where the subscription's keys are malformed or the payload
 * does not fit one record
 */
export async function encryptPushPayload(
  target: PushTarget,
  payload: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  if (payload.length > maxPushPlaintext) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot encrypt push message: ${payload.length} bytes is over ${maxPushPlaintext}`,
    );
  }
  const uaPublic = fromBase64url(target.p256dh, 'p256dh');
  const authSecret = fromBase64url(target.auth, 'auth');
  if (uaPublic.length !== 65 || uaPublic[0] !== 4 || authSecret.length !== 16) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      'Cannot encrypt push message: p256dh must be a 65-byte P-256 point and auth 16 bytes',
    );
  }
  const ecdh = { name: 'ECDH', namedCurve: 'P-256' } as const;
  const ua = await crypto.subtle.importKey('raw', uaPublic, ecdh, false, []);
  const local = (await crypto.subtle.generateKey(ecdh, true, ['deriveBits'])) as CryptoKeyPair;
  const asPublic = new Uint8Array(await crypto.subtle.exportKey('raw', local.publicKey));
  const ecdhSecret = new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'ECDH', public: ua }, local.privateKey, 256),
  );

  // RFC 8291 §3.3: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0 || ua || as, 32).
  const keyInfo = concat(encoder.encode('WebPush: info\0'), uaPublic, asPublic);
  const ikm = await hkdf(authSecret, ecdhSecret, keyInfo, 32);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  // RFC 8188 §2.2 and §2.3: the content-encryption key and the nonce.
  const cek = await hkdf(salt, ikm, encoder.encode('Content-Encoding: aes128gcm\0'), 16);
  const nonce = await hkdf(salt, ikm, encoder.encode('Content-Encoding: nonce\0'), 12);

  // One record, the last: the payload and the delimiter 2 (RFC 8188 §2).
  const padded = concat(payload, new Uint8Array([2]));
  const key = await crypto.subtle.importKey('raw', cek, 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, padded),
  );
  return concat(header(salt, asPublic), sealed);
}

/** RFC 8188 §2.1: salt (16), record size (uint32), key id length (1), key id. */
function header(salt: Uint8Array, keyId: Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(16 + 4 + 1 + keyId.length);
  bytes.set(salt, 0);
  new DataView(bytes.buffer).setUint32(16, recordSize);
  bytes[20] = keyId.length;
  bytes.set(keyId, 21);
  return bytes;
}

/**
 * The `Authorization` header of a push request (RFC 8292 §3): `vapid t=<JWT>, k=<key>`, the
 * token's audience being the push service's origin.
 */
export async function vapidAuthorization(
  endpoint: string,
  keys: VapidKeys,
  subject: string,
  now: Date,
): Promise<string> {
  const key = await importJWK({ ...keys.privateJwk, alg: 'ES256' } as never, 'ES256');
  const token = await new SignJWT({})
    .setProtectedHeader({ typ: 'JWT', alg: 'ES256' })
    .setAudience(new URL(endpoint).origin)
    .setExpirationTime(Math.floor(now.getTime() / 1000) + vapidTtlSeconds)
    .setSubject(subject)
    .sign(key);
  return `vapid t=${token}, k=${keys.publicKey}`;
}

/** HKDF-SHA-256 (RFC 5869) through Web Crypto. */
async function hkdf(
  salt: Uint8Array<ArrayBuffer>,
  ikm: Uint8Array<ArrayBuffer>,
  info: Uint8Array<ArrayBuffer>,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const params = { name: 'HKDF', hash: 'SHA-256', salt, info };
  return new Uint8Array(await crypto.subtle.deriveBits(params, key, length * 8));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string, field: string): Uint8Array<ArrayBuffer> {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, ''));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot encrypt push message: ${field} is not base64url`,
    );
  }
}
