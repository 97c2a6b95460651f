/**
 * Signatures on every message Argus posts (Web Crypto only), so a receiver can tell the body
 * came from this platform unchanged:
 *
 * - `X-Argus-Timestamp`: Unix time in seconds; `X-Argus-Signature`: `sha256=` and the hex
 *   HMAC-SHA256, keyed with the subscription's signing key, of `<timestamp>.<body>`.
 * - `X-Ivm-Timestamp` (the same time) and `X-Ivm-Signature`: the IVM form, hex SHA-256 of
 *   `<callback_url>|<timestamp>|<auth_key>`, sent where the subscription has an `auth_key`.
 *   It proves knowledge of the key but does not cover the body.
 */
const encoder = new TextEncoder();

export const signatureHeaders = {
  timestamp: 'X-Argus-Timestamp',
  signature: 'X-Argus-Signature',
  ivmTimestamp: 'X-Ivm-Timestamp',
  ivmSignature: 'X-Ivm-Signature',
} as const;

/** `sha256=<hex HMAC-SHA256(key, timestamp + "." + body)>`. */
export async function argusSignature(
  key: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const hmacKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', hmacKey, encoder.encode(`${timestamp}.${body}`));
  return `sha256=${toHex(new Uint8Array(mac))}`;
}

/** Hex SHA-256 of `<callbackUrl>|<timestamp>|<authKey>` (IVM message push). */
export async function ivmSignature(
  callbackUrl: string,
  timestamp: string,
  authKey: string,
): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    encoder.encode(`${callbackUrl}|${timestamp}|${authKey}`),
  );
  return toHex(new Uint8Array(digest));
}

/** What a message needs to be signed: the key, and whether it is the caller's IVM auth_key. */
export interface SigningInput {
  readonly callbackUrl: string;
  readonly signingKey: string;
  readonly keySource: string;
}

/** The headers of one post of `body` at `now`. */
export async function signedHeaders(
  input: SigningInput,
  body: string,
  now: Date,
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    [signatureHeaders.timestamp]: timestamp,
    [signatureHeaders.signature]: await argusSignature(input.signingKey, timestamp, body),
  };
  if (input.keySource === 'auth_key') {
    headers[signatureHeaders.ivmTimestamp] = timestamp;
    headers[signatureHeaders.ivmSignature] = await ivmSignature(
      input.callbackUrl,
      timestamp,
      input.signingKey,
    );
  }
  return headers;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
