/**
 * SIP over UDP and TCP on one port (RFC 3261 §18). Parses what arrives, hands messages to one
 * handler with the peer they came from, and sends to a peer the way it reached us: replies go
 * to the source address and port (devices sit behind NAT, RFC 3581), TCP replies on the
 * device's own connection. What cannot be parsed is answered where a request can still be
 * made out (400, 505, 513), else dropped, and reported without a log line per packet.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';

import { isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { isSipKeepalive, SipStreamFramer } from '../formats/sip-framer.ts';
import { parseSipMessage, serializeSipMessage, type SipMessage } from '../formats/sip-message.ts';
import { DroppedMessageLog, type DroppedMessageLogOptions } from './dropped-messages.ts';
import { answerUnparsable } from './unparsable-request.ts';

export interface SipPeer {
  readonly transport: 'UDP' | 'TCP';
  readonly address: string;
  readonly port: number;
}

export type SipHandler = (message: SipMessage, peer: SipPeer) => void;

/** Told when a TCP connection closed, with the peer its messages came from. */
export type SipCloseHandler = (peer: SipPeer) => void;

export function peerKey(peer: SipPeer): string {
  return `${peer.transport}:${peer.address}:${peer.port}`;
}

export class SipTransport {
  readonly #logger: Logger;
  readonly #udp: UdpSocket;
  readonly #tcp: Server;
  readonly #connections = new Map<string, Socket>();
  readonly #drops: DroppedMessageLog;
  #handler: SipHandler = () => {};
  #closeHandler: SipCloseHandler = () => {};
  #closing = false;

  constructor(logger: Logger, dropLog: Omit<DroppedMessageLogOptions, 'logger'> = {}) {
    this.#logger = logger;
    this.#drops = new DroppedMessageLog({ logger, ...dropLog });
    this.#udp = createSocket({ type: 'udp4', reuseAddr: false });
    this.#tcp = createServer((socket) => this.#acceptTcp(socket));
  }

  onMessage(handler: SipHandler): void {
    this.#handler = handler;
  }

  onConnectionClosed(handler: SipCloseHandler): void {
    this.#closeHandler = handler;
  }

  /** Binds UDP and TCP on `port` (0: any free port, the same for both where possible). */
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#udp.once('error', reject);
      this.#udp.bind(port, host, () => resolve());
    });
    const bound = this.#udp.address().port;
    this.#udp.on('message', (bytes, rinfo) =>
      this.#receive(bytes, { transport: 'UDP', address: rinfo.address, port: rinfo.port }),
    );
    this.#udp.on('error', (err) => this.#logger.error({ err }, 'sip udp socket failed'));

    await new Promise<void>((resolve, reject) => {
      this.#tcp.once('error', reject);
      this.#tcp.listen(bound, host, () => resolve());
    });
    return bound;
  }

  /** Sends to a peer. Returns false where a TCP peer has no open connection. */
  send(peer: SipPeer, message: SipMessage): boolean {
    const bytes = serializeSipMessage(message);
    if (peer.transport === 'UDP') {
      this.#udp.send(bytes, peer.port, peer.address);
      return true;
    }
    const socket = this.#connections.get(peerKey(peer));
    if (socket === undefined || socket.destroyed) return false;
    socket.write(bytes);
    return true;
  }

  /** Messages dropped as malformed since start. */
  get dropped(): number {
    return this.#drops.total;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#drops.flush();
    for (const socket of this.#connections.values()) socket.destroy();
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    await new Promise<void>((resolve) => this.#udp.close(() => resolve()));
  }

  #acceptTcp(socket: Socket): void {
    const peer: SipPeer = {
      transport: 'TCP',
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
    };
    const key = peerKey(peer);
    const framer = new SipStreamFramer();
    let lostSync = false;
    this.#connections.set(key, socket);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk) => {
      try {
        for (const bytes of framer.push(chunk)) this.#receive(bytes, peer);
      } catch (error) {
        // A stream that cannot be framed cannot be resynchronised: drop the connection.
        lostSync = true;
        this.#drop(error, peer, framer.buffered);
        socket.destroy();
      }
    });
    socket.on('error', (err) =>
      this.#logger.debug({ err, peer: key }, 'sip tcp connection failed'),
    );
    socket.on('close', () => {
      if (this.#connections.get(key) === socket) {
        this.#connections.delete(key);
        // Connections we close at shutdown say nothing about the device.
        if (!this.#closing) this.#closeHandler(peer);
      }
      // A message cut off by the end of the connection never reaches the handler.
      if (!lostSync && framer.buffered > 0) {
        const reason =
          'Cannot frame SIP stream: connection closed inside a message: ' +
          `${framer.buffered} bytes`;
        this.#drop(new Error(reason), peer, framer.buffered);
      }
    });
  }

  #receive(bytes: Uint8Array, peer: SipPeer): void {
    if (isSipKeepalive(bytes)) return; // CRLF keepalives (RFC 5626 §3.5.1)
    let message: SipMessage;
    try {
      message = parseSipMessage(bytes);
    } catch (error) {
      this.#refuse(bytes, error, peer);
      return;
    }
    try {
      this.#handler(message, peer);
    } catch (error) {
      this.#logger.error({ err: error, peer: peerKey(peer) }, 'sip handler failed');
    }
  }

  /** Answers a request that could not be parsed where one is owed, and reports the drop. */
  #refuse(bytes: Uint8Array, error: unknown, peer: SipPeer): void {
    const answer = answerUnparsable(bytes, error, peer);
    if (answer !== undefined) this.send(peer, answer);
    this.#drop(error, peer, bytes.length, answer?.status);
  }

  #drop(error: unknown, peer: SipPeer, size: number, status?: number): void {
    this.#drops.record({
      peer: peerKey(peer),
      size,
      code: isArgusError(error) ? error.code : undefined,
      reason: error instanceof Error ? error.message : String(error),
      ...(status === undefined ? {} : { status }),
    });
  }
}
