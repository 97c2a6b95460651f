import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import {
  crc32Mpeg2,
  muxPsAudioFrame,
  muxPsVideoFrame,
  PS_MAX_PES_PAYLOAD,
} from '../../../media-node/formats/ps-muxer.ts';
import { findStartCode } from '../../../media-node/formats/bytes.ts';
import { ACCESS_UNIT_MAX_BYTES } from '../../../media-node/formats/limits.ts';
import { skipWithoutFixture } from '../../support/fixtures.ts';
import { HIK, demuxAll, mustReadFixture } from './support.ts';

const IDR = Uint8Array.of(0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33);

/** stream_ids of the start codes in a pack, in order (payloads hold none here). */
function startCodes(pack: Uint8Array): number[] {
  const ids: number[] = [];
  for (let at = findStartCode(pack); at >= 0; at = findStartCode(pack, at + 3))
    ids.push(pack[at + 3] ?? -1);
  return ids;
}

test('muxPsVideoFrame writes pack, system header and stream map on keyframes only', () => {
  const key = muxPsVideoFrame(IDR, { pts: 0, keyframe: true });
  const delta = muxPsVideoFrame(IDR, { pts: 3600, keyframe: false });

  assert.deepEqual(startCodes(key), [0xba, 0xbb, 0xbc, 0xe0, IDR[4]]);
  assert.deepEqual(startCodes(delta), [0xba, 0xe0, IDR[4]]);
});

test('muxPsVideoFrame declares H.265 and G.711A in the stream map when asked', () => {
  const { demuxer } = demuxAll([
    muxPsVideoFrame(IDR, { pts: 0, keyframe: true, codec: 'h265', audio: 'g711a' }),
  ]);

  assert.deepEqual(
    [...demuxer.streamMap],
    [
      [0xe0, 'h265'],
      [0xc0, 'g711a'],
    ],
  );
});

test('muxPsVideoFrame writes a stream map whose CRC_32 checks', () => {
  const pack = muxPsVideoFrame(IDR, { pts: 0, keyframe: true, audio: 'g711a' });
  let mapStart = findStartCode(pack);
  while (mapStart >= 0 && pack[mapStart + 3] !== 0xbc) mapStart = findStartCode(pack, mapStart + 3);
  const length = 6 + (((pack[mapStart + 4] ?? 0) << 8) | (pack[mapStart + 5] ?? 0));

  assert.ok(mapStart > 0);
  assert.equal(
    crc32Mpeg2(pack.subarray(mapStart, mapStart + length)),
    0,
    'CRC over the whole section leaves 0',
  );
});

test('crc32Mpeg2 gives the CRC-32/MPEG-2 check value', () => {
  assert.equal(crc32Mpeg2(new TextEncoder().encode('123456789')), 0x0376e6e7);
});

test(
  'crc32Mpeg2 shows that Hikvision writes the stream map CRC byte-swapped',
  { skip: skipWithoutFixture(`${HIK}/hik-seq291-idr-start.ps`) },
  () => {
    const capture = mustReadFixture(`${HIK}/hik-seq291-idr-start.ps`);
    const map = capture.subarray(0x2c, 0x2c + 6 + 0x5e);

    const crc = crc32Mpeg2(map.subarray(0, -4));

    assert.equal(Buffer.from(map.subarray(-4)).toString('hex'), '3e53909c');
    assert.equal(crc.toString(16), '9c90533e');
  },
);

test('muxPsVideoFrame carries 33-bit PTS and DTS through the demuxer', () => {
  const pts = 2 ** 33 - 1;
  const dts = 2 ** 32 + 12345;

  const { frames } = demuxAll([muxPsVideoFrame(IDR, { pts, dts, keyframe: true })]);

  assert.deepEqual(
    frames.map((f) => [f.pts, f.dts]),
    [[pts, dts]],
  );
});

test('muxPsVideoFrame takes timestamps modulo 2^33', () => {
  const { frames } = demuxAll([muxPsVideoFrame(IDR, { pts: 2 ** 33 + 5, keyframe: false })]);

  assert.deepEqual(
    frames.map((f) => [f.pts, f.dts]),
    [[5, 5]],
  );
});

test('muxPsVideoFrame splits an access unit into PES of at most 65400 bytes, PTS on first', () => {
  const au = new Uint8Array(2 * PS_MAX_PES_PAYLOAD + 1000).fill(0x11);
  au.set(IDR);

  const pack = muxPsVideoFrame(au, { pts: 9000, keyframe: false });

  const pes = [14, 14 + 9 + 5 + PS_MAX_PES_PAYLOAD, 14 + 2 * 9 + 5 + 2 * PS_MAX_PES_PAYLOAD];
  assert.deepEqual(
    pes.map((at) => [pack[at + 3], ((pack[at + 4] ?? 0) << 8) | (pack[at + 5] ?? 0), pack[at + 7]]),
    [
      [0xe0, 3 + 5 + PS_MAX_PES_PAYLOAD, 0x80],
      [0xe0, 3 + PS_MAX_PES_PAYLOAD, 0x00],
      [0xe0, 3 + 1000, 0x00],
    ],
  );
  assert.deepEqual(demuxAll([pack]).frames[0]?.data, au);
});

test('muxPsAudioFrame writes a pack with one audio PES', () => {
  const samples = new Uint8Array(320).fill(0xd5);

  const pack = muxPsAudioFrame(samples, { pts: 4500 });

  assert.deepEqual(startCodes(pack), [0xba, 0xc0]);
  assert.equal(pack.length, 14 + 14 + 320);
});

test('muxPsVideoFrame rejects an empty access unit and one above ACCESS_UNIT_MAX_BYTES', () => {
  assert.throws(
    () => muxPsVideoFrame(new Uint8Array(0), { pts: 0, keyframe: true }),
    (e: unknown) => isArgusError(e, errorCodes.PS_MALFORMED),
  );
  assert.throws(
    () => muxPsVideoFrame(new Uint8Array(ACCESS_UNIT_MAX_BYTES + 1), { pts: 0, keyframe: true }),
    (e: unknown) => isArgusError(e, errorCodes.PS_TOO_LARGE),
  );
});
