/**
 * The media node's playback and download routes, for holders of tokens the API signed:
 *
 * - `GET /playback/{session_id}.flv?token=…` HTTP-FLV, or the same path upgraded to a
 *   WebSocket (WS-FLV);
 * - `GET /playback/{session_id}/index.m3u8?token=…` and the `init.mp4` and `seg-N.m4s` it
 *   lists: HLS;
 * - `POST /playback/{session_id}/control?token=…` `{"action":"pause"|"resume"|"scale"|"seek",
 *   "scale","position"}`: INFO MANSRTSP to the device (playback-sessions.ts);
 * - `GET /downloads/{download_id}.mp4?token=…` a finished download's file.
 *
 * A playback token names its session. Like HLS's live token, the token that opened a
 * session goes on opening (and controlling) it after it expired, while the session lives.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import type { WebSocketServer } from 'ws';

import type { PlaybackClaims, TokenService } from '../../src/auth/tokens.ts';
import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { DownloadSessions } from './download-sessions.ts';
import type { HlsStream } from './hls-stream.ts';
import type { PlaybackControl, PlaybackSessions } from './playback-sessions.ts';
import { serveFlvOverHttp } from './http-flv-viewer.ts';
import { serveFlvOverWebSocket, type WsEnding } from './ws-flv-viewer.ts';

/** Close code 1000 (RFC 6455 §7.4.1): the recording ended normally. */
const RECORDING_ENDED: WsEnding = { code: 1000, reason: 'recording ended' };

const flvPath = /^\/playback\/([0-9A-Za-z-]{8,64})\.flv$/;
const hlsPath =
  /^\/playback\/([0-9A-Za-z-]{8,64})\/(index\.m3u8|init(?:-\d{1,6})?\.mp4|seg-\d{1,15}\.m4s)$/;
const controlPath = /^\/playback\/([0-9A-Za-z-]{8,64})\/control$/;
const downloadPath = /^\/downloads\/([0-9A-Za-z-]{8,64})\.mp4$/;
/** How long the first playlist request waits for the first segment. */
const FIRST_SEGMENT_TIMEOUT_MS = 15_000;
const MAX_CONTROL_BYTES = 4096;
const actions = new Set(['pause', 'resume', 'scale', 'seek']);

export interface PlaybackRoutesOptions {
  readonly playback: PlaybackSessions;
  readonly downloads: DownloadSessions;
  readonly tokens: TokenService;
}

export class PlaybackRoutes {
  readonly #options: PlaybackRoutesOptions;

  constructor(options: PlaybackRoutesOptions) {
    this.#options = options;
  }

  /** True where `pathname` is one of these routes' (served here, whatever the answer). */
  owns(pathname: string): boolean {
    return pathname.startsWith('/playback/') || pathname.startsWith('/downloads/');
  }

  /** Serves one request. @throws ArgusError, answered by the HTTP server */
  async serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const token = url.searchParams.get('token');
    const method = request.method ?? 'GET';
    const flv = flvPath.exec(url.pathname);
    if (method === 'GET' && flv !== null) {
      const open = await this.#authorise(flv[1] ?? '', token);
      const attach = (viewer: Parameters<PlaybackSessions['attach']>[1]) =>
        this.#options.playback.attach(open, viewer);
      return serveFlvOverHttp(attach, request, response);
    }
    const hls = hlsPath.exec(url.pathname);
    if (method === 'GET' && hls !== null) {
      return this.#serveHls(hls[1] ?? '', hls[2] ?? '', token, response);
    }
    const control = controlPath.exec(url.pathname);
    if (method === 'POST' && control !== null) {
      const sessionId = control[1] ?? '';
      await this.#authorise(sessionId, token);
      const answer = await this.#options.playback.control(sessionId, await readControl(request));
      return sendJson(response, answer);
    }
    const download = downloadPath.exec(url.pathname);
    if (method === 'GET' && download !== null) {
      return this.#serveDownload(download[1] ?? '', token, response);
    }
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find route: ${method} ${url.pathname}`);
  }

  /** True where the upgrade is a WS-FLV playback; then it is served. */
  async upgrade(
    ws: WebSocketServer,
    upgrade: { request: IncomingMessage; socket: Duplex; head: Buffer },
    url: URL,
  ): Promise<boolean> {
    const flv = flvPath.exec(url.pathname);
    if (flv === null) return false;
    const open = await this.#authorise(flv[1] ?? '', url.searchParams.get('token'));
    const attach = (viewer: Parameters<PlaybackSessions['attach']>[1]) =>
      this.#options.playback.attach(open, viewer);
    await serveFlvOverWebSocket(attach, ws, upgrade, RECORDING_ENDED);
    return true;
  }

  /**
   * The claims the token gives for the session: the token that opened it while it runs, or
   * a valid playback token for this session.
   * @throws ArgusError UNAUTHENTICATED without a valid token; FORBIDDEN for another session's
   */
  async #authorise(
    sessionId: string,
    token: string | null,
  ): Promise<{ claims: PlaybackClaims; token: string }> {
    if (token === null) throw new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot play: no token');
    const known = this.#options.playback.openedWith(sessionId, token);
    if (known !== undefined) return { claims: known, token };
    const claims = await this.#options.tokens.verifyPlayback(token);
    if (claims.sessionId !== sessionId) {
      throw new ArgusError(errorCodes.FORBIDDEN, 'Cannot play: the token is for another session');
    }
    return { claims, token };
  }

  async #serveHls(
    sessionId: string,
    resource: string,
    token: string | null,
    response: ServerResponse,
  ): Promise<void> {
    const known = this.#options.playback.findHls(sessionId, token);
    let stream: HlsStream;
    if (known !== undefined) {
      known.touch();
      stream = known;
    } else {
      if (resource !== 'index.m3u8') {
        throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find HLS of playback ${sessionId}`);
      }
      stream = await this.#options.playback.hls(await this.#authorise(sessionId, token));
    }
    if (resource === 'index.m3u8') {
      const query = `token=${encodeURIComponent(token ?? '')}`;
      const text = await stream.playlist(query, FIRST_SEGMENT_TIMEOUT_MS);
      if (text === undefined) {
        throw new ArgusError(errorCodes.UNAVAILABLE, 'Cannot play over HLS: no segment yet');
      }
      return sendBytes(response, 'application/vnd.apple.mpegurl', new TextEncoder().encode(text));
    }
    const number = Number(/-(\d+)\./.exec(resource)?.[1] ?? 0);
    const bytes = resource.startsWith('seg-') ? stream.segment(number) : stream.init(number);
    if (bytes === undefined) {
      throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find HLS resource: ${resource}`);
    }
    sendBytes(response, resource.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment', bytes);
  }

  async #serveDownload(id: string, token: string | null, response: ServerResponse) {
    if (token === null) {
      throw new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot fetch download: no token');
    }
    const claims = await this.#options.tokens.verifyDownload(token);
    if (claims.downloadId !== id) {
      throw new ArgusError(errorCodes.FORBIDDEN, 'Cannot fetch download: the token is for another');
    }
    const file = this.#options.downloads.finishedFile(id, claims.userId);
    response.writeHead(200, {
      'Content-Type': 'video/mp4',
      'Content-Length': String(file.bytes),
      'Content-Disposition': `attachment; filename="${id}.mp4"`,
      'Access-Control-Allow-Origin': '*',
    });
    createReadStream(file.path).pipe(response);
  }
}

/** The control body. @throws ArgusError VALIDATION for a body that is not a control */
async function readControl(request: IncomingMessage): Promise<PlaybackControl> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONTROL_BYTES) {
      throw new ArgusError(errorCodes.BODY_TOO_LARGE, 'Cannot control playback: body too large');
    }
    chunks.push(chunk);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ArgusError(errorCodes.VALIDATION, 'Cannot control playback: body is not JSON');
  }
  const action = String(body?.['action'] ?? '');
  if (!actions.has(action)) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot control playback: action is not pause, resume, scale or seek: ${action.slice(0, 20)}`,
    );
  }
  const number = (name: string) => (typeof body[name] === 'number' ? body[name] : undefined);
  const scale = number('scale');
  const position = number('position');
  return {
    action: action as PlaybackControl['action'],
    ...(scale !== undefined && { scale }),
    ...(position !== undefined && { position }),
  };
}

function sendJson(response: ServerResponse, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'Access-Control-Allow-Origin': '*',
  });
  response.end(text);
}

function sendBytes(response: ServerResponse, contentType: string, body: Uint8Array): void {
  response.writeHead(200, {
    'Content-Type': contentType,
    'Content-Length': String(body.length),
    'Cache-Control': contentType.includes('mpegurl') ? 'no-cache' : 'max-age=60',
    'Access-Control-Allow-Origin': '*',
  });
  response.end(body);
}
