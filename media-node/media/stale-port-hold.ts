/**
 * An RTP port a device may still be streaming to after the node restarted: bound by a socket
 * that drops (and counts) what arrives, so that the RtpPortPool, finding it taken, gives new
 * sessions other ports until the old dialog's BYE settled.
 */
import { createSocket, type Socket } from 'node:dgram';

export class StalePortHold {
  readonly port: number;
  readonly #socket: Socket;
  #packets = 0;
  #released = false;

  private constructor(port: number, socket: Socket) {
    this.port = port;
    this.#socket = socket;
    socket.on('message', () => this.#packets++);
  }

  /** Binds `port` on UDP; undefined where it cannot be bound (another process holds it). */
  static bind(port: number, host: string): Promise<StalePortHold | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(undefined);
      });
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve(new StalePortHold(port, socket));
      });
    });
  }

  /** Packets received while held. */
  get packets(): number {
    return this.#packets;
  }

  /** Frees the port; returns the packets dropped while it was held. */
  release(): number {
    if (!this.#released) {
      this.#released = true;
      this.#socket.close();
    }
    return this.#packets;
  }
}
