/**
 * Sends clip frames as a camera does: each frame becomes PS packs (clip-packs.ts), each pack
 * RTP packets of the call's SSRC and payload type, handed to `send` (a UDP socket, or a TCP
 * connection framing them per RFC 4571). Sequence numbers run on modulo 2^16; what was sent
 * is counted. Live and playback streamers pace frames differently and share this.
 */
import { buildRtpPacket, packetizeRtp } from '../media-node/formats/rtp.ts';
import { clipFramePacks } from './clip-packs.ts';
import type { ClipFrame } from './media/clip.ts';

export interface StreamTarget {
  address: string;
  port: number;
  ssrc: number;
  payloadType: number;
}

export interface StreamStats {
  frames: number;
  packets: number;
  bytes: number;
}

export class RtpFrameSender {
  readonly stats: StreamStats = { frames: 0, packets: 0, bytes: 0 };
  #sequence: number;

  constructor(
    private readonly send: (packet: Uint8Array) => void,
    private readonly target: StreamTarget,
    firstSequence: number,
  ) {
    this.#sequence = firstSequence & 0xffff;
  }

  /** Sends one frame whose video PTS (90 kHz) is `pts`. */
  sendFrame(frame: ClipFrame, pts: number): void {
    for (const timed of clipFramePacks(frame, pts)) this.#sendPack(timed.pack, timed.pts);
    this.stats.frames++;
  }

  #sendPack(pack: Uint8Array, pts: number): void {
    const packets = packetizeRtp(pack, {
      payloadType: this.target.payloadType,
      ssrc: this.target.ssrc,
      timestamp: pts % 2 ** 32,
      firstSequence: this.#sequence,
    });
    for (const packet of packets) {
      const bytes = buildRtpPacket(packet);
      this.send(bytes);
      this.stats.bytes += bytes.length;
    }
    this.#sequence = (this.#sequence + packets.length) & 0xffff;
    this.stats.packets += packets.length;
  }
}
