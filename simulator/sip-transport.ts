/**
 * SIP over UDP or TCP to one server, as a camera has it: every message goes to the platform,
 * every message received is parsed here. TCP reconnects on demand (RFC 3261 §18).
 */
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket as TcpSocket } from 'node:net';
import { SipStreamFramer, isSipKeepalive } from '../media-node/formats/sip-framer.ts';
import { parseSipMessage, serializeSipMessage } from '../media-node/formats/sip-message.ts';
import type { SipMessage } from '../media-node/formats/sip-message.ts';

export interface TransportHandlers {
  onMessage(message: SipMessage): void;
  /** A message that could not be read, or a socket error; the transport stays open. */
  onError(error: Error): void;
  /** TCP only: the server closed the connection. */
  onClose(): void;
}

export interface SipTransport {
  readonly protocol: 'UDP' | 'TCP';
  /** True on TCP: requests are not retransmitted (RFC 3261 §17.1.1.2). */
  readonly reliable: boolean;
  /** The address and port written in Via and Contact. */
  readonly localAddress: string;
  readonly localPort: number;
  /** @throws Error where the message cannot be sent (TCP connection closed) */
  send(message: SipMessage): void;
  /** TCP: opens a new connection after the server closed the last one. */
  reconnect(): Promise<void>;
  close(): Promise<void>;
}

export interface TransportOptions {
  server: { host: string; port: number };
  localPort: number;
  localIp?: string;
}

/** The local address the system routes to `host` from, found with a connected UDP socket. */
async function routeSource(host: string, port: number): Promise<string> {
  const probe = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.connect(port, host, resolve);
    });
    return probe.address().address;
  } finally {
    probe.close();
  }
}

function deliver(bytes: Uint8Array, handlers: TransportHandlers): void {
  if (isSipKeepalive(bytes)) return;
  try {
    handlers.onMessage(parseSipMessage(bytes));
  } catch (error) {
    handlers.onError(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Opens a UDP socket bound to `localPort` (0: any) that talks to the server. */
export async function openUdpTransport(
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<SipTransport> {
  const { host, port } = options.server;
  const localAddress = options.localIp ?? (await routeSource(host, port));
  const socket: UdpSocket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.localPort, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('message', (data) => deliver(new Uint8Array(data), handlers));
  socket.on('error', (error) => handlers.onError(error));

  return {
    protocol: 'UDP',
    reliable: false,
    localAddress,
    localPort: socket.address().port,
    send: (message) => socket.send(serializeSipMessage(message), port, host),
    reconnect: async () => {},
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** Opens a TCP connection to the server, framing the byte stream by Content-Length. */
export async function openTcpTransport(
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<SipTransport> {
  let socket = await connectTcp(options, handlers);
  let closing = false;
  socket.on('close', () => closing || handlers.onClose());

  return {
    protocol: 'TCP',
    reliable: true,
    get localAddress() {
      return options.localIp ?? socket.localAddress ?? '127.0.0.1';
    },
    get localPort() {
      return socket.localPort ?? 0;
    },
    send: (message) => {
      if (socket.destroyed)
        throw new Error('Cannot send SIP message: the TCP connection is closed');
      socket.write(serializeSipMessage(message));
    },
    reconnect: async () => {
      socket = await connectTcp(options, handlers);
      socket.on('close', () => closing || handlers.onClose());
    },
    close: () =>
      new Promise((resolve) => {
        closing = true;
        socket.end(() => resolve());
        socket.destroySoon();
      }),
  };
}

async function connectTcp(
  options: TransportOptions,
  handlers: TransportHandlers,
): Promise<TcpSocket> {
  const { host, port } = options.server;
  const socket = await new Promise<TcpSocket>((resolve, reject) => {
    const s = connect({
      host,
      port,
      ...(options.localPort > 0 && { localPort: options.localPort }),
    });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  const framer = new SipStreamFramer();
  socket.on('data', (chunk) => {
    try {
      for (const message of framer.push(new Uint8Array(chunk))) deliver(message, handlers);
    } catch (error) {
      // The stream lost sync: drop the connection; onClose lets the device reconnect.
      handlers.onError(error instanceof Error ? error : new Error(String(error)));
      socket.destroy();
    }
  });
  socket.on('error', (error) => handlers.onError(error));
  return socket;
}
