/**
 * Daily usage from metered periods (stream_usage rows): bytes in and out per day and the
 * peak and average bandwidth in each direction. Pure: rows in, days out.
 *
 * A period that spans a day boundary (or the edge of the asked range) is split in proportion
 * to its time on each side, its traffic taken as even across the period. The peak of a day is
 * the largest sum of the rates (bytes × 8 / period seconds) of the periods running at one
 * instant; the average is the day's bits over the day's seconds within the range.
 */

/** One metered period of one channel and direction. */
export interface UsagePeriod {
  readonly deviceId: string;
  readonly channelId: string;
  readonly direction: 'IN' | 'OUT';
  /** ISO 8601. */
  readonly from: string;
  readonly to: string;
  readonly bytes: number;
}

export interface UsageDay {
  /** The day's date in the asked zone, `YYYY-MM-DD`. */
  readonly date: string;
  /** Where the day, clipped to the asked range, starts and ends. */
  readonly from: Date;
  readonly to: Date;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Bits per second. */
  readonly peakIn: number;
  readonly peakOut: number;
  readonly averageIn: number;
  readonly averageOut: number;
}

export interface ChannelUsageDays {
  readonly deviceId: string;
  readonly channelId: string;
  readonly days: UsageDay[];
}

/** Days a usage report may span. */
export const maxUsageDays = 31;

const dayMs = 86_400_000;

/**
 * The days (in the zone `offsetMinutes` east of UTC) that `from`–`to` touches, each clipped
 * to it.
 */
export function daysOf(
  from: Date,
  to: Date,
  offsetMinutes: number,
): { date: string; from: Date; to: Date }[] {
  const shift = offsetMinutes * 60_000;
  const days = [];
  let start = Math.floor((from.getTime() + shift) / dayMs) * dayMs - shift;
  while (start < to.getTime()) {
    const end = start + dayMs;
    days.push({
      date: new Date(start + shift).toISOString().slice(0, 10),
      from: new Date(Math.max(start, from.getTime())),
      to: new Date(Math.min(end, to.getTime())),
    });
    start = end;
  }
  return days;
}

/** The enterprise's days (every day of the range) and each channel's (those with traffic). */
export function usageDays(
  periods: readonly UsagePeriod[],
  range: { from: Date; to: Date; offsetMinutes: number },
): { days: UsageDay[]; channels: ChannelUsageDays[] } {
  const days = daysOf(range.from, range.to, range.offsetMinutes);
  const byChannel = new Map<string, UsagePeriod[]>();
  for (const period of periods) {
    const key = `${period.deviceId}/${period.channelId}`;
    const own = byChannel.get(key) ?? [];
    own.push(period);
    byChannel.set(key, own);
  }
  const channels = [...byChannel.values()].map((own) => ({
    deviceId: own[0]?.deviceId ?? '',
    channelId: own[0]?.channelId ?? '',
    days: days.map((day) => dayOf(own, day)),
  }));
  return { days: days.map((day) => dayOf(periods, day)), channels };
}

function dayOf(
  periods: readonly UsagePeriod[],
  day: { date: string; from: Date; to: Date },
): UsageDay {
  const inbound = periods.filter((p) => p.direction === 'IN');
  const outbound = periods.filter((p) => p.direction === 'OUT');
  const seconds = (day.to.getTime() - day.from.getTime()) / 1000;
  const bytesIn = bytesWithin(inbound, day);
  const bytesOut = bytesWithin(outbound, day);
  return {
    ...day,
    bytesIn: Math.round(bytesIn),
    bytesOut: Math.round(bytesOut),
    peakIn: Math.round(peakRate(inbound, day)),
    peakOut: Math.round(peakRate(outbound, day)),
    averageIn: seconds > 0 ? Math.round((bytesIn * 8) / seconds) : 0,
    averageOut: seconds > 0 ? Math.round((bytesOut * 8) / seconds) : 0,
  };
}

/** The part of the periods' bytes that falls within the window. */
function bytesWithin(periods: readonly UsagePeriod[], window: { from: Date; to: Date }): number {
  let bytes = 0;
  for (const period of periods) {
    const from = Date.parse(period.from);
    const to = Date.parse(period.to);
    const overlap = Math.min(to, window.to.getTime()) - Math.max(from, window.from.getTime());
    if (overlap <= 0) continue;
    bytes += to > from ? (period.bytes * overlap) / (to - from) : period.bytes;
  }
  return bytes;
}

/** The largest sum of rates (bits per second) of the periods running at one instant. */
function peakRate(periods: readonly UsagePeriod[], window: { from: Date; to: Date }): number {
  const steps: [number, number][] = [];
  for (const period of periods) {
    const from = Date.parse(period.from);
    const to = Date.parse(period.to);
    const start = Math.max(from, window.from.getTime());
    const end = Math.min(to, window.to.getTime());
    if (end <= start || to <= from) continue;
    const rate = (period.bytes * 8 * 1000) / (to - from);
    steps.push([start, rate], [end, -rate]);
  }
  // At one instant, ends before starts: back-to-back periods of one call do not add up.
  steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, change] of steps) {
    current += change;
    peak = Math.max(peak, current);
  }
  return peak;
}
