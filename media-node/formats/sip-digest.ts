/**
 * SIP Digest authentication with MD5 or SHA-256 (RFC 2617 §3.2, RFC 3261 §22.4, RFC 7616
 * §3.4, RFC 8760): the platform's challenge and check, and the device side's answer. Pure: the
 * caller owns nonces and clocks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ArgusError, errorCodes } from '../../src/errors.ts';

/** The digest algorithms Argus computes; `-sess` variants are refused. */
export type DigestAlgorithmName = 'MD5' | 'SHA-256';

/** Options of a challenge: `qop="auth"` (RFC 2617) is offered only where asked for. */
export interface ChallengeOptions {
  /** MD5 where absent. */
  algorithm?: DigestAlgorithmName;
  qop?: boolean;
  opaque?: string;
  stale?: boolean;
}

/** A WWW-Authenticate value: `Digest realm="…", nonce="…", algorithm=MD5[, qop="auth"]`. */
export function buildChallenge(
  realm: string,
  nonce: string,
  options: ChallengeOptions = {},
): string {
  const algorithm = options.algorithm ?? 'MD5';
  let value = `Digest realm=${quote(realm)}, nonce=${quote(nonce)}, algorithm=${algorithm}`;
  if (options.qop === true) value += ', qop="auth"';
  if (options.opaque !== undefined) value += `, opaque=${quote(options.opaque)}`;
  if (options.stale === true) value += ', stale=TRUE';
  return value;
}

/** A parsed WWW-Authenticate or Proxy-Authenticate Digest challenge. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm?: string;
  /** The qop options offered, e.g. ['auth', 'auth-int']. */
  qop?: string[];
  opaque?: string;
  stale?: boolean;
}

/**
 * Parses a Digest challenge (RFC 2617 §3.2.1).
 * @throws ArgusError SIP_MALFORMED where the scheme is not Digest or realm or nonce is missing
 */
export function parseChallenge(value: string): DigestChallenge {
  const params = parseDigestParams(value, 'WWW-Authenticate');
  const challenge: DigestChallenge = {
    realm: required(params, 'realm', 'WWW-Authenticate'),
    nonce: required(params, 'nonce', 'WWW-Authenticate'),
  };
  const { algorithm, qop, opaque, stale } = params;
  if (algorithm !== undefined) challenge.algorithm = algorithm;
  if (qop !== undefined) challenge.qop = qop.split(',').map((q) => q.trim().toLowerCase());
  if (opaque !== undefined) challenge.opaque = opaque;
  if (stale !== undefined) challenge.stale = stale.toLowerCase() === 'true';
  return challenge;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

const OPTIONAL_FIELDS = ['algorithm', 'qop', 'nc', 'cnonce', 'opaque'] as const;

/**
 * Parses an Authorization or Proxy-Authorization Digest value (RFC 2617 §3.2.2).
 * @throws ArgusError SIP_MALFORMED where the scheme is not Digest or a required field is missing
 */
export function parseAuthorization(value: string): DigestCredentials {
  const params = parseDigestParams(value, 'Authorization');
  const credentials: DigestCredentials = {
    username: required(params, 'username', 'Authorization'),
    realm: required(params, 'realm', 'Authorization'),
    nonce: required(params, 'nonce', 'Authorization'),
    uri: required(params, 'uri', 'Authorization'),
    response: required(params, 'response', 'Authorization'),
  };
  for (const field of OPTIONAL_FIELDS) {
    const fieldValue = params[field];
    if (fieldValue !== undefined) credentials[field] = fieldValue;
  }
  return credentials;
}

/** Writes an Authorization value from credentials (the device side; also for tests). */
export function formatAuthorization(c: DigestCredentials): string {
  const parts = [
    `username=${quote(c.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(c.uri)}`,
    `response=${quote(c.response)}`,
    `algorithm=${c.algorithm ?? 'MD5'}`,
  ];
  if (c.qop !== undefined)
    parts.push(`qop=${c.qop}`, `nc=${c.nc ?? ''}`, `cnonce=${quote(c.cnonce ?? '')}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * True where the credentials' response matches `password` for `method`. Compares in constant
 * time. Only `algorithm` (MD5 where not given; credentials without an algorithm are MD5, RFC
 * 2617 §3.2.2) with no qop or qop=auth is accepted; anything else is false. The caller checks
 * realm, nonce freshness and username against its own records.
 */
export function verifyDigest(
  c: DigestCredentials,
  method: string,
  password: string,
  algorithm: DigestAlgorithmName = 'MD5',
): boolean {
  if (algorithmOf(c) !== algorithm) return false;
  if (c.qop !== undefined && (c.qop !== 'auth' || c.nc === undefined || c.cnonce === undefined)) {
    return false;
  }
  const expected = Buffer.from(computeDigestResponse(c, method, password), 'latin1');
  const given = Buffer.from(c.response.toLowerCase(), 'latin1');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The digest `response` (lower-case hex) for the given fields, method and password, with the
 * credentials' algorithm (MD5 where absent).
 * @throws ArgusError SIP_MALFORMED for an algorithm other than MD5 and SHA-256
 */
export function computeDigestResponse(
  c: Omit<DigestCredentials, 'response'>,
  method: string,
  password: string,
): string {
  const algorithm = algorithmOf(c);
  if (algorithm === undefined) {
    throw malformed('Authorization', `unsupported algorithm: ${JSON.stringify(c.algorithm)}`);
  }
  const hash = (text: string) => digestHex(algorithm, text);
  const ha1 = hash(`${c.username}:${c.realm}:${password}`);
  const ha2 = hash(`${method}:${c.uri}`);
  if (c.qop === undefined) return hash(`${ha1}:${c.nonce}:${ha2}`);
  return hash(`${ha1}:${c.nonce}:${c.nc ?? ''}:${c.cnonce ?? ''}:${c.qop}:${ha2}`);
}

/** The credentials' algorithm, MD5 where absent; undefined for one Argus does not compute. */
function algorithmOf(c: { algorithm?: string }): DigestAlgorithmName | undefined {
  const name = (c.algorithm ?? 'MD5').toUpperCase();
  return name === 'MD5' || name === 'SHA-256' ? name : undefined;
}

function digestHex(algorithm: DigestAlgorithmName, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text, 'utf8')
    .digest('hex');
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

function malformed(header: string, reason: string): ArgusError {
  return new ArgusError(errorCodes.SIP_MALFORMED, `Cannot parse ${header}: ${reason}`);
}

function required(params: Record<string, string>, name: string, header: string): string {
  const value = params[name];
  if (value === undefined) throw malformed(header, `missing ${name}`);
  return value;
}

/**
 * Reads `Digest a=b, c="d"` into lower-case names and unquoted values. Unknown names are
 * kept; a repeated name keeps its first value.
 */
function parseDigestParams(value: string, header: string): Record<string, string> {
  const scheme = /^\s*([A-Za-z][\w-]*)\s+/.exec(value);
  if (scheme === null || scheme[1]?.toLowerCase() !== 'digest') {
    throw malformed(header, `scheme is not Digest: ${JSON.stringify(value.slice(0, 20))}`);
  }
  const params = new Map<string, string>();
  let rest = value.slice(scheme[0].length);
  while (rest.trim() !== '') {
    const pair = /^\s*,?\s*([\w-]+)\s*=\s*/.exec(rest);
    if (pair === null) throw malformed(header, 'invalid parameter list');
    rest = rest.slice(pair[0].length);
    const read = readParamValue(rest, header);
    const name = (pair[1] ?? '').toLowerCase();
    if (!params.has(name)) params.set(name, read.value);
    rest = read.rest;
  }
  return Object.fromEntries(params);
}

function readParamValue(text: string, header: string): { value: string; rest: string } {
  if (!text.startsWith('"')) {
    const token = /^[^\s,"]*/.exec(text)?.[0] ?? '';
    return { value: token, rest: text.slice(token.length).replace(/^\s*(,|$)/, '') };
  }
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') return { value, rest: text.slice(i + 1).replace(/^\s*(,|$)/, '') };
    if (ch === '\\') i++;
    value += text[i] ?? '';
  }
  throw malformed(header, 'unterminated quoted string');
}
