/**
 * UDP ports for incoming RTP, from ARGUS_RTP_PORTS. Even ports only (RFC 3550 §11: RTP on
 * even, RTCP on the odd one above), handed out round-robin so that a port just released is
 * not reused at once by a new session that could receive the old stream's late packets.
 */
import { createSocket, type Socket } from 'node:dgram';

import { ArgusError, errorCodes } from '../../src/errors.ts';

export interface RtpPort {
  readonly port: number;
  readonly socket: Socket;
}

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
   * Binds the next free port.
   * @throws ArgusError UNAVAILABLE where every port of the range is taken
   */
  async acquire(): Promise<RtpPort> {
    for (let tried = 0; tried < this.#ports.length; tried++) {
      const port = this.#ports[this.#cursor] ?? 0;
      this.#cursor = (this.#cursor + 1) % this.#ports.length;
      if (this.#inUse.has(port)) continue;

      const socket = await bindUdp(port, this.#host);
      if (socket === undefined) continue; // taken by another process
      this.#inUse.add(port);
      return { port, socket };
    }
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      `Cannot receive RTP: no free port in the range (${this.#ports.length} ports)`,
    );
  }

  release(rtp: RtpPort): void {
    this.#inUse.delete(rtp.port);
    try {
      rtp.socket.close();
    } catch {
      // Closed already.
    }
  }

  get inUse(): number {
    return this.#inUse.size;
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
