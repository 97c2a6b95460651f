/**
 * RTP over TCP with the node active (RFC 4145 `a=setup:active`; GB/T 28181-2016 §F): the
 * offer carries the discard port 9 (RFC 4145 §4), the device answers with the port it
 * listens on and `a=setup:passive`, and the node connects there once the 200 is ACKed. When
 * that connection ends, the session ends.
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
  #connection: TcpRtpConnection | undefined;
  #onEnd: ((reason: string) => void) | undefined;
  #closed = false;

  constructor(ingest: RtpIngest, logger: Logger) {
    this.#ingest = ingest;
    this.#logger = logger;
  }

  get port(): number {
    return this.#connection?.localPort ?? 0;
  }

  stats(): Record<string, number> {
    return { ...this.#connection?.stats() };
  }

  /**
   * Connects to the port the device answered, retrying while it refuses, up to a deadline.
   * @throws ArgusError UNAVAILABLE where the answer has no port or the connection fails
   */
  async start(answer: GbSdp): Promise<SdpMedia> {
    const media = answeredVideo(answer, this.offer);
    const host = media.address ?? answer.connection;
    if (media.port === 0) throw unreachable(`${host}:0`, 'the answer has port 0');

    const socket = await this.#connect(host, media.port);
    if (this.#closed) {
      socket.destroy();
      return media;
    }
    this.#connection = new TcpRtpConnection(socket, this.#ingest, (error) => this.#ended(error));
    this.#logger.info({ remote: this.#connection.remote }, 'rtp connection opened');
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
    const deadline = Date.now() + CONNECT_DEADLINE_MS;
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

  #ended(error: string | undefined): void {
    if (this.#closed) return;
    this.#logger.info({ ...(error !== undefined && { error }) }, 'rtp connection closed');
    this.#onEnd?.(CONNECTION_CLOSED_REASON);
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
