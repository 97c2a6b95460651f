/**
 * An HTTP-FLV viewer (FLV spec v10 Annex E over a chunked HTTP/1.1 response): the response
 * stays open and carries the FLV file as the hub writes it. Its queue is the response's
 * write buffer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Viewer } from './flv-stream-hub.ts';
import type { LiveRequest, LiveSessions } from './live-sessions.ts';

/**
 * Attaches a viewer to an FLV source (a live session, a playback session), starting it where
 * needed; resolves with the detach function.
 */
export type AttachViewer = (viewer: Viewer) => Promise<() => void>;

/**
 * Serves the live stream on `response` until the viewer leaves or the stream ends.
 * @throws ArgusError UNAVAILABLE where the stream cannot be started (nothing sent yet)
 */
export async function serveHttpFlv(
  sessions: LiveSessions,
  request: IncomingMessage,
  response: ServerResponse,
  live: LiveRequest,
): Promise<void> {
  return serveFlvOverHttp((viewer) => sessions.attach(live, viewer), request, response);
}

/**
 * Serves any FLV source on `response` until the viewer leaves or the source ends.
 * @throws what `attach` throws, before anything was sent
 */
export async function serveFlvOverHttp(
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
  // The viewer may have gone while the device was being invited.
  if (closed) detach();
  else startFlv(response);
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
