/**
 * The 8-byte front-end control command `PTZCmd` of GB/T 28181-2016 §A.3, as 16 hex digits:
 *
 * | byte | holds                                                                         |
 * | ---- | ----------------------------------------------------------------------------- |
 * | 1    | A5H                                                                           |
 * | 2    | version (high nibble, 0) and check (low nibble: byte 1's nibbles + version, mod 16) |
 * | 3    | address, low 8 bits                                                           |
 * | 4    | instruction: PTZ (§A.3.2), FI focus/iris (§A.3.3), presets 81H–83H (§A.3.4)   |
 * | 5, 6 | data 1 and 2: pan and tilt speed, focus and iris speed, or 00H and the preset |
 * | 7    | zoom speed (high nibble) and address, high 4 bits (low nibble)                |
 * | 8    | checksum: bytes 1–7 summed, mod 256                                           |
 *
 * Pure: builds and parses, no I/O.
 */
import { ptzDirections, type PtzDirection } from '../../src/domain/ptz-direction.ts';
import { ArgusError, errorCodes } from '../../src/errors.ts';

export { ptzDirections, type PtzDirection };

export const presetActions = ['SET', 'CALL', 'DELETE'] as const;
export type PresetAction = (typeof presetActions)[number];

/** The slowest and fastest `speed` of the API, mapped onto the byte (and nibble) range. */
export const minPtzSpeed = 1;
export const maxPtzSpeed = 10;
/** Presets are numbered 01H–FFH (§A.3.4). */
export const maxPresetIndex = 255;
/** The address is 12 bits; devices addressed by DeviceID ignore it, most take 1. */
export const defaultPtzAddress = 1;

export type PtzCommand =
  | { readonly kind: 'direction'; readonly direction: PtzDirection; readonly speed: number }
  | { readonly kind: 'preset'; readonly action: PresetAction; readonly index: number };

/** Which of bytes 5, 6 and the zoom nibble carry a direction's speed. */
interface Instruction {
  readonly code: number;
  readonly data1: boolean;
  readonly data2: boolean;
  readonly zoom: boolean;
}

const move = (code: number, data1: boolean, data2: boolean, zoom = false): Instruction => ({
  code,
  data1,
  data2,
  zoom,
});

// §A.3.2 PTZ: bit 0 right, 1 left, 2 down, 3 up, 4 zoom in (tele), 5 zoom out (wide).
// §A.3.3 FI: bits 7–4 0100b; bit 0 focus far, 1 focus near, 2 iris open, 3 iris close; byte
// 5 the focus speed, byte 6 the iris speed.
const instructions: Readonly<Record<PtzDirection, Instruction>> = {
  RIGHT: move(0x01, true, false),
  LEFT: move(0x02, true, false),
  DOWN: move(0x04, false, true),
  UP: move(0x08, false, true),
  LOWER_RIGHT: move(0x05, true, true),
  LOWER_LEFT: move(0x06, true, true),
  UPPER_RIGHT: move(0x09, true, true),
  UPPER_LEFT: move(0x0a, true, true),
  IN: move(0x10, false, false, true),
  OUT: move(0x20, false, false, true),
  // All motion bits clear stops pan, tilt and zoom alike: the two stops are one command.
  STOP: move(0x00, false, false),
  ZOOM_STOP: move(0x00, false, false),
  FOCUS_FAR: move(0x41, true, false),
  FOCUS_NEAR: move(0x42, true, false),
  IRIS_OPEN: move(0x44, false, true),
  IRIS_CLOSE: move(0x48, false, true),
  FI_STOP: move(0x40, false, false),
};

const presetCodes: Readonly<Record<PresetAction, number>> = { SET: 0x81, CALL: 0x82, DELETE: 0x83 };

/** `speed` 1–10 as a byte: 1 → 1AH, 10 → FFH. */
export function speedByte(speed: number): number {
  return Math.round((speed * 0xff) / maxPtzSpeed);
}

/** `speed` 1–10 as the zoom nibble: 1 → 2H, 10 → FH. */
export function speedNibble(speed: number): number {
  return Math.round((speed * 0xf) / maxPtzSpeed);
}

/**
 * The PTZCmd of a command, as 16 upper-case hex digits.
 * @throws ArgusError VALIDATION for a speed outside 1–10 (stops take any), a preset outside
 *   1–255 or an address outside 0–FFFH
 */
export function buildPtzCmd(command: PtzCommand, address = defaultPtzAddress): string {
  checkRange('address', address, 0, 0xfff);
  const bytes = new Uint8Array(8);
  bytes[0] = 0xa5;
  bytes[1] = checkNibbleByte(0);
  bytes[2] = address & 0xff;
  bytes[6] = (address >> 8) & 0x0f;
  if (command.kind === 'preset') {
    checkRange('preset', command.index, 1, maxPresetIndex);
    bytes[3] = presetCodes[command.action];
    bytes[5] = command.index;
  } else {
    const instruction = instructions[command.direction];
    const moves = instruction.data1 || instruction.data2 || instruction.zoom;
    if (moves) checkRange('speed', command.speed, minPtzSpeed, maxPtzSpeed);
    bytes[3] = instruction.code;
    if (instruction.data1) bytes[4] = speedByte(command.speed);
    if (instruction.data2) bytes[5] = speedByte(command.speed);
    if (instruction.zoom) bytes[6] |= speedNibble(command.speed) << 4;
  }
  bytes[7] = checksum(bytes);
  return [...bytes]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/** A PTZCmd as read: its fields, whether both checks hold, and what it asks where known. */
export interface ParsedPtzCmd {
  readonly address: number;
  readonly instruction: number;
  readonly data1: number;
  readonly data2: number;
  /** The high nibble of byte 7. */
  readonly zoomSpeed: number;
  /** Byte 2's check nibble and byte 8's checksum both hold. */
  readonly checksumOk: boolean;
  /** Undefined for instructions outside this module (cruise, scan, auxiliary switches). */
  readonly command: PtzCommand | undefined;
}

/**
 * Reads a PTZCmd (GB/T 28181-2016 §A.3). A wrong checksum is reported, not thrown: the
 * caller decides whether to act on it.
 * @throws ArgusError MANSCDP_MALFORMED where it is not 16 hex digits starting A5
 */
export function parsePtzCmd(text: string): ParsedPtzCmd {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{16}$/.test(hex)) {
    throw malformed(`not 16 hex digits: ${JSON.stringify(hex.slice(0, 32))}`);
  }
  const bytes = Uint8Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  const [first = 0, second = 0, low = 0, instruction = 0, data1 = 0, data2 = 0, last = 0] = bytes;
  if (first !== 0xa5) throw malformed(`first byte is not A5H: ${hex.slice(0, 2)}`);

  const checksumOk =
    second === checkNibbleByte(second >> 4) && bytes[7] === checksum(bytes.subarray(0, 7));
  const fields = { instruction, data1, data2, zoomSpeed: last >> 4 };
  return {
    address: ((last & 0x0f) << 8) | low,
    ...fields,
    checksumOk,
    command: readCommand(fields),
  };
}

function readCommand(fields: {
  instruction: number;
  data1: number;
  data2: number;
  zoomSpeed: number;
}): PtzCommand | undefined {
  const action = presetActions.find((a) => presetCodes[a] === fields.instruction);
  if (action !== undefined) return { kind: 'preset', action, index: fields.data2 };

  // ZOOM_STOP shares STOP's code: a parsed 00H reads as STOP.
  const direction = ptzDirections.find(
    (d) => d !== 'ZOOM_STOP' && instructions[d].code === fields.instruction,
  );
  if (direction === undefined) return undefined;
  const instruction = instructions[direction];
  const raw = instruction.data1
    ? speedOfByte(fields.data1)
    : instruction.data2
      ? speedOfByte(fields.data2)
      : instruction.zoom
        ? Math.round((fields.zoomSpeed * maxPtzSpeed) / 0xf)
        : 0;
  return { kind: 'direction', direction, speed: raw };
}

function speedOfByte(byte: number): number {
  return Math.round((byte * maxPtzSpeed) / 0xff);
}

/** Byte 2: the version, and the sum of byte 1's nibbles (A + 5) and the version, mod 16. */
function checkNibbleByte(version: number): number {
  return ((version & 0x0f) << 4) | ((0x0a + 0x05 + version) & 0x0f);
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += bytes[i] ?? 0;
  return sum % 256;
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot build PTZCmd: ${name} must be an integer from ${min} to ${max}: ${value}`,
    );
  }
}

function malformed(reason: string): ArgusError {
  return new ArgusError(errorCodes.MANSCDP_MALFORMED, `Cannot parse PTZCmd: ${reason}`);
}
