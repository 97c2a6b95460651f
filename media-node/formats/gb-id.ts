/**
 * GB/T 28181 device and channel IDs (GB/T 28181-2016 Annex D): 20 digits, centre code (8) +
 * industry (2) + type (3) + network (1) + serial (6).
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';

const GB_ID = /^\d{20}$/;

/** True where `s` is 20 decimal digits. */
export function isGbId(s: string): boolean {
  return GB_ID.test(s);
}

function checkGbId(s: string): void {
  if (!isGbId(s)) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot read GB ID: not 20 digits: ${JSON.stringify(s.slice(0, 40))}`,
    );
  }
}

/**
 * The type code: digits 11–13 (131 camera, 132 IP camera, 200 SIP server, …).
 * @throws ArgusError VALIDATION where `s` is not a GB ID
 */
export function gbIdType(s: string): number {
  checkGbId(s);
  return Number(s.slice(10, 13));
}

/** The SIP domain of an ID: its first 10 digits (centre code and industry). */
export function gbIdDomain(s: string): string {
  checkGbId(s);
  return s.slice(0, 10);
}

/** True for the video channel types devices use: 131 (camera) and 132 (IP camera). */
export function isVideoChannelType(type: number): boolean {
  return type === 131 || type === 132;
}

/**
 * An ID made from `base` with its type code and 6-digit serial replaced, e.g. channel IDs
 * of a device: `withGbIdTypeAndSerial('34020000001320000001', 131, 2)`.
 * @throws ArgusError VALIDATION where `base` is not a GB ID or type/serial are out of range
 */
export function withGbIdTypeAndSerial(base: string, type: number, serial: number): string {
  checkGbId(base);
  if (!Number.isInteger(type) || type < 0 || type > 999) {
    throw new ArgusError(errorCodes.VALIDATION, `Cannot build GB ID: invalid type code: ${type}`);
  }
  if (!Number.isInteger(serial) || serial < 0 || serial > 999_999) {
    throw new ArgusError(errorCodes.VALIDATION, `Cannot build GB ID: invalid serial: ${serial}`);
  }
  const typeDigits = String(type).padStart(3, '0');
  return `${base.slice(0, 10)}${typeDigits}${base.slice(13, 14)}${String(serial).padStart(6, '0')}`;
}
