/**
 * Times as devices and IVM clients write them and as Argus answers them. Devices write their
 * local time without a zone (GB/T 28181-2016 §9.1.2.1, `2026-03-01T08:00:00`); IVM clients
 * send zone-less Beijing time; Argus answers ISO 8601 with an explicit offset.
 */

/** China Standard Time, UTC+8: the zone of zone-less IVM times and of most GB devices. */
export const BEIJING_OFFSET_MINUTES = 480;

const LOCAL_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3})\d*)?(Z|[+-]\d{2}:?\d{2})?$/;

function pad(value: number, width = 2): string {
  return String(Math.abs(value)).padStart(width, '0');
}

/** `at` as `YYYY-MM-DDTHH:MM:SS.mmm±HH:MM` in the zone `offsetMinutes` east of UTC. */
export function isoWithOffset(at: Date, offsetMinutes: number): string {
  const t = new Date(at.getTime() + offsetMinutes * 60_000);
  const date = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  const time = `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const zone = `${sign}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`;
  return `${date}T${time}.${pad(t.getUTCMilliseconds(), 3)}${zone}`;
}

/**
 * Reads `YYYY-MM-DDTHH:MM:SS[.mmm][Z|±HH:MM]`; without a zone the time is in the zone
 * `offsetMinutes` east of UTC. A space may stand for the `T`.
 * @returns undefined where the text is not such a time, or names no real date
 */
export function parseLocalTime(text: string, offsetMinutes: number): Date | undefined {
  const match = LOCAL_TIME.exec(text.trim());
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((match[7] ?? '0').padEnd(3, '0'));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(utc);
  // Date.UTC rolls 2026-02-30 over into March: a rolled field means no such time.
  const rolled = check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day;
  if (rolled || check.getUTCHours() !== hour || minute > 59 || second > 59) return undefined;
  return new Date(utc - zoneMinutes(match[8], offsetMinutes) * 60_000);
}

function zoneMinutes(zone: string | undefined, fallback: number): number {
  if (zone === undefined) return fallback;
  if (zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return digits.startsWith('-') ? -minutes : minutes;
}
