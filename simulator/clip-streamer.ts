/**
 * Plays the test clip in a loop at real-time pace as a camera does (GB/T 28181-2016 §C):
 * each frame becomes one PS pack, after one pack per audio unit due before it
 * (clip-packs.ts); each pack is split into RTP packets handed to `send` (a UDP socket, or a
 * TCP connection framing them per RFC 4571). Timestamps are 90 kHz and keep increasing across
 * loops; sequence numbers run on modulo 2^16.
 */
import { randomInt } from 'node:crypto';
import type { ClipFrame } from './media/clip.ts';
import type { Clock } from './clock.ts';
import { RtpFrameSender, type StreamStats, type StreamTarget } from './rtp-frame-sender.ts';

export const CLIP_FPS = 25;
const TICKS_PER_FRAME = 90_000 / CLIP_FPS;
const FRAME_MS = 1000 / CLIP_FPS;
/** Further behind than this, the stream skips ahead instead of bursting frames out. */
const MAX_LATE_MS = 1000;

export class ClipStreamer {
  readonly #sender: RtpFrameSender;
  /** 90 kHz time of the first frame; random as RFC 3550 §5.1 asks. */
  readonly #firstTimestamp = randomInt(2 ** 30);
  #startedAt = 0;
  #timer: unknown;
  #running = false;

  constructor(
    private readonly frames: ClipFrame[],
    send: (packet: Uint8Array) => void,
    target: StreamTarget,
    private readonly clock: Clock,
  ) {
    if (frames.length === 0) throw new Error('Cannot stream the clip: it holds no frames');
    this.#sender = new RtpFrameSender(send, target, randomInt(0x10000));
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
    return { ...this.#sender.stats };
  }

  /** Sends every frame that is due, then sleeps until the next one. */
  #tick(): void {
    if (!this.#running) return;
    const elapsed = this.clock.now() - this.#startedAt;
    if (elapsed - this.#sender.stats.frames * FRAME_MS > MAX_LATE_MS) {
      this.#startedAt = this.clock.now() - this.#sender.stats.frames * FRAME_MS;
    }
    while (
      this.#running &&
      this.#sender.stats.frames * FRAME_MS <= this.clock.now() - this.#startedAt
    ) {
      this.#sendFrame(this.#sender.stats.frames);
    }
    const nextAt = this.#startedAt + this.#sender.stats.frames * FRAME_MS;
    this.#timer = this.clock.setTimeout(() => this.#tick(), Math.max(0, nextAt - this.clock.now()));
  }

  #sendFrame(index: number): void {
    const frame = this.frames[index % this.frames.length];
    if (frame === undefined) return;
    this.#sender.sendFrame(frame, this.#firstTimestamp + index * TICKS_PER_FRAME);
  }
}
