/**
 * SIP messages as values (RFC 3261 §7, §20): bytes to a request or response and back, and the
 * header grammars a GB/T 28181 platform reads (Via, name-addr, CSeq). Pure: no I/O.
 *
 * Every failure on device input is an `ArgusError` with code SIP_MALFORMED or SIP_TOO_LARGE.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import { SIP_MAX_HEADERS, SIP_MAX_MESSAGE_BYTES } from './limits.ts';

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Uint8Array;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §25.1 `token` characters, as a regular expression character class body. */
const TOKEN_CHARS = "A-Za-z0-9\\-.!%*_+`'~";
const TOKEN = new RegExp(`^[${TOKEN_CHARS}]+$`);
const REQUEST_LINE = new RegExp(
  `^([${TOKEN_CHARS}]+) ([A-Za-z][A-Za-z0-9+.\\-]*:\\S+) SIP/2\\.0$`,
  'i',
);
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/i;
const MAX_CSEQ = 2 ** 31 - 1;

/** RFC 3261 §7.3.3 compact forms, plus the ones later RFCs registered. */
const COMPACT_FORMS = new Map<string, string>([
  ['i', 'Call-ID'],
  ['f', 'From'],
  ['t', 'To'],
  ['v', 'Via'],
  ['m', 'Contact'],
  ['l', 'Content-Length'],
  ['c', 'Content-Type'],
  ['k', 'Supported'],
  ['s', 'Subject'],
  ['e', 'Content-Encoding'],
  ['o', 'Event'],
  ['r', 'Refer-To'],
  ['b', 'Referred-By'],
  ['u', 'Allow-Events'],
  ['x', 'Session-Expires'],
  ['y', 'Identity'],
  ['n', 'Identity-Info'],
]);

const KNOWN_NAMES = [
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Max-Forwards',
  'MIME-Version',
  'Min-Expires',
  'Organization',
  'Path',
  'Priority',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'Reason',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reply-To',
  'Require',
  'Retry-After',
  'Route',
  'Server',
  'Service-Route',
  'Session-Expires',
  'Subject',
  'Subscription-State',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];
const CANONICAL_NAMES = new Map(KNOWN_NAMES.map((name) => [name.toLowerCase(), name]));

/**
 * Headers whose comma-separated values are separate header values (RFC 3261 §7.3.1). Others,
 * such as Authorization, Date and the GB/T 28181 Subject, keep their commas.
 */
const LIST_HEADERS = new Set(
  [
    'Accept',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Call-Info',
    'Contact',
    'Content-Encoding',
    'Content-Language',
    'Error-Info',
    'In-Reply-To',
    'Path',
    'Proxy-Require',
    'Record-Route',
    'Require',
    'Route',
    'Service-Route',
    'Supported',
    'Unsupported',
    'Via',
    'Warning',
  ].map((name) => name.toLowerCase()),
);

/** The spelling Argus writes for a header name: the long form, canonical case where known. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  const long = COMPACT_FORMS.get(lower) ?? name;
  return CANONICAL_NAMES.get(long.toLowerCase()) ?? long;
}

function headerKey(name: string): string {
  return canonicalHeaderName(name).toLowerCase();
}

function malformed(reason: string, details: Record<string, unknown> = {}): ArgusError {
  return new ArgusError(errorCodes.SIP_MALFORMED, `Cannot parse SIP message: ${reason}`, details);
}

/** Shortens device input quoted in an error message. */
function excerpt(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/**
 * The header fields of a SIP message, in wire order. Names match case-insensitively and in
 * compact form; output uses the canonical long names (unknown names as written). Values never
 * hold line breaks.
 */
export class SipHeaders {
  readonly #fields: { key: string; name: string; value: string }[] = [];

  constructor(init: Iterable<readonly [string, string]> = []) {
    for (const [name, value] of init) this.append(name, value);
  }

  /** The first value of `name` (the first element of a list header such as Via). */
  get(name: string): string | undefined {
    return this.getAll(name)[0];
  }

  /** Every value of `name`; list headers (Via, Contact, Route, …) split at top-level commas. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const values = this.#fields.filter((f) => f.key === key).map((f) => f.value);
    return LIST_HEADERS.has(key) ? values.flatMap(splitHeaderList) : values;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.#fields.some((f) => f.key === key);
  }

  /** Replaces every line of `name` with one line holding `value`, where the first one stood. */
  set(name: string, value: string): void {
    const key = headerKey(name);
    const index = this.#fields.findIndex((f) => f.key === key);
    if (index === -1) {
      this.append(name, value);
      return;
    }
    this.delete(name);
    this.#fields.splice(index, 0, makeField(name, value));
  }

  append(name: string, value: string): void {
    this.#fields.push(makeField(name, value));
  }

  delete(name: string): void {
    const key = headerKey(name);
    for (let i = this.#fields.length - 1; i >= 0; i--) {
      if (this.#fields[i]?.key === key) this.#fields.splice(i, 1);
    }
  }

  /** The header lines in order, one entry per line as received or added. */
  entries(): [string, string][] {
    return this.#fields.map((f) => [f.name, f.value]);
  }

  get size(): number {
    return this.#fields.length;
  }
}

function makeField(name: string, value: string): { key: string; name: string; value: string } {
  if (!TOKEN.test(name)) {
    throw malformed(`header name is not a token: ${excerpt(name)}`);
  }
  if (/[\r\n]/.test(value)) {
    throw malformed(`header value holds a line break: ${excerpt(name)}`);
  }
  const canonical = canonicalHeaderName(name);
  return { key: canonical.toLowerCase(), name: canonical, value };
}

/** Splits `value` at `separator` where it stands outside quoted strings and `<…>`. */
function splitOutside(value: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle = true;
    else if (ch === '>') angle = false;
    else if (ch === separator && !angle) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

function splitHeaderList(value: string): string[] {
  return splitOutside(value, ',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/**
 * The end of the header section: the offset just past the empty line (CRLF CRLF, or a bare
 * LF LF from lax devices), or -1 where the bytes hold no empty line yet. Searches from `from`.
 */
export function findHeaderEnd(bytes: Uint8Array, from = 0): number {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** Leading CRLFs before a start line are ignored (RFC 3261 §7.5). */
function skipLeadingLineBreaks(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x0d || bytes[i] === 0x0a)) i++;
  return i;
}

const utf8 = new TextDecoder('utf-8');

/**
 * Parses one SIP message (RFC 3261 §7). Bytes past Content-Length are discarded, as on UDP
 * (§18.3); where Content-Length is absent the body runs to the end. Requires Via, From, To,
 * Call-ID and CSeq, and checks that the top Via, From, To and CSeq parse.
 * @throws ArgusError SIP_TOO_LARGE past SIP_MAX_MESSAGE_BYTES or SIP_MAX_HEADERS lines;
 *   SIP_MALFORMED on anything else it cannot read.
 */
export function parseSipMessage(bytes: Uint8Array): SipMessage {
  if (bytes.length > SIP_MAX_MESSAGE_BYTES) {
    throw new ArgusError(
      errorCodes.SIP_TOO_LARGE,
      `Cannot parse SIP message: too large: ${bytes.length} > ${SIP_MAX_MESSAGE_BYTES} bytes`,
    );
  }
  const start = skipLeadingLineBreaks(bytes);
  const headerEnd = findHeaderEnd(bytes, start);
  if (headerEnd === -1) throw malformed('headers are not ended by an empty line');

  const lines = unfoldLines(utf8.decode(bytes.subarray(start, headerEnd)));
  const startLine = lines.shift() ?? '';
  const headers = parseHeaderLines(lines);
  const body = readBody(bytes.subarray(headerEnd), headers);

  const message = parseStartLine(startLine, headers, body);
  checkRequiredHeaders(message);
  return message;
}

/** Splits the header section into logical lines, joining folded continuation lines (§7.3.1). */
function unfoldLines(head: string): string[] {
  const physical = head.split(/\r?\n/);
  const lines: string[] = [];
  for (const line of physical) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (lines.length < 2) throw malformed(`continuation line without a header: ${excerpt(line)}`);
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else {
      lines.push(line);
    }
  }
  return lines;
}

function parseHeaderLines(lines: string[]): SipHeaders {
  if (lines.length > SIP_MAX_HEADERS) {
    throw new ArgusError(
      errorCodes.SIP_TOO_LARGE,
      `Cannot parse SIP message: too many header lines: ${lines.length} > ${SIP_MAX_HEADERS}`,
    );
  }
  const headers = new SipHeaders();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) throw malformed(`header line without a colon: ${excerpt(line)}`);
    const name = line.slice(0, colon).trim();
    if (!TOKEN.test(name)) throw malformed(`header name is not a token: ${excerpt(name)}`);
    headers.append(name, line.slice(colon + 1).trim());
  }
  return headers;
}

function readBody(rest: Uint8Array, headers: SipHeaders): Uint8Array {
  const values = headers.getAll('Content-Length');
  if (values.length === 0) return rest.slice();
  if (values.length > 1) throw malformed(`more than one Content-Length: ${values.join(', ')}`);

  const length = parseContentLength(values[0] ?? '');
  if (length > rest.length) {
    throw malformed(`Content-Length larger than the body: ${length} > ${rest.length}`);
  }
  return rest.slice(0, length);
}

/** A Content-Length value: decimal digits only. */
export function parseContentLength(value: string): number {
  const trimmed = value.trim();
  if (!/^\d{1,9}$/.test(trimmed)) throw malformed(`invalid Content-Length: ${excerpt(value)}`);
  return Number(trimmed);
}

function parseStartLine(line: string, headers: SipHeaders, body: Uint8Array): SipMessage {
  const status = STATUS_LINE.exec(line);
  if (status !== null) {
    return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', headers, body };
  }
  const request = REQUEST_LINE.exec(line);
  if (request !== null) {
    return { kind: 'request', method: request[1] ?? '', uri: request[2] ?? '', headers, body };
  }
  throw malformed(`invalid start line: ${excerpt(line)}`);
}

const REQUIRED_HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];

/** Headers a message carries at most once (RFC 3261 §20; RFC 4475 §3.3.9 multi01). */
const SINGLE_HEADERS = ['From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Type'];

/** An RFC 1123 date whose zone is not GMT (RFC 3261 §20.17; RFC 4475 §3.1.2.12 baddate). */
const NON_GMT_DATE = /^\w{3},\s*\d{1,2}\s+\w{3}\s+\d{4}\s+\d{2}:\d{2}:\d{2}\s+(?!GMT$)\S+$/i;

function checkRequiredHeaders(message: SipMessage): void {
  for (const name of REQUIRED_HEADERS) {
    if (!message.headers.get(name)) throw malformed(`missing ${name} header`);
  }
  for (const name of SINGLE_HEADERS) {
    const count = message.headers.getAll(name).length;
    if (count > 1) throw malformed(`more than one ${name} header: ${count}`);
  }
  const cseq = parseCSeq(message.headers.get('CSeq') ?? '');
  if (message.kind === 'request' && cseq.method !== message.method) {
    throw malformed(
      `CSeq method differs from the request method: ${cseq.method} ≠ ${message.method}`,
    );
  }
  // Every Via, not only the top one: `Via: …;;,;,,` is refused (RFC 4475 §3.1.2.1 badinv01).
  for (const via of message.headers.getAll('Via')) parseVia(via);
  parseNameAddr(message.headers.get('From') ?? '');
  parseNameAddr(message.headers.get('To') ?? '');
  for (const contact of message.headers.getAll('Contact')) {
    if (contact !== '*') parseNameAddr(contact);
  }
  const date = message.headers.get('Date');
  if (date !== undefined && NON_GMT_DATE.test(date.trim())) {
    throw malformed(`Date not in GMT: ${excerpt(date)}`);
  }
  if (message.kind === 'request') checkRequestUri(message.uri);
}

/** What follows the user part of a URI (`@…`); the user part may hold `?` and `,` (§25.1). */
function afterUser(uri: string): string {
  const at = uri.lastIndexOf('@');
  return at === -1 ? uri : uri.slice(at + 1);
}

/**
 * A SIP Request-URI carries no headers (RFC 3261 §19.1.5; RFC 4475 §3.1.2.11 escruri): they
 * belong in the request itself.
 */
function checkRequestUri(uri: string): void {
  if (/^sips?:/i.test(uri) && /[?]/.test(afterUser(uri))) {
    throw malformed(`Request-URI with headers: ${excerpt(uri)}`);
  }
}

const encoder = new TextEncoder();

/**
 * Writes a SIP message with CRLF line ends. Content-Length is set to the body length, in
 * place where the message has one, else as the last header.
 */
export function serializeSipMessage(m: SipMessage): Uint8Array {
  const startLine =
    m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [startLine];
  let wroteLength = false;
  for (const [name, value] of m.headers.entries()) {
    if (name !== 'Content-Length') lines.push(`${name}: ${value}`);
    else if (!wroteLength) lines.push(`Content-Length: ${m.body.length}`);
    wroteLength ||= name === 'Content-Length';
  }
  if (!wroteLength) lines.push(`Content-Length: ${m.body.length}`);

  const head = encoder.encode(`${lines.join('\r\n')}\r\n\r\n`);
  const out = new Uint8Array(head.length + m.body.length);
  out.set(head);
  out.set(m.body, head.length);
  return out;
}

/** Header parameters (`;name=value`), names in lower case, `true` where a name has no value. */
export type SipParams = Record<string, string | true>;

function setParam(params: SipParams, name: string, value: string | true): void {
  // defineProperty: a parameter named __proto__ must stay a plain own property
  Object.defineProperty(params, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Parses `;a=1;b;c="x"` segments (already split at `;`) into parameters. */
function parseParams(segments: string[], what: string): SipParams {
  const params: SipParams = {};
  for (const segment of segments) {
    const eq = segment.indexOf('=');
    const name = (eq === -1 ? segment : segment.slice(0, eq)).trim().toLowerCase();
    // `;;` and a trailing `;` are tolerated: devices write them
    if (segment.trim() === '') continue;
    if (!TOKEN.test(name)) throw malformed(`invalid ${what} parameter: ${excerpt(segment)}`);
    const value = eq === -1 ? true : segment.slice(eq + 1).trim();
    if (value === '') throw malformed(`empty ${what} parameter value: ${excerpt(segment)}`);
    setParam(params, name, value);
  }
  return params;
}

function formatParams(params: SipParams): string {
  return Object.entries(params)
    .map(([name, value]) => (value === true ? `;${name}` : `;${name}=${value}`))
    .join('');
}

/** A host with an optional port: `host`, `host:port`, `[v6]`, `[v6]:port`. */
function parseHostPort(text: string, what: string): { host: string; port?: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%]+)(?:\s*:\s*(\d{1,5}))?$/.exec(text.trim());
  const host = match?.[1];
  if (match === null || host === undefined)
    throw malformed(`invalid ${what} host: ${excerpt(text)}`);
  if (match[2] === undefined) return { host };

  const port = Number(match[2]);
  if (port > 65535) throw malformed(`invalid ${what} port: ${port}`);
  return { host, port };
}

/** One Via value (RFC 3261 §20.42, RFC 3581 rport). `params` holds the other parameters. */
export interface Via {
  transport: string;
  host: string;
  port?: number;
  branch?: string;
  rport?: number | true;
  received?: string;
  params: Record<string, string | true>;
}

const VIA_PROTOCOL = new RegExp(`^SIP\\s*/\\s*2\\.0\\s*/\\s*([${TOKEN_CHARS}]+)\\s+(.+)$`, 'i');

/** Parses one Via value; a header line with several values is split by `SipHeaders.getAll`. */
export function parseVia(value: string): Via {
  const [first = '', ...paramSegments] = splitOutside(value.trim(), ';');
  const protocol = VIA_PROTOCOL.exec(first.trim());
  if (protocol === null) throw malformed(`invalid Via: ${excerpt(value)}`);

  const { host, port } = parseHostPort(protocol[2] ?? '', 'Via');
  const params = parseParams(paramSegments, 'Via');
  const via: Via = { transport: (protocol[1] ?? '').toUpperCase(), host, params };
  if (port !== undefined) via.port = port;
  takeViaParams(via, params);
  return via;
}

function takeViaParams(via: Via, params: SipParams): void {
  const { branch, rport, received } = params;
  delete params['branch'];
  delete params['rport'];
  delete params['received'];
  if (typeof branch === 'string') via.branch = branch;
  if (typeof received === 'string') via.received = received;
  if (rport === true) via.rport = true;
  else if (rport !== undefined) {
    if (!/^\d{1,5}$/.test(rport) || Number(rport) > 65535) {
      throw malformed(`invalid Via rport: ${excerpt(rport)}`);
    }
    via.rport = Number(rport);
  }
}

/** Writes a Via value: sent-by, then rport, received, branch and the other parameters. */
export function formatVia(v: Via): string {
  let out = `SIP/2.0/${v.transport} ${v.host}${v.port === undefined ? '' : `:${v.port}`}`;
  if (v.rport !== undefined) out += v.rport === true ? ';rport' : `;rport=${v.rport}`;
  if (v.received !== undefined) out += `;received=${v.received}`;
  if (v.branch !== undefined) out += `;branch=${v.branch}`;
  return out + formatParams(v.params);
}

/** A SIP or SIPS URI's parts (RFC 3261 §19.1). `user` is percent-decoded. */
export interface SipUri {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params: Record<string, string | true>;
}

/**
 * Parses a `sip:` or `sips:` URI.
 * @throws ArgusError SIP_MALFORMED for another scheme or a bad host
 */
export function parseSipUri(uri: string): SipUri {
  const scheme = /^(sips?):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) throw malformed(`not a SIP URI: ${excerpt(uri)}`);

  // The user part may hold `;`, `?` and `/` but never a bare `@` (§25.1 `user`).
  const rest = uri.slice(scheme.length + 1);
  const at = rest.indexOf('@');
  const userInfo = at === -1 ? undefined : rest.slice(0, at);
  const [hostPort = '', ...paramSegments] = (rest.slice(at + 1).split('?')[0] ?? '').split(';');
  const { host, port } = parseHostPort(hostPort, 'URI');

  const parsed: SipUri = { scheme, host, params: parseParams(paramSegments, 'URI') };
  if (userInfo !== undefined) parsed.user = percentDecode(userInfo.split(':')[0] ?? '');
  if (port !== undefined) parsed.port = port;
  return parsed;
}

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** From, To and Contact values (RFC 3261 §20.10). `params` holds the parameters but the tag. */
export interface NameAddr {
  displayName?: string;
  uri: string;
  user?: string;
  host?: string;
  port?: number;
  tag?: string;
  params: Record<string, string | true>;
}

/** Reads a quoted-string at the start of `text`: its unescaped content and the rest. */
function readQuoted(text: string): { content: string; rest: string } {
  let content = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') return { content, rest: text.slice(i + 1) };
    if (ch === '\\') i++;
    content += text[i] ?? '';
  }
  throw malformed(`unterminated quoted string: ${excerpt(text)}`);
}

/** Parses `"Name" <uri>;params`, `Name <uri>;params`, `<uri>;params` or `uri;params`. */
export function parseNameAddr(value: string): NameAddr {
  let rest = value.trim();
  let displayName: string | undefined;
  if (rest.startsWith('"')) {
    const quoted = readQuoted(rest);
    displayName = quoted.content;
    rest = quoted.rest.trim();
    if (!rest.startsWith('<')) throw malformed(`display name without <URI>: ${excerpt(value)}`);
  }

  const open = rest.indexOf('<');
  let uri: string;
  let paramText: string;
  if (open === -1) {
    const semi = rest.indexOf(';');
    uri = (semi === -1 ? rest : rest.slice(0, semi)).trim();
    paramText = semi === -1 ? '' : rest.slice(semi + 1);
    // A URI with `,` or `?` must be written in <> (RFC 3261 §20; RFC 4475 §3.1.2.13 regbadct).
    if (/[?,]/.test(afterUser(uri)))
      throw malformed(`URI with , or ? outside <>: ${excerpt(value)}`);
  } else {
    const close = rest.indexOf('>', open);
    if (close === -1) throw malformed(`unclosed <URI>: ${excerpt(value)}`);
    const before = rest.slice(0, open).trim();
    if (before !== '') displayName = before;
    uri = rest.slice(open + 1, close);
    paramText = rest.slice(close + 1).trim();
    if (paramText !== '' && !paramText.startsWith(';')) {
      throw malformed(`text after <URI>: ${excerpt(value)}`);
    }
    paramText = paramText.slice(1);
  }
  return buildNameAddr(uri, displayName, paramText);
}

function buildNameAddr(uri: string, displayName: string | undefined, paramText: string): NameAddr {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) throw malformed(`invalid URI: ${excerpt(uri)}`);
  const params = parseParams(paramText === '' ? [] : splitOutside(paramText, ';'), 'header');
  const { tag } = params;
  delete params['tag'];

  const nameAddr: NameAddr = { uri, params };
  if (displayName !== undefined) nameAddr.displayName = displayName;
  if (typeof tag === 'string') nameAddr.tag = tag;
  if (/^sips?:/i.test(uri)) {
    const sip = parseSipUri(uri);
    if (sip.user !== undefined) nameAddr.user = sip.user;
    nameAddr.host = sip.host;
    if (sip.port !== undefined) nameAddr.port = sip.port;
  }
  return nameAddr;
}

/** Writes a name-addr: `"Name" <uri>;tag=…;params`. */
export function formatNameAddr(n: NameAddr): string {
  const name = n.displayName === undefined ? '' : `"${n.displayName.replace(/(["\\])/g, '\\$1')}" `;
  const tag = n.tag === undefined ? '' : `;tag=${n.tag}`;
  return `${name}<${n.uri}>${tag}${formatParams(n.params)}`;
}

/**
 * Parses a CSeq value (RFC 3261 §20.16): a sequence number below 2^31 and a method.
 * @throws ArgusError SIP_MALFORMED
 */
export function parseCSeq(value: string): { seq: number; method: string } {
  const match = new RegExp(`^(\\d{1,10})\\s+([${TOKEN_CHARS}]+)$`).exec(value.trim());
  const seq = Number(match?.[1]);
  if (match === null || seq > MAX_CSEQ) throw malformed(`invalid CSeq: ${excerpt(value)}`);
  return { seq, method: match[2] ?? '' };
}

/** Options of `buildResponse`. */
export interface ResponseOptions {
  /** Added to To where the request's To has no tag. */
  toTag?: string;
  /** Where the request came from: sets `received` and fills `rport` on the top Via (RFC 3581). */
  source?: { address: string; port: number };
  /** Extra headers, appended after the copied ones. */
  headers?: [string, string][];
  body?: Uint8Array;
  contentType?: string;
}

/**
 * Builds a response to a request (RFC 3261 §8.2.6): copies Via (adding received/rport with
 * the source address given), From, To (adding a To tag if given), Call-ID, CSeq.
 */
export function buildResponse(
  req: SipRequest,
  status: number,
  reason: string,
  opts: ResponseOptions = {},
): SipResponse {
  const headers = new SipHeaders();
  req.headers.getAll('Via').forEach((via, index) => {
    headers.append('Via', index === 0 && opts.source ? stampVia(via, opts.source) : via);
  });
  headers.append('From', req.headers.get('From') ?? '');
  headers.append('To', addToTag(req.headers.get('To') ?? '', opts.toTag));
  headers.append('Call-ID', req.headers.get('Call-ID') ?? '');
  headers.append('CSeq', req.headers.get('CSeq') ?? '');
  for (const [name, value] of opts.headers ?? []) headers.append(name, value);
  if (opts.contentType !== undefined) headers.set('Content-Type', opts.contentType);

  return { kind: 'response', status, reason, headers, body: opts.body ?? new Uint8Array() };
}

function stampVia(value: string, source: { address: string; port: number }): string {
  const via = parseVia(value);
  if (via.rport !== undefined) {
    via.rport = source.port;
    via.received = source.address;
  } else if (via.host !== source.address) {
    via.received = source.address;
  }
  return formatVia(via);
}

function addToTag(to: string, tag: string | undefined): string {
  if (tag === undefined || parseNameAddr(to).tag !== undefined) return to;
  return `${to};tag=${tag}`;
}
