/**
 * The media node's HTTP side: `GET /live/{deviceId}/{channelId}.flv?token=…` serves HTTP-FLV
 * to anyone holding a live token the API signed (opened within its lifetime; the stream then
 * runs as long as the viewer stays). CORS is open so that the console's player can fetch it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import type { TokenService } from '../../src/auth/tokens.ts';
import { errorBody, httpMapping } from '../../src/api/http-errors.ts';
import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import type { LiveRequest, LiveSessions } from './live-sessions.ts';

/** A viewer that falls this far behind is dropped rather than buffered without end. */
const maxViewerBacklogBytes = 8 * 1024 * 1024;

const livePath = /^\/live\/(\d{20})\/(\d{20})\.flv$/;

export interface HttpFlvServerOptions {
  readonly sessions: LiveSessions;
  readonly tokens: TokenService;
  readonly logger: Logger;
}

export function createHttpFlvServer(options: HttpFlvServerOptions): Server {
  return createServer((request, response) => {
    void route(options, request, response).catch((error: unknown) =>
      sendError(options.logger, response, error),
    );
  });
}

async function route(
  options: HttpFlvServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://media-node');
  response.setHeader('Access-Control-Allow-Origin', '*');

  if (request.method === 'OPTIONS') {
    response.writeHead(204, {
      'Access-Control-Allow-Methods': 'GET',
      'Access-Control-Max-Age': '600',
    });
    response.end();
    return;
  }
  if (url.pathname === '/healthz') {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ status: 'ok', sessions: options.sessions.size }));
    return;
  }
  const match = livePath.exec(url.pathname);
  if (request.method !== 'GET' || match === null) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot find route: ${request.method} ${url.pathname}`,
    );
  }
  const [, deviceId = '', channelId = ''] = match;
  const claims = await authorise(
    options.tokens,
    url.searchParams.get('token'),
    deviceId,
    channelId,
  );
  await serveLive(options, request, response, {
    deviceId,
    channelId,
    transport: claims.transport,
  });
}

async function authorise(
  tokens: TokenService,
  token: string | null,
  deviceId: string,
  channelId: string,
) {
  if (token === null) throw new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot play: no token');
  const claims = await tokens.verifyLive(token);
  if (claims.deviceId !== deviceId || claims.channelId !== channelId) {
    throw new ArgusError(errorCodes.FORBIDDEN, 'Cannot play: the token is for another channel');
  }
  return claims;
}

async function serveLive(
  options: HttpFlvServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
  live: LiveRequest,
) {
  let closed = false;
  let detach = () => {};
  const finish = () => {
    closed = true;
    detach();
  };
  request.socket.on('close', finish);

  const { deviceId, channelId } = live;
  detach = await options.sessions.attach(live, {
    write(chunk) {
      if (closed) return;
      if (response.writableLength > maxViewerBacklogBytes) {
        options.logger.warn({ deviceId, channelId }, 'viewer too slow, dropped');
        response.destroy();
        finish();
        return;
      }
      if (!response.headersSent) startFlv(response);
      response.write(chunk);
    },
    end() {
      closed = true;
      if (!response.headersSent) startFlv(response);
      response.end();
    },
  });
  // The viewer may have gone while the device was being invited.
  if (closed) detach();
  else if (!response.headersSent) startFlv(response);
}

function startFlv(response: ServerResponse): void {
  response.writeHead(200, {
    'Content-Type': 'video/x-flv',
    'Cache-Control': 'no-store',
    'Access-Control-Allow-Origin': '*',
  });
  response.flushHeaders();
}

function sendError(logger: Logger, response: ServerResponse, error: unknown): void {
  const { status } = httpMapping(error);
  if (status >= 500 && status !== 503) logger.error({ err: error }, 'media request failed');
  else
    logger.info(
      { code: isArgusError(error) ? error.code : undefined },
      String((error as Error).message),
    );
  if (response.headersSent) return void response.destroy();
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(errorBody(error, crypto.randomUUID())));
}
