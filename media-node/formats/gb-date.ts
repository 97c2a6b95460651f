/**
 * The GB/T 28181 time format `YYYY-MM-DDTHH:MM:SS.mmm` (GB/T 28181-2016 §9.1.2.1, the
 * REGISTER 200 OK `Date:` header; MANSCDP times without milliseconds). It carries no zone:
 * devices take it as local time, so the platform writes its own local time. Callers pass the
 * zone as an offset in minutes east of UTC (480 for China Standard Time); the default 0 writes
 * UTC, which only suits devices configured for UTC.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `d` as `YYYY-MM-DDTHH:MM:SS.mmm` in the zone `offsetMinutes` east of UTC. */
export function formatGbDate(d: Date, offsetMinutes = 0): string {
  const t = new Date(d.getTime() + offsetMinutes * 60_000);
  const date = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  const time = `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  return `${date}T${time}.${pad(t.getUTCMilliseconds(), 3)}`;
}

const GB_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/**
 * Reads `YYYY-MM-DDTHH:MM:SS[.mmm]` written in the zone `offsetMinutes` east of UTC.
 * @throws ArgusError VALIDATION where the text is not in that form or not a real time
 */
export function parseGbDate(text: string, offsetMinutes = 0): Date {
  const match = GB_DATE.exec(text.trim());
  if (match === null) throw invalid(text);
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match
    .slice(1, 7)
    .map(Number);
  const millis = Number((match[7] ?? '0').padEnd(3, '0'));

  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  // Date.UTC rolls 2024-02-30 over to March: a rolled field means the text was not a time.
  const fields = [
    utc.getUTCFullYear(),
    utc.getUTCMonth() + 1,
    utc.getUTCDate(),
    utc.getUTCHours(),
    utc.getUTCMinutes(),
  ];
  if (fields.join() !== [year, month, day, hour, minute].join() || second > 59) throw invalid(text);
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

function invalid(text: string): ArgusError {
  return new ArgusError(
    errorCodes.VALIDATION,
    `Cannot parse GB date: expected YYYY-MM-DDTHH:MM:SS.mmm: ${JSON.stringify(text.slice(0, 40))}`,
  );
}
