/**
 * Plays the test clip in a loop at real-time pace as a camera does (GB/T 28181-2016 §C):
 * each frame becomes one PS pack, after one pack per audio unit due before it
 * (clip-packs.ts); each pack is split into RTP packets handed to `send` (a UDP socket, or a
 * TCP connection framing them per RFC 4571). Timestamps are 90 kHz and keep increasing across
 * loops; sequence numbers run on modulo 2^16.
 */
import { randomInt } from 'node:crypto';
import { buildRtpPacket, packetizeRtp } from '../media-node/formats/rtp.ts';
import { clipFramePacks } from './clip-packs.ts';
import type { ClipFrame } from './media/clip.ts';
import type { Clock } from './clock.ts';

export const CLIP_FPS = 25;
const TICKS_PER_FRAME = 90_000 / CLIP_FPS;
const FRAME_MS = 1000 / CLIP_FPS;
/** Further behind than this, the stream skips ahead instead of bursting frames out. */
const MAX_LATE_MS = 1000;

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

export class ClipStreamer {
  readonly #stats: StreamStats = { frames: 0, packets: 0, bytes: 0 };
  #sequence = randomInt(0x10000);
  /** 90 kHz time of the first frame; random as RFC 3550 §5.1 asks. */
  readonly #firstTimestamp = randomInt(2 ** 30);
  #startedAt = 0;
  #timer: unknown;
  #running = false;

  constructor(
    private readonly frames: ClipFrame[],
    private readonly send: (packet: Uint8Array) => void,
    private readonly target: StreamTarget,
    private readonly clock: Clock,
  ) {
    if (frames.length === 0) throw new Error('Cannot stream the clip: it holds no frames');
  }

  start(): void {
    this.#running = true;
    this.#startedAt = this.clock.now();
    this.#tick();
  }

  /** Stops sending; returns what was sent. */
  stop(): StreamStats {
    this.#running = false;
    this.clock.clearTimeout(this.#timer);
    return { ...this.#stats };
  }

  /** Sends every frame that is due, then sleeps until the next one. */
  #tick(): void {
    if (!this.#running) return;
    const elapsed = this.clock.now() - this.#startedAt;
    if (elapsed - this.#stats.frames * FRAME_MS > MAX_LATE_MS) {
      this.#startedAt = this.clock.now() - this.#stats.frames * FRAME_MS;
    }
    while (this.#running && this.#stats.frames * FRAME_MS <= this.clock.now() - this.#startedAt) {
      this.#sendFrame(this.#stats.frames);
    }
    const nextAt = this.#startedAt + this.#stats.frames * FRAME_MS;
    this.#timer = this.clock.setTimeout(() => this.#tick(), Math.max(0, nextAt - this.clock.now()));
  }

  #sendFrame(index: number): void {
    const frame = this.frames[index % this.frames.length];
    if (frame === undefined) return;
    const pts = this.#firstTimestamp + index * TICKS_PER_FRAME;
    for (const timed of clipFramePacks(frame, pts)) this.#sendPack(timed.pack, timed.pts);
    this.#stats.frames++;
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
      this.#stats.bytes += bytes.length;
    }
    this.#sequence = (this.#sequence + packets.length) & 0xffff;
    this.#stats.packets += packets.length;
  }
}
