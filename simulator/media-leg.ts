/**
 * How the simulated camera sends one call's RTP (GB/T 28181-2016 §F): UDP datagrams to the
 * offered port; or RTP over TCP with RFC 4571 framing, connecting to the platform where it
 * offered `a=setup:passive`, or accepting the platform's connection where it offered
 * `a=setup:active` (RFC 4145 §4.1). The leg says what the answer's m= line carries and hands
 * out a `send` once media can flow.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';

import { frameRfc4571 } from '../media-node/formats/rfc4571.ts';
import type { SdpMedia } from '../media-node/formats/sdp.ts';

/** The simulator's side: UDP, TCP connecting out (active), or TCP listening (passive). */
export type MediaRole = 'udp' | 'tcp-active' | 'tcp-passive';

export type SendRtp = (packet: Uint8Array) => void;

export interface MediaLeg {
  /** The transport part of the answer's m= line. */
  readonly answer: Pick<SdpMedia, 'port' | 'protocol' | 'setup' | 'connection'>;
  /**
   * Resolves once media can flow: at once on UDP, once connected on TCP. `onClose` is called
   * where the platform ends the TCP connection.
   */
  open(onClose: () => void): Promise<SendRtp>;
  close(): void;
}

/** Unsent bytes on a TCP connection past which packets are dropped, as a camera would. */
const MAX_TCP_BACKLOG_BYTES = 2 * 1024 * 1024;
/** The m= port of an endpoint that connects out (RFC 4145 §4). */
const DISCARD_PORT = 9;
const TCP_PROTOCOL = 'TCP/RTP/AVP';

/** Prepares the leg; on UDP and passive TCP its port is bound before the answer is sent. */
export async function openMediaLeg(
  role: MediaRole,
  target: { address: string; port: number },
): Promise<MediaLeg> {
  if (role === 'udp') return udpLeg(await bindUdp(target.address), target);
  if (role === 'tcp-active') return activeLeg(target);
  return passiveLeg(await listenTcp(target.address));
}

function udpLeg(socket: UdpSocket, target: { address: string; port: number }): MediaLeg {
  return {
    answer: { port: socket.address().port, protocol: 'RTP/AVP' },
    open: async () => (packet) => socket.send(packet, target.port, target.address),
    close: () => socket.close(),
  };
}

function activeLeg(target: { address: string; port: number }): MediaLeg {
  let socket: TcpSocket | undefined;
  return {
    answer: { port: DISCARD_PORT, protocol: TCP_PROTOCOL, setup: 'active', connection: 'new' },
    async open(onClose) {
      socket = await connectTcp(target.address, target.port);
      socket.once('close', onClose);
      return tcpSender(socket);
    },
    close: () => socket?.destroy(),
  };
}

function passiveLeg(server: Server): MediaLeg {
  let socket: TcpSocket | undefined;
  const accepted = new Promise<TcpSocket>((resolve) => server.once('connection', resolve));
  return {
    answer: {
      port: (server.address() as { port: number }).port,
      protocol: TCP_PROTOCOL,
      setup: 'passive',
      connection: 'new',
    },
    async open(onClose) {
      socket = await accepted;
      server.close();
      socket.once('close', onClose);
      return tcpSender(socket);
    },
    close: () => {
      server.close();
      socket?.destroy();
    },
  };
}

/** Frames each packet (RFC 4571 §2); drops it where the platform stopped reading. */
function tcpSender(socket: TcpSocket): SendRtp {
  socket.on('error', () => {});
  return (packet) => {
    if (socket.destroyed || socket.writableLength > MAX_TCP_BACKLOG_BYTES) return;
    socket.write(frameRfc4571(packet));
  };
}

async function bindUdp(address: string): Promise<UdpSocket> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A send error (unreachable port) must not end the simulator.
  socket.on('error', () => {});
  return socket;
}

function listenTcp(address: string): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address.includes(':') ? '::' : '0.0.0.0', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function connectTcp(host: string, port: number): Promise<TcpSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
