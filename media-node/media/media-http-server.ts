/**
 * The media node's HTTP side, for anyone holding a live token the API signed:
 *
 * - `GET /live/{deviceId}/{channelId}.flv?token=…` HTTP-FLV (http-flv-viewer.ts);
 * - the same path upgraded to a WebSocket (RFC 6455 §4): WS-FLV (ws-flv-viewer.ts);
 * - `GET /live/{deviceId}/{channelId}/index.m3u8?token=…` and the segments it lists: HLS
 *   (hls-routes.ts);
 * - `/playback/…` and `/downloads/…`: recordings played back or downloaded
 *   (playback-routes.ts);
 * - `GET /healthz`;
 * - `/internal/…`, for the API only (a control token): device control (control-router.ts);
 * - `GET /streams`, from loopback only: live sessions and their diagnostics
 *   (diagnostics-route.ts).
 *
 * All viewers of a channel share one live session. CORS is open so that the console's
 * players can fetch from it. Errors are the API's `{error_code, error_msg, request_id}`.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';

import { WebSocketServer } from 'ws';

import { errorBody, httpMapping } from '../../src/api/http-errors.ts';
import type { TokenService } from '../../src/auth/tokens.ts';
import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import type { ControlRouter } from '../control/control-router.ts';
import { diagnosticsPath, serveDiagnostics } from './diagnostics-route.ts';
import { hlsPath, serveHls } from './hls-routes.ts';
import { serveHttpFlv } from './http-flv-viewer.ts';
import type { LiveSessions } from './live-sessions.ts';
import { authoriseLive } from './live-token.ts';
import type { PlaybackRoutes } from './playback-routes.ts';
import { serveWsFlv } from './ws-flv-viewer.ts';

const flvPath = /^\/live\/(\d{20})\/(\d{20})\.flv$/;
/** Viewers send nothing but control frames: a small limit on what they may send. */
const WS_MAX_MESSAGE_BYTES = 4096;

export interface MediaHttpServerOptions {
  readonly sessions: LiveSessions;
  readonly tokens: TokenService;
  readonly logger: Logger;
  /** The API's control routes, `/internal/…`; absent, they are not found. */
  readonly control?: ControlRouter;
  /** Playback and download routes, `/playback/…` and `/downloads/…` (playback-routes.ts). */
  readonly playback?: PlaybackRoutes;
}

/**
 * The media node's HTTP server; with `tls` (PEM certificate chain and key), the same routes
 * over HTTPS, for HTTPS_FLV and WSS.
 */
export function createMediaHttpServer(
  options: MediaHttpServerOptions,
  tls?: { cert: Buffer; key: Buffer },
): Server | HttpsServer {
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    void route(options, request, response).catch((error: unknown) =>
      sendError(options.logger, response, error),
    );
  };
  const server = tls === undefined ? createServer(handle) : createHttpsServer(tls, handle);
  const ws = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    void upgrade(options, ws, { request, socket, head }).catch((error: unknown) =>
      refuseUpgrade(options.logger, socket, error),
    );
  });
  return server;
}

async function route(
  options: MediaHttpServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://media-node');
  response.setHeader('Access-Control-Allow-Origin', '*');
  if (request.method === 'OPTIONS') return preflight(response);
  if (url.pathname === '/healthz') return health(options, response);
  if (options.control?.owns(url.pathname) === true) {
    return options.control.serve(request, response, url);
  }
  if (options.playback?.owns(url.pathname) === true) {
    return options.playback.serve(request, response, url);
  }
  if (request.method === 'GET' && url.pathname === diagnosticsPath) {
    return serveDiagnostics(options.sessions, request, response);
  }

  const flv = flvPath.exec(url.pathname);
  const hls = hlsPath.exec(url.pathname);
  const token = url.searchParams.get('token');
  if (request.method === 'GET' && flv !== null) {
    const [, deviceId = '', channelId = ''] = flv;
    const claims = await authoriseLive(options.tokens, token, deviceId, channelId);
    const live = {
      deviceId,
      channelId,
      transport: claims.transport,
      protocol: 'HTTP_FLV',
    } as const;
    return serveHttpFlv(options.sessions, request, response, live);
  }
  if (request.method === 'GET' && hls !== null) {
    const [, deviceId = '', channelId = '', resource = ''] = hls;
    const hlsRequest = { deviceId, channelId, resource, token };
    return serveHls(options.sessions, options.tokens, hlsRequest, response);
  }
  throw new ArgusError(
    errorCodes.NOT_FOUND,
    `Cannot find route: ${request.method} ${url.pathname}`,
  );
}

async function upgrade(
  options: MediaHttpServerOptions,
  ws: WebSocketServer,
  upgrade: { request: IncomingMessage; socket: Duplex; head: Buffer },
): Promise<void> {
  const url = new URL(upgrade.request.url ?? '/', 'http://media-node');
  if ((await options.playback?.upgrade(ws, upgrade, url)) === true) return;
  const flv = flvPath.exec(url.pathname);
  if (flv === null) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot find WebSocket route: ${url.pathname}`);
  }
  const [, deviceId = '', channelId = ''] = flv;
  const token = url.searchParams.get('token');
  const claims = await authoriseLive(options.tokens, token, deviceId, channelId);
  const live = { deviceId, channelId, transport: claims.transport, protocol: 'WS_FLV' } as const;
  await serveWsFlv(options.sessions, ws, upgrade, live);
}

function preflight(response: ServerResponse): void {
  response.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Allow-Headers': 'Content-Type',
    'Access-Control-Max-Age': '600',
  });
  response.end();
}

function health(options: MediaHttpServerOptions, response: ServerResponse): void {
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ status: 'ok', sessions: options.sessions.size }));
}

function logRefusal(logger: Logger, error: unknown, status: number): void {
  if (status >= 500 && status !== 503) logger.error({ err: error }, 'media request failed');
  else
    logger.info(
      { code: isArgusError(error) ? error.code : undefined },
      String((error as Error).message),
    );
}

function sendError(logger: Logger, response: ServerResponse, error: unknown): void {
  const { status } = httpMapping(error);
  logRefusal(logger, error, status);
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(errorBody(error, crypto.randomUUID())));
}

/** An upgrade refused before the handshake gets a plain HTTP response (RFC 6455 §4.2.2). */
function refuseUpgrade(logger: Logger, socket: Duplex, error: unknown): void {
  const { status } = httpMapping(error);
  logRefusal(logger, error, status);
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify(errorBody(error, crypto.randomUUID()));
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Access-Control-Allow-Origin: *',
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
