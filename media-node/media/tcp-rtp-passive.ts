/**
 * RTP over TCP with the node passive (RFC 4145 `a=setup:passive`, `a=connection:new`; GB/T
 * 28181-2016 §F): the node listens on a port of ARGUS_RTP_PORTS and the device connects to
 * it. Only a connection from the device's address counts: the one its SIP comes from, or the
 * one its answer names. The first such connection wins and the port stops listening; any
 * other connection is closed and counted, and the first refusal is logged. When the winning
 * connection ends, the session ends.
 */
import type { Socket } from 'node:net';

import type { Logger } from '../../src/logger.ts';
import type { GbSdp, SdpMedia } from '../formats/sdp.ts';
import type { MediaOffer } from '../gb/live-invite.ts';
import type { RtpIngest } from './rtp-ingest.ts';
import type { TcpRtpPort } from './rtp-port-pool.ts';
import { answeredVideo, CONNECTION_CLOSED_REASON, type RtpReceiver } from './rtp-receiver.ts';
import { TcpRtpConnection } from './tcp-rtp-connection.ts';

export class TcpPassiveRtpReceiver implements RtpReceiver {
  readonly offer: MediaOffer;
  readonly #rtp: TcpRtpPort;
  readonly #ingest: RtpIngest;
  readonly #release: (rtp: TcpRtpPort) => void;
  readonly #logger: Logger;
  #connection: TcpRtpConnection | undefined;
  #refused = 0;
  /** Addresses the device may connect from; empty: any (no device address known). */
  readonly #allowed = new Set<string>();
  #onEnd: ((reason: string) => void) | undefined;
  #closed = false;

  constructor(
    rtp: TcpRtpPort,
    ingest: RtpIngest,
    release: (rtp: TcpRtpPort) => void,
    logger: Logger,
    deviceAddress?: string,
  ) {
    if (deviceAddress !== undefined) this.#allowed.add(plainAddress(deviceAddress));
    this.#rtp = rtp;
    this.#ingest = ingest;
    this.#release = release;
    this.#logger = logger;
    this.offer = { port: rtp.port, protocol: 'TCP/RTP/AVP', setup: 'passive', connection: 'new' };
    rtp.server.on('connection', (socket) => this.#accept(socket));
  }

  get port(): number {
    return this.#rtp.port;
  }

  /** Whether the device's connection arrived. */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  stats(): Record<string, number> {
    return { ...this.#connection?.stats(), refusedConnections: this.#refused };
  }

  /** Takes the answer; its c= address may connect too (a camera with a separate media port). */
  async start(answer: GbSdp): Promise<SdpMedia> {
    const media = answeredVideo(answer, this.offer);
    const address = media.address ?? answer.connection;
    if (this.#allowed.size > 0 && address !== '') this.#allowed.add(plainAddress(address));
    return media;
  }

  onEnd(listener: (reason: string) => void): void {
    this.#onEnd = listener;
  }

  close(): void {
    this.#closed = true;
    this.#connection?.close();
    this.#release(this.#rtp);
  }

  #accept(socket: Socket): void {
    if (this.#connection !== undefined || this.#closed) {
      this.#refuse(socket, 'taken');
      return;
    }
    if (!this.#fromDevice(socket)) {
      this.#refuse(socket, 'not the device address');
      return;
    }
    this.#connection = new TcpRtpConnection(socket, this.#ingest, (error) => this.#ended(error));
    // `a=connection:new` asks for one connection: nobody else gets in.
    this.#rtp.server.close(() => undefined);
    this.#logger.info(
      { port: this.#rtp.port, remote: this.#connection.remote },
      'rtp connection accepted',
    );
  }

  #fromDevice(socket: Socket): boolean {
    if (this.#allowed.size === 0) return true;
    return this.#allowed.has(plainAddress(socket.remoteAddress ?? ''));
  }

  /** Closes a connection that cannot be the device's; only the first refusal is logged. */
  #refuse(socket: Socket, why: string): void {
    this.#refused++;
    if (this.#refused === 1) {
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
      const expected = [...this.#allowed];
      this.#logger.warn({ port: this.#rtp.port, remote, why, expected }, 'rtp connection refused');
    }
    socket.on('error', () => undefined);
    socket.destroy();
  }

  #ended(error: string | undefined): void {
    if (this.#closed) return;
    this.#logger.info(
      { port: this.#rtp.port, ...(error !== undefined && { error }) },
      'rtp connection closed',
    );
    this.#onEnd?.(CONNECTION_CLOSED_REASON);
  }
}

/** An IPv4 address as Node reports it on a dual-stack socket (`::ffff:a.b.c.d`), plain. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address.toLowerCase();
}
