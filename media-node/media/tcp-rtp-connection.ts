/**
 * One RTP-over-TCP media connection (RFC 4571 §2; GB/T 28181-2016 §F): the bytes read, cut
 * wherever the network cut them, go through an Rfc4571Framer, which holds at most one frame
 * and the next header, resynchronises after garbage and sets RTCP apart; the RTP packets go
 * to the session's RtpIngest. The node only reads: it writes nothing on the connection.
 */
import type { Socket } from 'node:net';

import { Rfc4571Framer } from '../formats/rfc4571.ts';
import type { RtpIngest } from './rtp-ingest.ts';

export interface TcpRtpConnectionStats {
  /** Bytes read from the connection. */
  tcpBytes: number;
  /** Times the framing was lost and the framer scanned for the next frame. */
  resyncs: number;
  /** Bytes those scans discarded. */
  skippedBytes: number;
}

export class TcpRtpConnection {
  readonly #socket: Socket;
  readonly #framer = new Rfc4571Framer();
  readonly #ingest: RtpIngest;
  #bytes = 0;
  #rtcpSeen = 0;
  #error: string | undefined;
  #closing = false;

  /** `onEnd` is called once where the peer closes or resets the connection, with the error. */
  constructor(socket: Socket, ingest: RtpIngest, onEnd: (error: string | undefined) => void) {
    this.#socket = socket;
    this.#ingest = ingest;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#error = error.code ?? error.message;
    });
    socket.once('close', () => {
      if (!this.#closing) onEnd(this.#error);
    });
  }

  /** `address:port` of the peer. */
  get remote(): string {
    return `${this.#socket.remoteAddress ?? '?'}:${this.#socket.remotePort ?? 0}`;
  }

  get localPort(): number {
    return this.#socket.localPort ?? 0;
  }

  stats(): TcpRtpConnectionStats {
    const { resyncs, skippedBytes } = this.#framer.stats;
    return { tcpBytes: this.#bytes, resyncs, skippedBytes };
  }

  /** Closes the connection from this side, without calling `onEnd`. */
  close(): void {
    this.#closing = true;
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#bytes += chunk.length;
    for (const packet of this.#framer.push(chunk)) this.#ingest.push(packet);

    const { rtcp } = this.#framer.stats;
    if (rtcp > this.#rtcpSeen) this.#ingest.noteRtcp(rtcp - this.#rtcpSeen);
    this.#rtcpSeen = rtcp;
  }
}
