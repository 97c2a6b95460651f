/**
 * SDP as GB/T 28181 uses it (RFC 4566; GB/T 28181-2016 Annex F): one session with video or
 * audio media, `y=` the SSRC, `f=` the media parameters, `u=` the channel for playback,
 * `t=` the time range, `a=setup`/`a=connection` for RTP over TCP (RFC 4145). Pure.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';

export interface SdpPayload {
  pt: number;
  encoding: string;
  clock: number;
}

export interface SdpMedia {
  type: 'video' | 'audio';
  port: number;
  /** RTP/AVP, TCP/RTP/AVP (or RTP/AVP/TCP from some devices), kept as written. */
  protocol: string;
  payloads: SdpPayload[];
  direction?: 'recvonly' | 'sendonly' | 'sendrecv';
  setup?: 'active' | 'passive';
  connection?: 'new' | 'existing';
  /** Media connection address where it differs from the session's. */
  address?: string;
  /** Other `a=` lines (without `a=`), in order: `filesize:0`, `downloadspeed:4`, … */
  attributes?: string[];
}

export interface GbSdp {
  origin: { username: string; address: string; sessionId?: string; sessionVersion?: string };
  /** Play, Playback, Download or Talk; devices also write their own, e.g. "Embedded IPC". */
  sessionName: string;
  /** The connection address (session level, else the first media's). */
  connection: string;
  time: [number, number];
  /** `u=`: `channelId:type` for Playback and Download. */
  uri?: string;
  media: SdpMedia[];
  /** `y=`: ten decimal digits, the first 0 for live and 1 for history. */
  ssrc?: string;
  /** `f=`: `v/codec/resolution/framerate/rate-type/bitrate a/codec/rate/channels`, may be ''. */
  format?: string;
}

/** Static RTP payload types (RFC 3551 §6) a device may offer without an rtpmap. */
const STATIC_PAYLOADS = new Map<number, [string, number]>([
  [0, ['PCMU', 8000]],
  [8, ['PCMA', 8000]],
  [9, ['G722', 8000]],
  [18, ['G729', 8000]],
  [26, ['JPEG', 90000]],
  [31, ['H261', 90000]],
  [32, ['MPV', 90000]],
  [33, ['MP2T', 90000]],
  [34, ['H263', 90000]],
]);

function malformed(reason: string): ArgusError {
  return new ArgusError(errorCodes.SDP_MALFORMED, `Cannot parse SDP: ${reason}`);
}

function excerpt(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

interface MediaDraft {
  media: SdpMedia;
  formats: number[];
  rtpmap: Map<number, [string, number]>;
}

interface SessionDraft {
  origin?: GbSdp['origin'];
  sessionName?: string;
  connection?: string;
  time?: [number, number];
  uri?: string;
  ssrc?: string;
  format?: string;
  media: MediaDraft[];
  /** Media of other types (application, …) swallow their own attribute lines. */
  skipping: boolean;
}

/**
 * Parses a GB/T 28181 SDP body. Media other than video and audio are skipped. `y=` and `f=`
 * are read wherever they stand (devices put them after the media).
 * @throws ArgusError SDP_MALFORMED where o=, s=, c=, t= or a video/audio m= line is missing
 *   or unreadable
 */
export function parseSdp(text: string): GbSdp {
  const draft: SessionDraft = { media: [], skipping: false };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^([a-z])\s*=(.*)$/.exec(line);
    if (match === null) throw malformed(`invalid line: ${excerpt(line)}`);
    readLine(draft, match[1] ?? '', (match[2] ?? '').trim());
  }
  return finish(draft);
}

function readLine(draft: SessionDraft, type: string, value: string): void {
  const current = draft.media.at(-1);
  switch (type) {
    case 'o':
      draft.origin = parseOrigin(value);
      return;
    case 's':
      draft.sessionName = value;
      return;
    case 'u':
      draft.uri = value;
      return;
    case 't':
      draft.time = parseTime(value);
      return;
    case 'y':
      draft.ssrc = value;
      return;
    case 'f':
      draft.format = value;
      return;
    case 'c':
      readConnection(draft, current, value);
      return;
    case 'm':
      readMediaLine(draft, value);
      return;
    case 'a':
      if (current !== undefined && !draft.skipping) readAttribute(current, value);
      return;
    default:
      return;
  }
}

function parseOrigin(value: string): GbSdp['origin'] {
  const fields = value.split(/\s+/);
  if (fields.length !== 6) throw malformed(`invalid o= line: ${excerpt(value)}`);
  const [username = '', sessionId = '', sessionVersion = '', , , address = ''] = fields;
  return { username, address, sessionId, sessionVersion };
}

function parseTime(value: string): [number, number] {
  const match = /^(\d{1,20})\s+(\d{1,20})$/.exec(value);
  if (match === null) throw malformed(`invalid t= line: ${excerpt(value)}`);
  return [Number(match[1]), Number(match[2])];
}

function readConnection(draft: SessionDraft, current: MediaDraft | undefined, value: string): void {
  const match = /^IN\s+IP[46]\s+([^\s/]+)/i.exec(value);
  if (match === null) throw malformed(`invalid c= line: ${excerpt(value)}`);
  const address = match[1] ?? '';
  if (current === undefined) draft.connection = address;
  else if (!draft.skipping) current.media.address = address;
}

function readMediaLine(draft: SessionDraft, value: string): void {
  const match = /^(\w+)\s+(\d{1,5})(?:\/\d+)?\s+(\S+)((?:\s+\S+)*)$/.exec(value);
  if (match === null) throw malformed(`invalid m= line: ${excerpt(value)}`);
  const type = match[1];
  draft.skipping = type !== 'video' && type !== 'audio';
  if (type !== 'video' && type !== 'audio') return;

  const port = Number(match[2]);
  const fields = (match[4] ?? '').trim().split(/\s+/).filter(Boolean);
  if (port > 65535 || !fields.every((f) => /^\d{1,3}$/.test(f) && Number(f) < 128)) {
    throw malformed(`invalid m= line: ${excerpt(value)}`);
  }
  const formats = fields.map(Number);
  const media: SdpMedia = { type, port, protocol: match[3] ?? '', payloads: [] };
  draft.media.push({ media, formats, rtpmap: new Map() });
}

function readAttribute(current: MediaDraft, value: string): void {
  const { media } = current;
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  const arg = colon === -1 ? '' : value.slice(colon + 1).trim();

  if (name === 'recvonly' || name === 'sendonly' || name === 'sendrecv') media.direction = name;
  else if (name === 'setup' && (arg === 'active' || arg === 'passive')) media.setup = arg;
  else if (name === 'connection' && (arg === 'new' || arg === 'existing')) media.connection = arg;
  else if (name === 'rtpmap') readRtpmap(current, arg);
  else (media.attributes ??= []).push(value);
}

function readRtpmap(current: MediaDraft, arg: string): void {
  const match = /^(\d{1,3})\s+([^/\s]+)\/(\d+)/.exec(arg);
  if (match === null) throw malformed(`invalid a=rtpmap: ${excerpt(arg)}`);
  current.rtpmap.set(Number(match[1]), [match[2] ?? '', Number(match[3])]);
}

function finish(draft: SessionDraft): GbSdp {
  const { origin, sessionName, time } = draft;
  if (origin === undefined) throw malformed('missing o= line');
  if (sessionName === undefined) throw malformed('missing s= line');
  if (time === undefined) throw malformed('missing t= line');
  if (draft.media.length === 0) throw malformed('missing m= line for video or audio');
  const connection = draft.connection ?? draft.media[0]?.media.address;
  if (connection === undefined) throw malformed('missing c= line');

  const sdp: GbSdp = { origin, sessionName, connection, time, media: draft.media.map(payloadsOf) };
  if (draft.uri !== undefined) sdp.uri = draft.uri;
  if (draft.ssrc !== undefined) sdp.ssrc = draft.ssrc;
  if (draft.format !== undefined) sdp.format = draft.format;
  return sdp;
}

/** Resolves the m= formats through a=rtpmap or the static table; unknown ones get '' / 0. */
function payloadsOf({ media, formats, rtpmap }: MediaDraft): SdpMedia {
  media.payloads = formats.map((pt) => {
    const [encoding, clock] = rtpmap.get(pt) ?? STATIC_PAYLOADS.get(pt) ?? ['', 0];
    return { pt, encoding, clock };
  });
  return media;
}

/**
 * Reads a `y=` SSRC: decimal, at most ten digits, below 2^32 ("0200007585" → 200007585).
 * @throws ArgusError SDP_MALFORMED otherwise
 */
export function parseGbSsrc(y: string): number {
  const value = Number(y);
  if (!/^\d{1,10}$/.test(y) || value > 0xffffffff)
    throw malformed(`invalid y= SSRC: ${excerpt(y)}`);
  return value;
}

/**
 * True where an m= line's transport is RTP over TCP: `TCP/RTP/AVP` (RFC 4571 §3; GB/T
 * 28181-2016 §F), or `RTP/AVP/TCP` as some devices write it.
 */
export function isTcpRtpProtocol(protocol: string): boolean {
  const upper = protocol.toUpperCase();
  return upper === 'TCP/RTP/AVP' || upper === 'RTP/AVP/TCP';
}

/** Writes an SSRC as the ten-digit `y=` value. */
export function formatGbSsrc(ssrc: number): string {
  return String(ssrc >>> 0).padStart(10, '0');
}

function addressType(address: string): string {
  return address.includes(':') ? 'IP6' : 'IP4';
}

/** Writes SDP with CRLF line ends in the order devices expect: … m=, a=, then y= and f=. */
export function buildSdp(s: GbSdp): string {
  const { username, sessionId = '0', sessionVersion = '0', address } = s.origin;
  const lines = [
    'v=0',
    `o=${username} ${sessionId} ${sessionVersion} IN ${addressType(address)} ${address}`,
    `s=${s.sessionName}`,
  ];
  if (s.uri !== undefined) lines.push(`u=${s.uri}`);
  lines.push(`c=IN ${addressType(s.connection)} ${s.connection}`, `t=${s.time[0]} ${s.time[1]}`);
  for (const media of s.media) lines.push(...mediaLines(media));
  if (s.ssrc !== undefined) lines.push(`y=${s.ssrc}`);
  if (s.format !== undefined) lines.push(`f=${s.format}`);
  return `${lines.join('\r\n')}\r\n`;
}

function mediaLines(m: SdpMedia): string[] {
  const lines = [`m=${m.type} ${m.port} ${m.protocol} ${m.payloads.map((p) => p.pt).join(' ')}`];
  if (m.address !== undefined) lines.push(`c=IN ${addressType(m.address)} ${m.address}`);
  if (m.direction !== undefined) lines.push(`a=${m.direction}`);
  if (m.setup !== undefined) lines.push(`a=setup:${m.setup}`);
  if (m.connection !== undefined) lines.push(`a=connection:${m.connection}`);
  for (const p of m.payloads) {
    if (p.encoding !== '') lines.push(`a=rtpmap:${p.pt} ${p.encoding}/${p.clock}`);
  }
  for (const attribute of m.attributes ?? []) lines.push(`a=${attribute}`);
  return lines;
}
