/**
 * A WS-FLV viewer: the same FLV bytes as HTTP-FLV, as binary WebSocket messages (RFC 6455
 * §5.6) on the connection upgraded from `GET /live/{deviceId}/{channelId}.flv` — the form
 * mpegts.js and flv.js read with their WebSocket loader. Its queue is the socket's
 * bufferedAmount. Messages from the viewer are ignored.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import type { WebSocket, WebSocketServer } from 'ws';

import type { AttachViewer } from './http-flv-viewer.ts';
import type { LiveRequest, LiveSessions } from './live-sessions.ts';

/** How the socket is closed when its source ends (RFC 6455 §7.4.1). */
export interface WsEnding {
  readonly code: number;
  readonly reason: string;
}

/** Close code 1001 "going away": the live stream ended. */
const LIVE_ENDED: WsEnding = { code: 1001, reason: 'stream ended' };
/** Close code 1008 "policy violation": the viewer fell too far behind. */
const POLICY_VIOLATION = 1008;

/**
 * Attaches a WebSocket viewer: the stream is started first (an error leaves the socket to
 * the caller, still HTTP), then the handshake is completed and FLV flows.
 * @throws ArgusError UNAVAILABLE where the stream cannot be started
 */
export async function serveWsFlv(
  sessions: LiveSessions,
  server: WebSocketServer,
  upgrade: { request: IncomingMessage; socket: Duplex; head: Buffer },
  live: LiveRequest,
): Promise<void> {
  const attach: AttachViewer = (viewer) => sessions.attach(live, viewer);
  return serveFlvOverWebSocket(attach, server, upgrade, LIVE_ENDED);
}

/**
 * Attaches a WebSocket viewer to any FLV source: the source is started first (an error leaves
 * the socket to the caller, still HTTP), then the handshake is completed and FLV flows; the
 * socket is closed with `ending` when the source ends.
 * @throws what `attach` throws
 */
export async function serveFlvOverWebSocket(
  attach: AttachViewer,
  server: WebSocketServer,
  upgrade: { request: IncomingMessage; socket: Duplex; head: Buffer },
  ending: WsEnding,
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
      ws?.close(ending.code, ending.reason);
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
  // The viewer went, or the stream ended, while the device was being invited.
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
