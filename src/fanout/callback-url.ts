/**
 * Which callback URLs Argus may post to. A callback makes the platform send requests on a
 * caller's behalf, so URLs aiming at the platform's own network (loopback, link-local,
 * private, shared and reserved ranges, IPv4 and IPv6) are refused unless the operator allows
 * them (SSRF). Literal addresses are checked as the WHATWG URL parser normalises them (so
 * `http://2130706433/` is 127.0.0.1); host names are checked through `resolveHost` where the
 * runtime provides one.
 */
import { ArgusError, errorCodes } from '../errors.ts';

export interface CallbackUrlPolicy {
  /** Allow private and loopback destinations (`ARGUS_CALLBACK_ALLOW_PRIVATE`). */
  readonly allowPrivate: boolean;
  /** The addresses a host name resolves to; without it only literal addresses are checked. */
  readonly resolveHost?: (host: string) => Promise<readonly string[]>;
}

/** Longest callback URL accepted (IVM: 256 characters). */
export const maxCallbackUrlLength = 256;

/**
 * Parses and checks a callback URL.
 * @throws ArgusError VALIDATION for a malformed URL, a scheme other than http(s), credentials
 * in the URL, or a private destination the policy does not allow
 */
export async function checkCallbackUrl(text: string, policy: CallbackUrlPolicy): Promise<URL> {
  const url = parseCallbackUrl(text);
  if (policy.allowPrivate) return url;

  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = privateRange(host);
  if (literal !== undefined) throw refused(host, literal);
  if (isLocalhostName(host)) throw refused(host, 'loopback');
  if (isIpLiteral(host) || policy.resolveHost === undefined) return url;

  for (const address of await policy.resolveHost(host)) {
    const range = privateRange(address);
    if (range !== undefined) throw refused(`${host} (${address})`, range);
  }
  return url;
}

function parseCallbackUrl(text: string): URL {
  if (text.length > maxCallbackUrlLength) {
    throw invalid(`longer than ${maxCallbackUrlLength} characters`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`scheme ${url.protocol} is not http or https`);
  }
  if (url.username !== '' || url.password !== '') throw invalid('it carries credentials');
  return url;
}

function invalid(reason: string): ArgusError {
  return new ArgusError(errorCodes.VALIDATION, `Cannot accept callback_url: ${reason}`);
}

function refused(host: string, range: string): ArgusError {
  return new ArgusError(
    errorCodes.VALIDATION,
    `Cannot accept callback_url: ${host} is a ${range} address, which this platform does not call`,
    { host, range },
  );
}

function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== undefined || host.includes(':');
}

/** The name of the non-public range `address` lies in, undefined for a public address. */
export function privateRange(address: string): string | undefined {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return ipv4Range(v4);
  const v6 = parseIpv6(address);
  return v6 === undefined ? undefined : ipv6Range(v6);
}

/** [prefix, prefix length, name] of the IPv4 ranges that are not the public Internet. */
const ipv4Ranges: readonly [number, number, string][] = [
  [0x00000000, 8, 'unspecified'],
  [0x0a000000, 8, 'private'],
  [0x64400000, 10, 'shared (CGNAT)'],
  [0x7f000000, 8, 'loopback'],
  [0xa9fe0000, 16, 'link-local'],
  [0xac100000, 12, 'private'],
  [0xc0000000, 24, 'reserved'],
  [0xc0a80000, 16, 'private'],
  [0xc6120000, 15, 'benchmarking'],
  [0xe0000000, 4, 'multicast'],
  [0xf0000000, 4, 'reserved'],
];

function ipv4Range(address: number): string | undefined {
  for (const [prefix, length, name] of ipv4Ranges) {
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    if ((address & mask) >>> 0 === prefix) return name;
  }
  return undefined;
}

/** Dotted-quad IPv4 (the form URL normalises every IPv4 host to) as a 32-bit number. */
function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return undefined;
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function ipv6Range(words: readonly number[]): string | undefined {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = words;
  const embeddedV4 = w6 * 0x10000 + w7;
  const zeroTo4 = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0;
  if (zeroTo4 && w5 === 0xffff) return ipv4Range(embeddedV4);
  if (zeroTo4 && w5 === 0 && w6 === 0 && w7 <= 1) return w7 === 1 ? 'loopback' : 'unspecified';
  // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96) carry an IPv4 address.
  if (zeroTo4 && w5 === 0) return ipv4Range(embeddedV4) ?? 'reserved';
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return ipv4Range(embeddedV4);
  }
  if ((w0 & 0xfe00) === 0xfc00) return 'unique local';
  if ((w0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((w0 & 0xffc0) === 0xfec0) return 'site-local';
  if ((w0 & 0xff00) === 0xff00) return 'multicast';
  if (w0 === 0x2001 && w1 === 0x0db8) return 'documentation';
  return undefined;
}

/** An IPv6 address (with `::` and an optional dotted IPv4 tail) as eight 16-bit words. */
function parseIpv6(text: string): number[] | undefined {
  if (!text.includes(':') || text.includes('%')) return undefined;
  const [head = '', tail, extra] = text.split('::');
  if (extra !== undefined) return undefined;
  const headWords = ipv6Words(head);
  const tailWords = tail === undefined ? [] : ipv6Words(tail);
  if (headWords === undefined || tailWords === undefined) return undefined;

  const missing = 8 - headWords.length - tailWords.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...headWords, ...new Array<number>(missing).fill(0), ...tailWords];
}

function ipv6Words(part: string): number[] | undefined {
  if (part === '') return [];
  const groups = part.split(':');
  const words: number[] = [];
  for (const [index, group] of groups.entries()) {
    const v4 = index === groups.length - 1 ? parseIpv4(group) : undefined;
    if (v4 !== undefined) {
      words.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-f]{1,4}$/i.test(group)) {
      words.push(parseInt(group, 16));
    } else {
      return undefined;
    }
  }
  return words;
}
