/**
 * The part of the `ws` package (8.x, RFC 6455) that Argus uses, declared from its
 * documentation: the package ships JavaScript only and its community types are not a
 * dependency. The media node serves WS-FLV with WebSocketServer; tests read it with WebSocket.
 */
declare module 'ws' {
  import type { IncomingMessage } from 'node:http';
  import type { Duplex } from 'node:stream';

  export interface WebSocketServerOptions {
    /** Upgrades are handed over with handleUpgrade (the HTTP server is the caller's). */
    noServer: true;
    /** Largest message accepted from a client, in bytes. */
    maxPayload?: number;
    perMessageDeflate?: boolean;
  }

  export class WebSocketServer {
    constructor(options: WebSocketServerOptions);
    /** Completes the opening handshake (RFC 6455 §4.2.2) of an HTTP upgrade request. */
    handleUpgrade(
      request: IncomingMessage,
      socket: Duplex,
      head: Buffer,
      callback: (socket: WebSocket, request: IncomingMessage) => void,
    ): void;
    close(callback?: () => void): void;
  }

  export class WebSocket {
    constructor(url: string, options?: { maxPayload?: number; perMessageDeflate?: boolean });
    static readonly OPEN: 1;
    readonly readyState: 0 | 1 | 2 | 3;
    /** Bytes queued by send() and not yet written to the network. */
    readonly bufferedAmount: number;
    send(
      data: Uint8Array | string,
      options?: { binary?: boolean },
      callback?: (error?: Error) => void,
    ): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'open', listener: () => void): this;
    on(
      event: 'unexpected-response',
      listener: (request: unknown, response: IncomingMessage) => void,
    ): this;
  }

  export default WebSocket;
}
