/** Secret keys are stored only as salted PBKDF2-SHA256 hashes (Web Crypto). */

const iterations = 100_000;
const encoder = new TextEncoder();

export function randomToken(bytes: number, alphabet = 'hex'): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  if (alphabet === 'digits') return [...raw].map((b) => String(b % 10)).join('');
  return [...raw].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function derive(
  secret: string,
  salt: Uint8Array<ArrayBuffer>,
  rounds: number,
): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: rounds },
    key,
    256,
  );
  return toHex(new Uint8Array(bits));
}

/** `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>` */
export async function hashSecret(secret: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return `pbkdf2-sha256$${iterations}$${toHex(salt)}$${await derive(secret, salt, iterations)}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, rounds, saltHex, hash] = stored.split('$');
  if (scheme !== 'pbkdf2-sha256' || rounds === undefined || saltHex === undefined || !hash) {
    return false;
  }
  const candidate = await derive(secret, fromHex(saltHex), Number(rounds));
  return constantTimeEqual(candidate, hash);
}

export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
