import { RTP_REORDER_DEPTH } from './limits.ts';
import type { RtpPacket } from './rtp.ts';

/** A packet in sequence order; `afterLoss` is set where packets before it were lost. */
export interface OrderedPacket extends RtpPacket {
  afterLoss: boolean;
}

/** Sequence jump ahead beyond which a sender is taken to have restarted (RFC 3550 §A.1). */
const MAX_DROPOUT = 3000;
/** Packets this far behind are late or duplicated, never a restart (RFC 3550 §A.1). */
const MAX_MISORDER = 100;
/**
 * Packets held before the first one is emitted, so that packets overtaken at the very start
 * are not dropped as late (capped by the depth).
 */
const STARTUP_PACKETS = 8;

/**
 * Restores RTP sequence order (RFC 3550 §A.1, 16-bit sequence numbers with wrap): holds
 * packets that arrive early, drops duplicates, and declares the missing packets lost once more
 * than `depth` packets wait. A jump beyond MAX_DROPOUT is taken as a restarted sender after
 * two consecutive packets confirm it. The first min(depth, STARTUP_PACKETS) packets are held
 * and the stream starts at the lowest of them, so a reordered start loses nothing. Holds at
 * most `depth` packets; no timers: the caller decides when to `flush()`. Depth 0 suits an
 * ordered transport (RTP over TCP, RFC 4571): every packet passes at once, duplicates are
 * still dropped and a sequence gap is still declared lost.
 */
export class RtpReorderBuffer {
  private readonly depth: number;
  private readonly pending = new Map<number, RtpPacket>();
  // Recently passed sequence numbers: the number where emitted, -1 where declared lost.
  private readonly passed: Int32Array;
  private readonly lateWindow: number;
  private readonly startupPackets: number;
  private expected: number | undefined;
  private probation: number | undefined;
  private lossBeforeNext = false;
  private readonly counts = { lost: 0, duplicates: 0, discarded: 0, reordered: 0 };

  constructor(depth: number = RTP_REORDER_DEPTH) {
    if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DROPOUT) {
      throw new RangeError(
        `Cannot create RTP reorder buffer: depth out of range 0..${MAX_DROPOUT}: ${depth}`,
      );
    }
    this.depth = depth;
    this.lateWindow = Math.max(MAX_MISORDER, 2 * depth);
    this.startupPackets = Math.min(depth, STARTUP_PACKETS);
    this.passed = new Int32Array(2 ** Math.ceil(Math.log2(this.lateWindow + 1))).fill(-1);
  }

  /** Sequence numbers skipped as lost. */
  get lost(): number {
    return this.counts.lost;
  }

  /** Packets dropped as copies of a packet already emitted or waiting. */
  get duplicates(): number {
    return this.counts.duplicates;
  }

  /** Packets that arrived after a later one and filled their place in time. */
  get reordered(): number {
    return this.counts.reordered;
  }

  /** Packets dropped as too late (their place was declared lost) or far out of sequence. */
  get discarded(): number {
    return this.counts.discarded;
  }

  /** Takes one packet; returns the packets now ready, in sequence order. */
  push(p: RtpPacket): OrderedPacket[] {
    const out: OrderedPacket[] = [];
    const seq = p.sequenceNumber;
    if (this.expected === undefined) {
      this.hold(p, out);
      return out;
    }

    const ahead = (seq - this.expected) & 0xffff;
    const behind = (this.expected - seq) & 0xffff;
    if (ahead < MAX_DROPOUT) this.accept(p, ahead, out);
    else if (behind <= this.lateWindow) this.dropLate(seq);
    else this.onJump(p, out);
    return out;
  }

  /** Emits every waiting packet in order, declaring the gaps between them lost. */
  flush(): OrderedPacket[] {
    const out: OrderedPacket[] = [];
    if (this.expected === undefined && this.pending.size > 0) this.start(out);
    while (this.pending.size > 0) this.skipToNextPending(out);
    return out;
  }

  private hold(p: RtpPacket, out: OrderedPacket[]): void {
    if (this.pending.has(p.sequenceNumber)) {
      this.counts.duplicates += 1;
      return;
    }
    this.pending.set(p.sequenceNumber, p);
    if (this.pending.size >= Math.max(1, this.startupPackets)) this.start(out);
  }

  // Emits the lowest held packet, then takes the others as if they had arrived after it.
  private start(out: OrderedPacket[]): void {
    const held = [...this.pending.values()];
    this.pending.clear();
    const first = lowestSequence(held);
    this.emit(first, out);
    const distance = (p: RtpPacket) => (p.sequenceNumber - first.sequenceNumber) & 0xffff;
    for (const p of held.sort((a, b) => distance(a) - distance(b))) {
      if (p !== first) out.push(...this.push(p));
    }
  }

  private accept(p: RtpPacket, ahead: number, out: OrderedPacket[]): void {
    this.probation = undefined;
    if (ahead === 0) {
      if (this.pending.size > 0) this.counts.reordered += 1;
      this.emit(p, out);
      this.drain(out);
      return;
    }
    if (this.pending.has(p.sequenceNumber)) {
      this.counts.duplicates += 1;
      return;
    }
    this.pending.set(p.sequenceNumber, p);
    while (this.pending.size > this.depth) this.skipToNextPending(out);
  }

  private dropLate(seq: number): void {
    const emitted = this.passed[seq & (this.passed.length - 1)] === seq;
    if (emitted) this.counts.duplicates += 1;
    else this.counts.discarded += 1;
  }

  // A restart needs two consecutive packets, so one stray packet cannot derail the stream.
  private onJump(p: RtpPacket, out: OrderedPacket[]): void {
    if (this.probation !== p.sequenceNumber) {
      this.probation = (p.sequenceNumber + 1) & 0xffff;
      this.counts.discarded += 1;
      return;
    }
    this.probation = undefined;
    out.push(...this.flush());
    this.lossBeforeNext = true;
    this.emit(p, out);
  }

  private skipToNextPending(out: OrderedPacket[]): void {
    const expected = this.expected ?? 0;
    let gap = 0xffff;
    for (const seq of this.pending.keys()) gap = Math.min(gap, (seq - expected) & 0xffff);

    for (let i = 0; i < gap; i++) this.pass((expected + i) & 0xffff, -1);
    this.counts.lost += gap;
    this.expected = (expected + gap) & 0xffff;
    this.lossBeforeNext = true;
    this.drain(out);
  }

  private drain(out: OrderedPacket[]): void {
    for (let next = this.pending.get(this.expected ?? 0); next !== undefined;) {
      this.pending.delete(next.sequenceNumber);
      this.emit(next, out);
      next = this.pending.get(this.expected ?? 0);
    }
  }

  private emit(p: RtpPacket, out: OrderedPacket[]): void {
    // Named fields, not a spread: this runs per packet, and a literal of fixed shape is cheap.
    out.push({
      marker: p.marker,
      payloadType: p.payloadType,
      sequenceNumber: p.sequenceNumber,
      timestamp: p.timestamp,
      ssrc: p.ssrc,
      payload: p.payload,
      afterLoss: this.lossBeforeNext,
    });
    this.lossBeforeNext = false;
    this.pass(p.sequenceNumber, p.sequenceNumber);
    this.expected = (p.sequenceNumber + 1) & 0xffff;
  }

  private pass(seq: number, value: number): void {
    this.passed[seq & (this.passed.length - 1)] = value;
  }
}

/**
 * The packet the others follow (wrap-aware): the one with the most others less than
 * MAX_DROPOUT ahead of it, so a stray far-off packet cannot become the start.
 */
function lowestSequence(packets: RtpPacket[]): RtpPacket {
  let best = packets[0] as RtpPacket;
  let bestFollowers = -1;
  for (const candidate of packets) {
    const followers = packets.filter(
      (p) =>
        p !== candidate && ((p.sequenceNumber - candidate.sequenceNumber) & 0xffff) < MAX_DROPOUT,
    ).length;
    if (followers > bestFollowers) [best, bestFollowers] = [candidate, followers];
  }
  return best;
}
