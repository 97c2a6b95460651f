/**
 * Playback viewers: the FLV bytes of a playback session over a chunked HTTP/1.1 response
 * (HTTP-FLV) or as binary WebSocket messages (WS-FLV, RFC 6455 §5.6), as live viewers get
 * them. They take an `attach` function rather than a session manager, so any FLV source can
 * use them. The end of the recording ends the response, or closes the WebSocket with 1000.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import type { WebSocket, WebSocketServer } from 'ws';

import type { Viewer } from './flv-stream-hub.ts';

/** Attaches a viewer to a stream, starting it where needed; returns the detach function. */
export type AttachViewer = (viewer: Viewer) => Promise<() => void>;

/** Close code 1000 (RFC 6455 §7.4.1): the recording ended. */
const NORMAL_CLOSURE = 1000;
/** Close code 1008 "policy violation": the viewer fell too far behind. */
const POLICY_VIOLATION = 1008;

/**
 * Serves the stream on `response` until the viewer leaves or the stream ends.
 * @throws what `attach` throws, before anything was sent
 */
export async function servePlaybackFlv(
  attach: AttachViewer,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  let closed = false;
  let detach = () => {};
  const finish = () => {
    closed = true;
    detach();
  };
  request.socket.on('close', finish);
  detach = await attach({
    write(chunk) {
      if (closed) return;
      startFlv(response);
      response.write(chunk);
    },
    end() {
      closed = true;
      startFlv(response);
      response.end();
    },
    abort() {
      response.destroy();
      finish();
    },
    get queuedBytes() {
      return response.writableLength;
    },
  });
  if (closed) detach();
  else startFlv(response);
}

/**
 * Attaches a WebSocket viewer: the stream starts first (an error leaves the socket to the
 * caller, still HTTP), then the handshake completes and FLV flows.
 * @throws what `attach` throws
 */
export async function servePlaybackWsFlv(
  attach: AttachViewer,
  server: WebSocketServer,
  upgrade: { request: IncomingMessage; socket: Duplex; head: Buffer },
): Promise<void> {
  const pending: Uint8Array[] = [];
  let ws: WebSocket | undefined;
  let closed = false;
  let detach = () => {};
  const finish = () => {
    closed = true;
    detach();
  };
  upgrade.socket.on('close', finish);
  detach = await attach({
    write(chunk) {
      if (closed) return;
      if (ws === undefined) pending.push(chunk);
      else ws.send(chunk, { binary: true });
    },
    end() {
      closed = true;
      ws?.close(NORMAL_CLOSURE, 'recording ended');
    },
    abort(reason) {
      ws?.close(POLICY_VIOLATION, reason.slice(0, 120));
      if (ws === undefined) upgrade.socket.destroy();
      else ws.terminate();
      finish();
    },
    get queuedBytes() {
      return ws?.bufferedAmount ?? 0;
    },
  });
  if (closed) {
    upgrade.socket.destroy();
    return detach();
  }
  server.handleUpgrade(upgrade.request, upgrade.socket, upgrade.head, (socket) => {
    ws = socket;
    socket.on('error', () => socket.terminate());
    for (const chunk of pending.splice(0)) socket.send(chunk, { binary: true });
  });
}

function startFlv(response: ServerResponse): void {
  if (response.headersSent) return;
  response.writeHead(200, {
    'Content-Type': 'video/x-flv',
    'Cache-Control': 'no-store',
    'Access-Control-Allow-Origin': '*',
  });
  response.flushHeaders();
}
