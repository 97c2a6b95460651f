/**
 * Ports for incoming RTP, from ARGUS_RTP_PORTS: a UDP socket, or a TCP listening socket for
 * RTP over TCP where the node is passive (RFC 4571, RFC 4145 `a=setup:passive`). Even ports
 * only (RFC 3550 §11: RTP on even, RTCP on the odd one above), handed out round-robin so
 * that a port just released is not reused at once by a new session that could receive the
 * old stream's late packets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

import { ArgusError, errorCodes } from '../../src/errors.ts';

export interface UdpRtpPort {
  readonly kind: 'udp';
  readonly port: number;
  readonly socket: Socket;
}

export interface TcpRtpPort {
  readonly kind: 'tcp';
  readonly port: number;
  /** Listening; its owner closes it once the device's connection arrived. */
  readonly server: Server;
}

export type RtpPort = UdpRtpPort | TcpRtpPort;

export class RtpPortPool {
  readonly #ports: number[];
  readonly #inUse = new Set<number>();
  readonly #host: string;
  #cursor = 0;

  constructor(range: { min: number; max: number }, host = '0.0.0.0') {
    const first = range.min % 2 === 0 ? range.min : range.min + 1;
    this.#ports = [];
    for (let port = first; port <= range.max; port += 2) this.#ports.push(port);
    this.#host = host;
  }

  /**
   * Binds a UDP socket on the next free port.
   * @throws ArgusError UNAVAILABLE where every port of the range is taken
   */
  async acquireUdp(): Promise<UdpRtpPort> {
    const { port, handle } = await this.#acquire((p) => bindUdp(p, this.#host));
    return { kind: 'udp', port, socket: handle };
  }

  /**
   * Listens on TCP on the next free port.
   * @throws ArgusError UNAVAILABLE where every port of the range is taken
   */
  async acquireTcp(): Promise<TcpRtpPort> {
    const { port, handle } = await this.#acquire((p) => listenTcp(p, this.#host));
    return { kind: 'tcp', port, server: handle };
  }

  /** Closes the socket and frees the port. */
  release(rtp: RtpPort): void {
    this.#inUse.delete(rtp.port);
    if (rtp.kind === 'tcp') {
      rtp.server.close(() => undefined);
      return;
    }
    try {
      rtp.socket.close();
    } catch {
      // Closed already.
    }
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  async #acquire<T>(bind: (port: number) => Promise<T | undefined>) {
    for (let tried = 0; tried < this.#ports.length; tried++) {
      const port = this.#ports[this.#cursor] ?? 0;
      this.#cursor = (this.#cursor + 1) % this.#ports.length;
      if (this.#inUse.has(port)) continue;

      // Held while binding, so that a concurrent acquire does not try the same port.
      this.#inUse.add(port);
      const handle = await bind(port);
      if (handle !== undefined) return { port, handle };
      this.#inUse.delete(port); // taken by another process
    }
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot receive RTP: no free port in the range (${this.#ports.length} ports)`,
    );
  }
}

function bindUdp(port: number, host: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

function listenTcp(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => {
      server.removeAllListeners('error');
      // Errors after listening (none expected) must not end the process.
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}
