/**
 * One incoming RTP stream on its own UDP port: RTP → reorder → PS demux → frames. Locks to
 * the first sender so that stray packets cannot join the stream; counts trouble instead of
 * logging per packet.
 */
import type { RemoteInfo, Socket } from 'node:dgram';

import { parseRtpPacket } from '../formats/rtp.ts';
import { RtpReorderBuffer } from '../formats/rtp-reorder.ts';
import { PsDemuxer, type ElementaryFrame } from '../formats/ps-demuxer.ts';

export interface RtpIngestStats {
  packets: number;
  bytes: number;
  malformed: number;
  foreign: number;
  lost: number;
}

export class RtpIngest {
  readonly stats: RtpIngestStats = { packets: 0, bytes: 0, malformed: 0, foreign: 0, lost: 0 };
  readonly #reorder = new RtpReorderBuffer();
  readonly #demuxer = new PsDemuxer();
  readonly #onFrame: (frame: ElementaryFrame) => void;
  #source: string | undefined;
  #ssrc: number | undefined;
  #lastPacketAt = 0;
  #markersMeaningful = false;

  constructor(socket: Socket, onFrame: (frame: ElementaryFrame) => void) {
    this.#onFrame = onFrame;
    socket.on('message', (bytes, rinfo) => this.#receive(bytes, rinfo));
  }

  /** When the last packet arrived (ms since epoch), 0 before the first. */
  get lastPacketAt(): number {
    return this.#lastPacketAt;
  }

  /** The SSRC the sender uses: devices do not always use the one offered in `y=`. */
  get ssrc(): number | undefined {
    return this.#ssrc;
  }

  get demuxStats() {
    return this.#demuxer.stats;
  }

  /**
   * The marker bit ends a frame (GB/T 28181-2016 §C.2), so the frame goes out without waiting
   * for the next one; some senders set it on every packet, and from those it means nothing.
   */
  #endFrameOnMarker(marker: boolean): void {
    if (!marker) {
      this.#markersMeaningful = true;
      return;
    }
    if (!this.#markersMeaningful) return;
    for (const frame of this.#demuxer.markFrameEnd()) this.#onFrame(frame);
  }

  #receive(bytes: Uint8Array, rinfo: RemoteInfo): void {
    const source = `${rinfo.address}:${rinfo.port}`;
    this.#source ??= source;
    if (source !== this.#source) {
      this.stats.foreign++;
      return;
    }

    let packet;
    try {
      packet = parseRtpPacket(bytes);
    } catch {
      this.stats.malformed++;
      return;
    }
    this.#ssrc ??= packet.ssrc;
    if (packet.ssrc !== this.#ssrc) {
      this.stats.foreign++;
      return;
    }

    this.stats.packets++;
    this.stats.bytes += bytes.length;
    this.#lastPacketAt = Date.now();
    for (const ordered of this.#reorder.push(packet)) {
      for (const frame of this.#demuxer.push(ordered.payload, ordered.afterLoss)) {
        this.#onFrame(frame);
      }
      this.#endFrameOnMarker(ordered.marker);
    }
    this.stats.lost = this.#reorder.lost;
  }
}
