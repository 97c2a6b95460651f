/**
 * PTZCmd known answers. No real PTZCmd is among the public captures (../shared/fixtures has
 * none), so the vectors are the standard's own DeviceControl example and commands derived by
 * hand from the byte layout of GB/T 28181-2016 §A.3, each checksum summed in the comment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import {
  buildPtzCmd,
  parsePtzCmd,
  presetActions,
  ptzDirections,
  type PtzDirection,
} from '../../../media-node/formats/ptz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { fuzzRuns } from '../../support/fuzz.ts';

// Address 1, speed 5: pan/tilt/focus/iris byte 80H, zoom nibble 8H. Bytes 1–3 sum to B5H.
const speed5: Readonly<Record<PtzDirection, string>> = {
  LEFT: 'A50F010280000037', // B5 + 02 + 80 = 137 → 37
  RIGHT: 'A50F010180000036', // B5 + 01 + 80 = 136 → 36
  UP: 'A50F01080080003D', // B5 + 08 + 80 = 13D → 3D
  DOWN: 'A50F010400800039', // B5 + 04 + 80 = 139 → 39
  UPPER_LEFT: 'A50F010A808000BF', // B5 + 0A + 80 + 80 = 1BF → BF
  UPPER_RIGHT: 'A50F0109808000BE', // B5 + 09 + 80 + 80 = 1BE → BE
  LOWER_LEFT: 'A50F0106808000BB', // B5 + 06 + 80 + 80 = 1BB → BB
  LOWER_RIGHT: 'A50F0105808000BA', // B5 + 05 + 80 + 80 = 1BA → BA
  STOP: 'A50F0100000000B5', // B5
  IN: 'A50F011000008045', // B5 + 10 + 80 (zoom 8 << 4) = 145 → 45
  OUT: 'A50F012000008055', // B5 + 20 + 80 = 155 → 55
  ZOOM_STOP: 'A50F0100000000B5', // the same command as STOP
  FOCUS_FAR: 'A50F014180000076', // B5 + 41 + 80 = 176 → 76
  FOCUS_NEAR: 'A50F014280000077', // B5 + 42 + 80 = 177 → 77
  IRIS_OPEN: 'A50F014400800079', // B5 + 44 + 80 = 179 → 79
  IRIS_CLOSE: 'A50F01480080007D', // B5 + 48 + 80 = 17D → 7D
  FI_STOP: 'A50F0140000000F5', // B5 + 40 = F5
};

const stops: readonly PtzDirection[] = ['STOP', 'ZOOM_STOP', 'FI_STOP'];

describe('ptz', () => {
  it('buildPtzCmd writes every direction at speed 5 as derived from §A.3', () => {
    for (const direction of ptzDirections) {
      assert.equal(buildPtzCmd({ kind: 'direction', direction, speed: 5 }), speed5[direction]);
    }
  });

  it('parsePtzCmd reads every direction back with its speed and a valid checksum', () => {
    for (const direction of ptzDirections) {
      const parsed = parsePtzCmd(speed5[direction]);
      assert.equal(parsed.checksumOk, true, direction);
      const expected = direction === 'ZOOM_STOP' ? 'STOP' : direction;
      const speed = stops.includes(direction) ? 0 : 5;
      assert.deepEqual(parsed.command, { kind: 'direction', direction: expected, speed });
    }
  });

  it('parsePtzCmd reads the DeviceControl example of GB/T 28181 Annex A (zoom in)', () => {
    const parsed = parsePtzCmd('A50F4D1000001021');
    assert.equal(parsed.checksumOk, true);
    assert.equal(parsed.address, 0x4d);
    assert.equal(parsed.instruction, 0x10);
    assert.equal(parsed.zoomSpeed, 1);
    assert.deepEqual(parsed.command, { kind: 'direction', direction: 'IN', speed: 1 });
  });

  it('buildPtzCmd maps speed 1 to 1AH and 10 to FFH, and zoom speed 10 to FH', () => {
    const left = (speed: number) => buildPtzCmd({ kind: 'direction', direction: 'LEFT', speed });
    assert.equal(left(1), 'A50F01021A0000D1'); // B5 + 02 + 1A = D1
    assert.equal(left(10), 'A50F0102FF0000B6'); // B5 + 02 + FF = 1B6 → B6
    // Address 123H: 23H in byte 3, 1H in byte 7's low nibble; A5+0F+23+10+F1 = 1D8 → D8
    assert.equal(
      buildPtzCmd({ kind: 'direction', direction: 'IN', speed: 10 }, 0x123),
      'A50F23100000F1D8',
    );
    // Address FFFH: A5+0F+FF+0F = 1C2 → C2
    assert.equal(
      buildPtzCmd({ kind: 'direction', direction: 'STOP', speed: 0 }, 0xfff),
      'A50FFF0000000FC2',
    );
  });

  it('buildPtzCmd writes preset set, call and delete as 81H, 82H, 83H, index in byte 6', () => {
    const preset = (action: (typeof presetActions)[number]) =>
      buildPtzCmd({ kind: 'preset', action, index: 3 });
    assert.equal(preset('SET'), 'A50F018100030039'); // B5 + 81 + 03 = 139 → 39
    assert.equal(preset('CALL'), 'A50F01820003003A'); // B5 + 82 + 03 = 13A → 3A
    assert.equal(preset('DELETE'), 'A50F01830003003B'); // B5 + 83 + 03 = 13B → 3B
    assert.deepEqual(parsePtzCmd(preset('CALL')).command, {
      kind: 'preset',
      action: 'CALL',
      index: 3,
    });
    assert.equal(
      buildPtzCmd({ kind: 'preset', action: 'SET', index: 255 }),
      'A50F018100FF0035', // B5 + 81 + FF = 235 → 35
    );
  });

  it('buildPtzCmd refuses a speed, preset or address out of range with VALIDATION', () => {
    const cases = [
      () => buildPtzCmd({ kind: 'direction', direction: 'UP', speed: 0 }),
      () => buildPtzCmd({ kind: 'direction', direction: 'UP', speed: 11 }),
      () => buildPtzCmd({ kind: 'direction', direction: 'IN', speed: 2.5 }),
      () => buildPtzCmd({ kind: 'preset', action: 'CALL', index: 0 }),
      () => buildPtzCmd({ kind: 'preset', action: 'CALL', index: 256 }),
      () => buildPtzCmd({ kind: 'direction', direction: 'STOP', speed: 0 }, 0x1000),
    ];
    for (const build of cases) {
      assert.throws(build, (e: unknown) => {
        assert.ok(isArgusError(e, errorCodes.VALIDATION));
        assert.match(e.message, /^Cannot build PTZCmd: \w+ must be an integer from \d+ to \d+: /);
        return true;
      });
    }
  });

  it('parsePtzCmd reports a wrong checksum or check nibble instead of throwing', () => {
    assert.equal(parsePtzCmd('A50F010280000038').checksumOk, false);
    // Byte 2 claims version 0 with check nibble E; byte 8 sums correctly (B4+02+80 = 136).
    assert.equal(parsePtzCmd('A50E010280000036').checksumOk, false);
    assert.equal(parsePtzCmd('a50f010280000037').checksumOk, true, 'lower case is read');
  });

  it('parsePtzCmd leaves instructions it does not know without a command', () => {
    // 8CH: auxiliary switch on (§A.3.7), B5 + 8C + 01 = 142 → 42
    const parsed = parsePtzCmd('A50F018C01000042');
    assert.equal(parsed.checksumOk, true);
    assert.equal(parsed.command, undefined);
    // Left and right together is no direction.
    assert.equal(parsePtzCmd('A50F010380000038').command, undefined);
  });

  it('parsePtzCmd refuses what is not 16 hex digits starting A5 with MANSCDP_MALFORMED', () => {
    for (const text of [
      '',
      'A50F01028000',
      'A50F0102800000377',
      'A50F01028000003G',
      'FF0F010280000037',
    ]) {
      assert.throws(
        () => parsePtzCmd(text),
        (e: unknown) => isArgusError(e, errorCodes.MANSCDP_MALFORMED),
        text,
      );
    }
  });

  it('buildPtzCmd and parsePtzCmd round-trip every command and address', () => {
    const command = fc.oneof(
      fc.record({
        kind: fc.constant('direction' as const),
        direction: fc.constantFrom(...ptzDirections.filter((d) => !stops.includes(d))),
        speed: fc.integer({ min: 1, max: 10 }),
      }),
      fc.record({
        kind: fc.constant('preset' as const),
        action: fc.constantFrom(...presetActions),
        index: fc.integer({ min: 1, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(command, fc.integer({ min: 0, max: 0xfff }), (cmd, address) => {
        const parsed = parsePtzCmd(buildPtzCmd(cmd, address));
        assert.equal(parsed.checksumOk, true);
        assert.equal(parsed.address, address);
        assert.deepEqual(parsed.command, { ...cmd });
      }),
      { numRuns: fuzzRuns(200) },
    );
  });

  it('parsePtzCmd never throws anything but MANSCDP_MALFORMED', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        try {
          parsePtzCmd(text);
        } catch (error) {
          assert.ok(isArgusError(error, errorCodes.MANSCDP_MALFORMED));
        }
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});
