/**
 * The millisecond timeline of an FLV stream built from the 90 kHz PES times of a program
 * stream (ISO/IEC 13818-1 §2.4.3.7): every track counts from one origin, survives the
 * 33-bit wrap and never goes backwards. Pure arithmetic, no wall clock.
 */

const TIMESTAMP_MODULUS = 2 ** 33;
/** A step between two frames of a track beyond this, either way, is a device clock jump. */
export const FLV_MAX_STEP_TICKS = 10 * 90000;

/** Signed difference of two 33-bit 90 kHz times, for deltas below 2^32 ticks (13 hours). */
export function delta33(to: number, from: number): number {
  const d = (((to - from) % TIMESTAMP_MODULUS) + TIMESTAMP_MODULUS) % TIMESTAMP_MODULUS;
  return d >= TIMESTAMP_MODULUS / 2 ? d - TIMESTAMP_MODULUS : d;
}

interface TrackTime {
  last: number | undefined;
  elapsedTicks: number;
  lastMs: number;
}

export type FlvTrack = 'video' | 'audio';

/**
 * Shared origin, per-track position. The first time given to any track becomes the origin
 * (0 ms); a track's first time before the origin is refused, so that frames older than the
 * start of the stream (audio lagging video) are dropped instead of piling up at 0 ms.
 */
export class FlvClock {
  private origin: number | undefined;
  private readonly tracks: Record<FlvTrack, TrackTime> = {
    video: { last: undefined, elapsedTicks: 0, lastMs: 0 },
    audio: { last: undefined, elapsedTicks: 0, lastMs: 0 },
  };

  /**
   * Milliseconds of the 90 kHz time `ticks` on `track`: from the origin, floored, never
   * below the track's previous value. A step longer than FLV_MAX_STEP_TICKS is a clock jump,
   * not elapsed time: the track goes on from where it was (the FRI SPVMN tool sends one
   * audio PES 11 hours ahead, then returns). Undefined where the track has not started and
   * `ticks` is before the origin.
   */
  toMs(track: FlvTrack, ticks: number): number | undefined {
    const time = this.tracks[track];
    this.origin ??= ticks;
    if (time.last === undefined) {
      const fromOrigin = delta33(ticks, this.origin);
      if (fromOrigin < 0) return undefined;
      time.elapsedTicks = fromOrigin;
    } else {
      const step = delta33(ticks, time.last);
      if (Math.abs(step) <= FLV_MAX_STEP_TICKS) time.elapsedTicks += step;
    }
    time.last = ticks;
    time.lastMs = Math.max(time.lastMs, Math.floor(time.elapsedTicks / 90));
    return time.lastMs;
  }
}
