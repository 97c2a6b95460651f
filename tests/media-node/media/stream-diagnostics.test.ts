import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isLoopback } from '../../../media-node/media/diagnostics-route.ts';
import { troubleSince, type StreamCounters } from '../../../media-node/media/stream-diagnostics.ts';

const clean: StreamCounters = {
  packets: 1000,
  bytesIn: 1_300_000,
  bytesOut: 2_000_000,
  lost: 0,
  reordered: 0,
  duplicates: 0,
  malformed: 0,
  foreign: 0,
  ssrcChanges: 0,
  resyncs: 0,
  framingSkippedBytes: 0,
  psSkippedBytes: 0,
  psDroppedFrames: 0,
};

describe('troubleSince', () => {
  it('finds no trouble where only traffic, reorders and duplicates grew', () => {
    const later = { ...clean, packets: 2000, bytesIn: 2_600_000, reordered: 4, duplicates: 2 };
    assert.equal(troubleSince(clean, later), undefined);
  });

  it('gives the growth of loss, resyncs and PS errors since the last report', () => {
    const before = { ...clean, lost: 3, resyncs: 1 };
    const now = { ...before, lost: 10, resyncs: 2, psDroppedFrames: 1, psSkippedBytes: 188 };
    assert.deepEqual(troubleSince(before, now), {
      lost: 7,
      resyncs: 1,
      psSkippedBytes: 188,
      psDroppedFrames: 1,
    });
  });

  it('counts from zero for the first report', () => {
    assert.deepEqual(troubleSince(undefined, { ...clean, malformed: 2 }), { malformed: 2 });
  });
});

describe('isLoopback', () => {
  it('accepts 127.0.0.0/8 and ::1, also IPv4-mapped', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      assert.equal(isLoopback(address), true, address);
    }
  });

  it('refuses any other address', () => {
    for (const address of ['10.0.0.5', '::ffff:192.168.1.2', '128.0.0.1', 'fe80::1', '']) {
      assert.equal(isLoopback(address), false, address);
    }
  });
});
