/**
 * MANSRTSP (GB/T 28181-2016 Annex B): the RTSP-like requests a platform sends in an INFO of a
 * playback dialog to pause, resume, change the speed of and seek a device's playback. PLAY
 * carries `Scale` (0.25–8 here) and `Range: npt=<seconds>-` (`now-` resumes where it paused);
 * PAUSE carries `PauseTime: now`. Pure: text in, text out.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';

/** The body's Content-Type in the INFO request. */
export const MANSRTSP_CONTENT_TYPE = 'Application/MANSRTSP';

/** Playback speeds a platform may ask for (the speeds devices commonly support). */
export const MANSRTSP_MIN_SCALE = 0.25;
export const MANSRTSP_MAX_SCALE = 8;

/** Largest MANSRTSP body read. */
const MANSRTSP_MAX_BYTES = 1024;

export interface MansrtspRequest {
  readonly method: 'PLAY' | 'PAUSE' | 'TEARDOWN';
  readonly cseq: number;
  /** PLAY: the speed, 1 normal; absent where unchanged. */
  readonly scale?: number;
  /** PLAY: `npt=<from>-` seconds from the start of the range; `now` resumes in place. */
  readonly range?: number | 'now';
  /** PAUSE: `now`, or seconds (some devices accept a position). */
  readonly pauseTime?: number | 'now';
}

function malformed(reason: string): ArgusError {
  return new ArgusError(errorCodes.VALIDATION, `Cannot read MANSRTSP: ${reason}`);
}

/** Writes a MANSRTSP request with CRLF line ends. @throws ArgusError VALIDATION out of range */
export function buildMansrtsp(request: MansrtspRequest): string {
  const lines = [`${request.method} RTSP/1.0`, `CSeq: ${request.cseq}`];
  if (request.scale !== undefined) lines.push(`Scale: ${formatScale(checkScale(request.scale))}`);
  if (request.range !== undefined) lines.push(`Range: npt=${formatPosition(request.range)}-`);
  if (request.pauseTime !== undefined) {
    lines.push(`PauseTime: ${formatPosition(request.pauseTime)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Reads a MANSRTSP request. Header names are matched without regard to case; `MANSRTSP/1.0`
 * is accepted as well as `RTSP/1.0`.
 * @throws ArgusError VALIDATION for anything else
 */
export function parseMansrtsp(text: string): MansrtspRequest {
  if (text.length > MANSRTSP_MAX_BYTES) {
    throw malformed(`body too large: ${text.length} > ${MANSRTSP_MAX_BYTES} bytes`);
  }
  const [first = '', ...rest] = text.split(/\r?\n/);
  const start = /^(PLAY|PAUSE|TEARDOWN)\s+(?:MANS)?RTSP\/1\.0$/i.exec(first.trim());
  if (start === null)
    throw malformed(`invalid request line: ${JSON.stringify(first.slice(0, 40))}`);
  const headers = readHeaders(rest);
  const cseq = Number(headers.get('cseq'));
  if (!Number.isSafeInteger(cseq) || cseq < 0) throw malformed('missing or invalid CSeq');

  const request: { -readonly [K in keyof MansrtspRequest]: MansrtspRequest[K] } = {
    method: (start[1] ?? '').toUpperCase() as MansrtspRequest['method'],
    cseq,
  };
  const scale = headers.get('scale');
  if (scale !== undefined) request.scale = readScale(scale);
  const range = headers.get('range');
  if (range !== undefined) request.range = readRange(range);
  const pauseTime = headers.get('pausetime');
  if (pauseTime !== undefined) request.pauseTime = readPosition(pauseTime, 'PauseTime');
  return request;
}

function readHeaders(lines: string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`invalid header line: ${JSON.stringify(line.slice(0, 40))}`);
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function checkScale(scale: number): number {
  if (!(scale >= MANSRTSP_MIN_SCALE && scale <= MANSRTSP_MAX_SCALE)) {
    throw malformed(`Scale out of range: ${scale} (${MANSRTSP_MIN_SCALE}–${MANSRTSP_MAX_SCALE})`);
  }
  return scale;
}

function readScale(text: string): number {
  if (!/^\d{1,3}(\.\d{1,6})?$/.test(text))
    throw malformed(`invalid Scale: ${JSON.stringify(text)}`);
  return checkScale(Number(text));
}

/** `npt=<from>-` or `npt=<from>-<to>`; only the start matters to a device. */
function readRange(text: string): number | 'now' {
  const match = /^npt\s*=\s*([^-\s]+)\s*-\s*[\d.]*$/i.exec(text);
  if (match === null) throw malformed(`invalid Range: ${JSON.stringify(text.slice(0, 40))}`);
  return readPosition(match[1] ?? '', 'Range');
}

function readPosition(text: string, header: string): number | 'now' {
  if (text.toLowerCase() === 'now') return 'now';
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(text)) {
    throw malformed(`invalid ${header}: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Number(text);
}

/** `1.0`, `0.25`, `4.0`: devices expect a decimal point. */
function formatScale(scale: number): string {
  return Number.isInteger(scale) ? scale.toFixed(1) : String(scale);
}

function formatPosition(position: number | 'now'): string {
  if (position === 'now') return 'now';
  if (!(Number.isFinite(position) && position >= 0)) {
    throw malformed(`position is not a number of seconds ≥ 0: ${position}`);
  }
  return String(Math.round(position * 1000) / 1000);
}
