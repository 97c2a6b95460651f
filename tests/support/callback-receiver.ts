/**
 * A callback receiver for end-to-end tests: a real HTTP server on loopback that answers 200
 * and keeps what it got (headers, raw body for signature checks, parsed message).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedMessage {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: {
    message_id: string;
    message_type: string;
    test?: boolean;
    data: Record<string, any>;
  };
}

export interface CallbackReceiver {
  readonly server: Server;
  readonly url: string;
  readonly received: ReceivedMessage[];
}

/** Starts a receiver whose URL ends in `path`. */
export function startCallbackReceiver(path = '/argus'): Promise<CallbackReceiver> {
  const received: ReceivedMessage[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}${path}`, received });
    });
  });
}
