/**
 * The answer to a request the parser refused (RFC 3261 §8.2, §18.3, §21.4.1, §21.5.6,
 * §21.5.7; RFC 4475 §3.1.2): 400 Bad Request, 505 Version Not Supported for another SIP
 * version, 513 Message Too Large past the limits. The response copies what
 * can be read of Via, From, To, Call-ID and CSeq. Responses, ACKs and bytes without a Via
 * line get no answer: there is nobody to answer, or nothing to match the answer to.
 */
import { errorCodes, isArgusError } from '../../src/errors.ts';
import { SIP_MAX_HEADERS } from '../formats/limits.ts';
import {
  canonicalHeaderName,
  findHeaderEnd,
  formatVia,
  parseVia,
  SipHeaders,
  type SipResponse,
} from '../formats/sip-message.ts';

const utf8 = new TextDecoder('utf-8');
const METHOD = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const VERSION = /\sSIP\/(\d+\.\d+)\s*$/i;
const COPIED = new Set(['Via', 'From', 'To', 'Call-ID', 'CSeq']);

/** The response owed to a request that failed to parse, or undefined where none is owed. */
export function answerUnparsable(
  bytes: Uint8Array,
  error: unknown,
  source: { address: string; port: number },
): SipResponse | undefined {
  const lines = headLines(bytes);
  const startLine = lines.shift() ?? '';
  const method = startLine.split(/[ \t]/, 1)[0] ?? '';
  if (!METHOD.test(method) || /^SIP\//i.test(startLine) || method.toUpperCase() === 'ACK') {
    return undefined;
  }

  const copied = copiedHeaders(lines);
  if (!copied.some(([name]) => name === 'Via')) return undefined;

  const headers = new SipHeaders();
  let topVia = true;
  for (const [name, value] of copied) {
    headers.append(name, name === 'Via' && topVia ? stampVia(value, source) : value);
    topVia &&= name !== 'Via';
  }
  const { status, reason } = statusFor(startLine, error);
  return { kind: 'response', status, reason, headers, body: new Uint8Array() };
}

function statusFor(startLine: string, error: unknown): { status: number; reason: string } {
  const version = VERSION.exec(startLine)?.[1];
  if (version !== undefined && version !== '2.0') {
    return { status: 505, reason: 'Version Not Supported' };
  }
  if (isArgusError(error, errorCodes.SIP_TOO_LARGE)) {
    return { status: 513, reason: 'Message Too Large' };
  }
  return { status: 400, reason: 'Bad Request' };
}

/**
 * The start line and the header lines, unfolded, at most one past SIP_MAX_HEADERS: the head
 * ends at the empty line, or where the bytes end (a truncated message).
 */
function headLines(bytes: Uint8Array): string[] {
  let start = 0;
  while (bytes[start] === 0x0d || bytes[start] === 0x0a) start++;
  const end = findHeaderEnd(bytes, start);
  const head = utf8.decode(bytes.subarray(start, end === -1 ? bytes.length : end));

  const lines: string[] = [];
  for (const line of head.split(/\r?\n/, SIP_MAX_HEADERS + 2)) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && lines.length > 1) {
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else {
      lines.push(line);
    }
  }
  return lines;
}

/** The lines of the headers a response copies, in order, with their canonical names. */
function copiedHeaders(lines: string[]): [string, string][] {
  const copied: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = canonicalHeaderName(line.slice(0, colon).trim());
    if (!COPIED.has(name)) continue;
    const value = line.slice(colon + 1).trim();
    const values = name === 'Via' ? value.split(',').map((v) => v.trim()) : [value];
    for (const v of values) if (v !== '') copied.push([name, v]);
  }
  return copied;
}

/** The top Via with `received` and `rport` filled in (RFC 3581); as it was where unreadable. */
function stampVia(value: string, source: { address: string; port: number }): string {
  try {
    const via = parseVia(value);
    if (via.rport !== undefined) via.rport = source.port;
    if (via.rport !== undefined || via.host !== source.address) via.received = source.address;
    return formatVia(via);
  } catch {
    return value;
  }
}
