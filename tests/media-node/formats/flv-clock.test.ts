import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlvClock } from '../../../media-node/formats/flv-clock.ts';

test('FlvClock counts from the first time, across the 33-bit wrap', () => {
  const clock = new FlvClock();

  const times = [2 ** 33 - 3600, 0, 3600].map((ticks) => clock.toMs('video', ticks));

  assert.deepEqual(times, [0, 40, 80]);
});

test('FlvClock regression FRI SPVMN bogus PTS: a PES 11 hours ahead does not freeze it', () => {
  const clock = new FlvClock();
  // The FRI tool's ISO/IEC 11172-1 audio PES carry a PTS of 3556714050 amid 11205xxx.
  const pts = [11205360, 11205450, 3556714050, 11205540, 11206440];

  const times = pts.map((ticks) => clock.toMs('audio', ticks));

  assert.deepEqual(times, [0, 1, 1, 1, 11]);
});
