import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fuzzRuns } from '../../support/fuzz.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { FlvH264Muxer, flvHeader, flvMetadata, flvTag } from '../../../media-node/formats/flv.ts';
import {
  buildAvcDecoderConfigurationRecord,
  splitAnnexB,
} from '../../../media-node/formats/h264.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { concatBytes } from '../../../media-node/formats/bytes.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';

const hex = (bytes: Uint8Array | undefined) =>
  Buffer.from(bytes ?? new Uint8Array(0)).toString('hex');
const CLIP = readClipFrames();
const annexB = (nals: Uint8Array[]) =>
  concatBytes(nals.flatMap((nal) => [Uint8Array.of(0, 0, 0, 1), nal]));

function video(index: number, dts: number, pts = dts): ElementaryFrame {
  const frame = CLIP[index];
  assert.ok(frame);
  return { kind: 'video', codec: 'h264', pts, dts, data: frame.data, keyframe: frame.keyframe };
}

/** The fields of one FLV tag (FLV spec v10 §E.4.1). */
function readTag(tag: Uint8Array | undefined) {
  assert.ok(tag);
  const view = new DataView(tag.buffer, tag.byteOffset, tag.length);
  const size = view.getUint32(0) & 0xffffff;
  return {
    type: view.getUint8(0),
    size,
    timestamp: (view.getUint32(4) >>> 8) | (view.getUint8(7) << 24),
    streamId: view.getUint32(7) & 0xffffff,
    body: tag.subarray(11, 11 + size),
    previousTagSize: view.getUint32(11 + size),
  };
}

test('flvHeader writes signature, version, flags, header size and PreviousTagSize0', () => {
  assert.equal(hex(flvHeader({ video: true, audio: true })), '464c5601050000000900000000');
  assert.equal(hex(flvHeader({ video: true, audio: false })), '464c5601010000000900000000');
});

test('flvTag writes the 24-bit time and TimestampExtended, and PreviousTagSize', () => {
  const tag = readTag(flvTag(9, 0x12345678, Uint8Array.of(1, 2, 3)));

  assert.deepEqual(
    { ...tag, body: hex(tag.body) },
    { type: 9, size: 3, timestamp: 0x12345678, streamId: 0, body: '010203', previousTagSize: 14 },
  );
});

test('flvTag rejects a negative time', () => {
  assert.throws(
    () => flvTag(9, -1, new Uint8Array(0)),
    (e: unknown) => isArgusError(e, errorCodes.CODEC_MALFORMED),
  );
});

test('flvMetadata writes onMetaData with an ECMA array of numbers', () => {
  const tag = readTag(flvMetadata({ width: 640, height: 360, framerate: 25 }));
  const body = new DataView(tag.body.buffer, tag.body.byteOffset, tag.body.length);

  assert.equal(tag.type, 18);
  assert.equal(new TextDecoder().decode(tag.body.subarray(3, 13)), 'onMetaData');
  assert.deepEqual([body.getUint8(13), body.getUint32(14)], [0x08, 3]);
  const keyLength = body.getUint16(18);
  assert.equal(new TextDecoder().decode(tag.body.subarray(20, 20 + keyLength)), 'width');
  assert.deepEqual([body.getUint8(25), body.getFloat64(26)], [0x00, 640]);
  assert.equal(hex(tag.body.subarray(-3)), '000009');
});

test('FlvH264Muxer drops frames until a keyframe, then writes header and keyframe at 0 ms', () => {
  const muxer = new FlvH264Muxer();

  const before = muxer.push(video(20, 90000));
  const tags = muxer.push(video(25, 93600)).map(readTag);

  assert.deepEqual(before, []);
  assert.deepEqual(
    tags.map((t) => [t.type, t.timestamp, hex(t.body.subarray(0, 5))]),
    [
      [9, 0, '1700000000'],
      [9, 0, '1701000000'],
    ],
  );
  const [sps, pps] = splitAnnexB(CLIP[25]?.data ?? new Uint8Array(0));
  assert.ok(sps && pps);
  assert.deepEqual(tags[0]?.body.subarray(5), buildAvcDecoderConfigurationRecord(sps, pps));
});

test('FlvH264Muxer writes inter frames with AVCC data and times from the first DTS', () => {
  const muxer = new FlvH264Muxer();
  muxer.push(video(0, 1000));

  const tag = readTag(muxer.push(video(1, 1000 + 3600))[0]);

  assert.deepEqual([tag.timestamp, hex(tag.body.subarray(0, 5))], [40, '2701000000']);
  const nal = splitAnnexB(CLIP[1]?.data ?? new Uint8Array(0))[0] ?? new Uint8Array(0);
  assert.equal(new DataView(tag.body.buffer, tag.body.byteOffset + 5).getUint32(0), nal.length);
});

test('FlvH264Muxer leaves SPS, PPS and AUD out of the video tags', () => {
  const muxer = new FlvH264Muxer();
  const aud = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);

  const tags = muxer.push({ ...video(0, 0), data: concatBytes([aud, video(0, 0).data]) });

  const idr = splitAnnexB(CLIP[0]?.data ?? new Uint8Array(0))[2] ?? new Uint8Array(0);
  assert.equal(readTag(tags[1]).size, 5 + 4 + idr.length);
});

test('FlvH264Muxer writes CompositionTime as PTS minus DTS in milliseconds', () => {
  const muxer = new FlvH264Muxer();

  const tags = muxer.push(video(0, 0, 7200));

  assert.equal(hex(readTag(tags[1]).body.subarray(0, 5)), '1701000050');
});

test('FlvH264Muxer keeps counting time across the 33-bit wrap and never goes backwards', () => {
  const muxer = new FlvH264Muxer();
  const wrap = 2 ** 33;
  const dts = [wrap - 3600, 0, 3600, 1800, 7200];

  const times = dts.map((d, i) => readTag(muxer.push(video(i, d)).at(-1)).timestamp);

  assert.deepEqual(times, [0, 40, 80, 80, 120]);
});

test('FlvH264Muxer emits a new sequence header when the SPS changes', () => {
  const muxer = new FlvH264Muxer();
  muxer.push(video(0, 0));
  const otherSps = Uint8Array.from(
    Buffer.from('6742c00dd90141fb011000000300100000030320f142a480', 'hex'),
  );
  const [, pps, idr] = splitAnnexB(CLIP[50]?.data ?? new Uint8Array(0));
  assert.ok(pps && idr);

  const same = muxer.push(video(25, 3600));
  const changed = muxer.push({ ...video(50, 7200), data: annexB([otherSps, pps, idr]) });

  assert.deepEqual(
    same.map((t) => hex(readTag(t).body.subarray(0, 2))),
    ['1701'],
  );
  assert.deepEqual(
    changed.map((t) => hex(readTag(t).body.subarray(0, 2))),
    ['1700', '1701'],
  );
  assert.deepEqual([muxer.sps?.width, muxer.sps?.height], [320, 240]);
});

test('FlvH264Muxer keeps the latest sequence header and metadata for late viewers', () => {
  const muxer = new FlvH264Muxer();
  assert.equal(muxer.sequenceHeaderTag(), undefined);
  assert.equal(muxer.metadataTag(), undefined);

  const [header] = muxer.push(video(0, 0));

  assert.deepEqual(muxer.sequenceHeaderTag(), header);
  assert.deepEqual([muxer.sps?.width, muxer.sps?.height], [640, 360]);
  assert.deepEqual(muxer.metadataTag(), flvMetadata({ width: 640, height: 360, videocodecid: 7 }));
});

test('FlvH264Muxer ignores audio and rejects H.265', () => {
  const muxer = new FlvH264Muxer();

  assert.deepEqual(
    muxer.push({
      kind: 'audio',
      codec: 'g711a',
      pts: 0,
      dts: 0,
      data: new Uint8Array(160),
      keyframe: true,
    }),
    [],
  );
  assert.throws(
    () => muxer.push({ ...video(0, 0), codec: 'h265' }),
    (e: unknown) => isArgusError(e, errorCodes.CODEC_UNSUPPORTED),
  );
});

test('FlvH264Muxer counts and ignores an SPS it cannot parse, keeping the previous one', () => {
  const muxer = new FlvH264Muxer();
  muxer.push(video(0, 0));
  const [, pps, idr] = splitAnnexB(CLIP[25]?.data ?? new Uint8Array(0));
  assert.ok(pps && idr);

  const tags = muxer.push({
    ...video(25, 3600),
    data: annexB([Uint8Array.of(0x67, 0x4d), pps, idr]),
  });

  assert.deepEqual(
    tags.map((t) => hex(readTag(t).body.subarray(0, 2))),
    ['1701'],
  );
  assert.equal(muxer.rejectedParameterSets, 1);
  assert.deepEqual([muxer.sps?.width, muxer.sps?.height], [640, 360]);
});

test('FlvH264Muxer push never throws on arbitrary H.264 units (fuzz)', () => {
  const nal = fc.tuple(
    fc.constantFrom(0x67, 0x68, 0x65, 0x41, 0x09, 0x06),
    fc.uint8Array({ maxLength: 40 }),
  );
  fc.assert(
    fc.property(fc.array(fc.array(nal, { maxLength: 5 }), { maxLength: 10 }), (frames) => {
      const muxer = new FlvH264Muxer();
      frames.forEach((units, i) => {
        const data = annexB(units.map(([header, body]) => Uint8Array.of(header, ...body)));
        muxer.push({
          kind: 'video',
          codec: 'h264',
          pts: i * 3600,
          dts: i * 3600,
          data,
          keyframe: i === 0,
        });
      });
    }),
    { numRuns: fuzzRuns(2000) },
  );
});
