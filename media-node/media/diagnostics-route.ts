/**
 * `GET /streams` on the media node's HTTP port: every live session with its counters and the
 * times of its first RTP packet, first keyframe and first viewer byte, as JSON. It names
 * devices and call IDs, and no token authorises it: it answers requests from loopback only
 * (an operator on the host, or a tunnel to it), and refuses any other with FORBIDDEN.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { StreamDiagnostics } from './stream-diagnostics.ts';

export const diagnosticsPath = '/streams';

/** What the route needs of the live sessions. */
export interface DiagnosticsSource {
  diagnostics(): StreamDiagnostics[];
}

/**
 * Answers `GET /streams`.
 * @throws ArgusError FORBIDDEN where the request did not come from a loopback address
 */
export function serveDiagnostics(
  sessions: DiagnosticsSource,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const from = request.socket.remoteAddress ?? '';
  if (!isLoopback(from)) {
    throw new ArgusError(errorCodes.FORBIDDEN, `Cannot list streams: not from loopback: ${from}`);
  }
  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify({ streams: sessions.diagnostics() }));
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (a dual-stack socket's form). */
export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
