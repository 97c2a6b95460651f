/**
 * RTP over TCP with the node active (RFC 4145 `a=setup:active`; GB/T 28181-2016 §F): the
 * offer carries the discard port 9 (RFC 4145 §4), the device answers with the port it
 * listens on and `a=setup:passive`, and the node connects there once the 200 is ACKed. Where
 * that connection drops, the node connects again once (a device restarting its sender, a
 * middlebox resetting an idle flow); where it drops again, or cannot be reopened, the session
 * ends.
 */
import { connect, type Socket } from 'node:net';

import { ArgusError, errorCodes } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import type { GbSdp, SdpMedia } from '../formats/sdp.ts';
import type { MediaOffer } from '../gb/live-invite.ts';
import type { RtpIngest } from './rtp-ingest.ts';
import { answeredVideo, CONNECTION_CLOSED_REASON, type RtpReceiver } from './rtp-receiver.ts';
import { TcpRtpConnection } from './tcp-rtp-connection.ts';

/** The m= port of an endpoint that connects out and listens nowhere (RFC 4145 §4). */
const DISCARD_PORT = 9;
/** How long the device gets to start listening: some open the port only after the ACK. */
const CONNECT_DEADLINE_MS = 5000;
const CONNECT_RETRY_MS = 250;

export class TcpActiveRtpReceiver implements RtpReceiver {
  readonly offer: MediaOffer = {
    port: DISCARD_PORT,
    protocol: 'TCP/RTP/AVP',
    setup: 'active',
    connection: 'new',
  };
  readonly #ingest: RtpIngest;
  readonly #logger: Logger;
  readonly #connectDeadlineMs: number;
  #connection: TcpRtpConnection | undefined;
  #onEnd: ((reason: string) => void) | undefined;
  #closed = false;
  /** Where the device listens, once the answer was taken. */
  #target: { host: string; port: number } | undefined;
  #reconnected = false;
  /** Counters of the connection that dropped, carried into stats(). */
  #earlier: Record<string, number> = {};

  /** `connectDeadlineMs`: how long each connection (the first, and the one retry) may take. */
  constructor(ingest: RtpIngest, logger: Logger, options: { connectDeadlineMs?: number } = {}) {
    this.#ingest = ingest;
    this.#logger = logger;
    this.#connectDeadlineMs = options.connectDeadlineMs ?? CONNECT_DEADLINE_MS;
  }

  get port(): number {
    return this.#connection?.localPort ?? 0;
  }

  stats(): Record<string, number> {
    const now: Record<string, number> = { ...this.#connection?.stats() };
    const stats = { ...this.#earlier };
    for (const [key, value] of Object.entries(now)) stats[key] = (stats[key] ?? 0) + value;
    if (this.#reconnected) stats['reconnects'] = 1;
    return stats;
  }

  /**
   * Connects to the port the device answered, retrying while it refuses, up to a deadline.
   * @throws ArgusError UNAVAILABLE where the answer has no port or the connection fails
   */
  async start(answer: GbSdp): Promise<SdpMedia> {
    const media = answeredVideo(answer, this.offer);
    const host = media.address ?? answer.connection;
    if (media.port === 0) throw unreachable(`${host}:0`, 'the answer has port 0');

    this.#target = { host, port: media.port };
    const socket = await this.#connect(host, media.port);
    if (this.#closed) {
      socket.destroy();
      return media;
    }
    const connection = this.#open(socket);
    this.#logger.info({ remote: connection.remote }, 'rtp connection opened');
    return media;
  }

  onEnd(listener: (reason: string) => void): void {
    this.#onEnd = listener;
  }

  close(): void {
    this.#closed = true;
    this.#connection?.close();
  }

  async #connect(host: string, port: number): Promise<Socket> {
    const deadline = Date.now() + this.#connectDeadlineMs;
    for (;;) {
      try {
        return await connectOnce(host, port, deadline - Date.now());
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        if (this.#closed || Date.now() + CONNECT_RETRY_MS >= deadline) {
          throw unreachable(`${host}:${port}`, code);
        }
        await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
      }
    }
  }

  #open(socket: Socket): TcpRtpConnection {
    this.#connection = new TcpRtpConnection(socket, this.#ingest, (error) => this.#ended(error));
    return this.#connection;
  }

  #ended(error: string | undefined): void {
    if (this.#closed) return;
    this.#logger.info({ ...(error !== undefined && { error }) }, 'rtp connection closed');
    if (this.#reconnected || this.#target === undefined) {
      this.#onEnd?.(CONNECTION_CLOSED_REASON);
      return;
    }
    this.#reconnected = true;
    void this.#reconnect(this.#target);
  }

  /** Connects once more to where the device listens; ends the session where that fails. */
  async #reconnect(target: { host: string; port: number }): Promise<void> {
    this.#earlier = this.stats();
    delete this.#earlier['reconnects'];
    this.#connection = undefined;
    let socket: Socket;
    try {
      socket = await this.#connect(target.host, target.port);
    } catch (error) {
      if (this.#closed) return;
      this.#logger.warn({ error: (error as Error).message }, 'rtp connection not reopened');
      this.#onEnd?.(CONNECTION_CLOSED_REASON);
      return;
    }
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const connection = this.#open(socket);
    this.#logger.info({ remote: connection.remote }, 'rtp connection reopened');
  }
}

/** One connection attempt that gives up after `timeoutMs`. */
function connectOnce(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

function unreachable(address: string, reason: string): ArgusError {
  return new ArgusError(
    errorCodes.UNAVAILABLE,
    `Cannot receive RTP over TCP: no connection to ${address}: ${reason}`,
  );
}
