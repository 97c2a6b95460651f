import { adtsDuration } from './aac.ts';
import { delta33 } from './flv-clock.ts';
import { G711_SAMPLE_RATE, isG711 } from './g711.ts';
import type { AudioCodec } from './ps-demuxer.ts';

const TICKS_PER_SECOND = 90000;
const PTS_MODULUS = 2 ** 33;

/**
 * The 90 kHz times of one audio track of a program stream (ISO/IEC 13818-1 §2.4.3.7) where
 * devices leave the PTS out of some or all audio PES, or repeat the previous one. A PES is
 * placed where the one before it ended, as counted from the audio itself: 1024 samples per
 * AAC frame at the ADTS sample rate, one sample per G.711 byte at 8 kHz. The first such PES,
 * and the first after a loss (the count skipped what was lost), is placed by the RTP clock
 * where there is one, never before the count. Fractions of a tick are carried from PES to
 * PES, so 44.1 kHz audio does not drift. Pure arithmetic, no wall clock.
 */
export class AudioPesClock {
  /** Exact start of the PES stamped last, modulo 2^33. */
  private started = 0;
  /** Exact end of the last completed PES, where known. */
  private next: number | undefined;
  /** The PTS the previous PES carried: the same one again is stuck, not new. */
  private lastPesPts: number | undefined;
  private stale = false;

  /**
   * The PTS of a PES that begins now. `pesPts` is what its header carried; `rtpPts` the time
   * of the RTP clock, where the caller has one; `fallback` the time to start from where
   * neither a count nor the RTP clock exists (the latest video PTS, say).
   */
  stamp(pesPts: number | undefined, rtpPts: number | undefined, fallback: number): number {
    const repeated = pesPts === undefined || pesPts === this.lastPesPts;
    if (pesPts !== undefined) this.lastPesPts = pesPts;
    this.started = repeated ? this.counted(rtpPts, fallback) : pesPts;
    this.stale = false;
    return Math.round(this.started) % PTS_MODULUS;
  }

  /** The PES stamped last completed with `data`: the next one follows it by its duration. */
  advance(codec: AudioCodec, data: Uint8Array): void {
    const ticks = durationTicks(codec, data);
    this.next = ticks === undefined ? undefined : (this.started + ticks) % PTS_MODULUS;
  }

  /** Audio was lost: the next PES without a PTS is placed by the RTP clock where there is one. */
  markLoss(): void {
    this.stale = true;
  }

  private counted(rtpPts: number | undefined, fallback: number): number {
    const next = this.next;
    if (rtpPts === undefined) return next ?? fallback;
    if (next === undefined) return rtpPts;
    // A loss leaves the count behind; the RTP clock may not take the track backwards.
    return this.stale && delta33(rtpPts, next) > 0 ? rtpPts : next;
  }
}

/** 90 kHz ticks of audio in one PES payload; undefined where no ADTS frame is found. */
export function durationTicks(codec: AudioCodec, data: Uint8Array): number | undefined {
  if (isG711(codec)) return (data.length * TICKS_PER_SECOND) / G711_SAMPLE_RATE;
  const adts = adtsDuration(data);
  return adts === undefined ? undefined : (adts.samples * TICKS_PER_SECOND) / adts.sampleRate;
}
