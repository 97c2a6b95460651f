/**
 * The local address a peer reaches us on: what goes into Via, Contact and SDP. Asking the
 * kernel which source address it would use for the peer (a connected UDP socket) answers it
 * without knowing the host's interfaces; ARGUS_PUBLIC_HOST overrides it behind NAT.
 */
import { createSocket } from 'node:dgram';

export class LocalAddressBook {
  readonly #publicHost: string | undefined;
  readonly #known = new Map<string, string>();

  constructor(publicHost: string | undefined) {
    this.#publicHost = publicHost;
  }

  /** The address for `remote`, once `learn` has resolved it; the loopback before. */
  get(remote: string): string {
    return this.#publicHost ?? this.#known.get(remote) ?? '127.0.0.1';
  }

  /** Resolves and remembers the local address for `remote`. */
  async learn(remote: string, port: number): Promise<string> {
    if (this.#publicHost !== undefined) return this.#publicHost;
    const cached = this.#known.get(remote);
    if (cached !== undefined) return cached;

    const socket = createSocket(remote.includes(':') ? 'udp6' : 'udp4');
    try {
      const local = await new Promise<string>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(port, remote, () => resolve(socket.address().address));
      });
      this.#known.set(remote, local);
      return local;
    } catch {
      return '127.0.0.1';
    } finally {
      socket.close();
    }
  }
}
