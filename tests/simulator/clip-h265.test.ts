/**
 * The simulator's H.265 clip (`--codec h265`): split into the access units a camera sends,
 * keyframes where the README says, and sent in packs whose stream map declares 0x24.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it } from 'node:test';

import { PsDemuxer } from '../../media-node/formats/ps-demuxer.ts';
import { H265_NAL, h265NalType, splitAnnexB } from '../../media-node/formats/h265.ts';
import { clipFramePacks } from '../../simulator/clip-packs.ts';
import { readConfig } from '../../simulator/config.ts';
import { hevcClipPath, readHevcClipFrames } from '../../simulator/media/clip-h265.ts';
import { withClipAudio } from '../../simulator/media/clip-audio.ts';

const FLAGS = ['--server', '127.0.0.1', '--device-id', '34020000001320000001', '--password', 'x'];

/**
 * The stream_type of each entry of the first program_stream_map in a pack
 * (ISO/IEC 13818-1 §2.5.4).
 */
function streamTypesOf(pack: Uint8Array): number[] {
  for (let at = 0; at + 12 < pack.length; at++) {
    if (pack[at] !== 0 || pack[at + 1] !== 0 || pack[at + 2] !== 1 || pack[at + 3] !== 0xbc) {
      continue;
    }
    const infoLength = ((pack[at + 8] ?? 0) << 8) | (pack[at + 9] ?? 0);
    let entry = at + 12 + infoLength;
    const end = entry + (((pack[entry - 2] ?? 0) << 8) | (pack[entry - 1] ?? 0));
    const types: number[] = [];
    while (entry + 4 <= end) {
      types.push(pack[entry] ?? -1);
      entry += 4 + (((pack[entry + 2] ?? 0) << 8) | (pack[entry + 3] ?? 0));
    }
    return types;
  }
  return [];
}

describe('simulator H.265 clip', () => {
  it('is small, 100 access units, IDR with parameter sets every 25 frames', () => {
    const frames = readHevcClipFrames();

    assert.ok(statSync(hevcClipPath).size < 200_000);
    assert.equal(frames.length, 100);
    const keyframes = frames.flatMap((frame, index) => (frame.keyframe ? [index] : []));
    assert.deepEqual(keyframes, [0, 25, 50, 75]);
    assert.ok(frames.every((frame) => frame.codec === 'h265'));
    const first = splitAnnexB(frames[0]?.data ?? new Uint8Array()).map(h265NalType);
    assert.deepEqual(first.slice(0, 3), [H265_NAL.vps, H265_NAL.sps, H265_NAL.pps]);
    assert.ok(frames.slice(1, 25).every((frame) => splitAnnexB(frame.data).length === 1));
  });

  it('goes out in packs whose stream map declares H.265 (0x24) beside AAC (0x0F)', () => {
    const [keyframe, next] = withClipAudio(readHevcClipFrames(), 'aac');
    assert.ok(keyframe !== undefined && next !== undefined);

    const packs = [...clipFramePacks(keyframe, 90_000), ...clipFramePacks(next, 93_600)];
    const demuxer = new PsDemuxer();
    const demuxed = packs.flatMap(({ pack }) => demuxer.push(pack));

    const video = packs.find(({ pack }) => streamTypesOf(pack).length > 0);
    assert.deepEqual(streamTypesOf(video?.pack ?? new Uint8Array()), [0x24, 0x0f]);
    assert.equal(demuxed.find((frame) => frame.kind === 'video')?.codec, 'h265');
  });

  it('is chosen with --codec h265; other codecs are refused', () => {
    assert.equal(readConfig([...FLAGS, '--codec', 'h265'], {})?.codec, 'h265');
    assert.equal(readConfig(FLAGS, {})?.codec, undefined);
    assert.throws(() => readConfig([...FLAGS, '--codec', 'vp8'], {}), /--codec is not h264/);
  });
});

describe('simulator --refuse-tcp', () => {
  it('reads a status to refuse TCP offers with, or udp to answer them with RTP/AVP', () => {
    assert.deepEqual(readConfig([...FLAGS, '--refuse-tcp', '488'], {})?.refuseTcp, {
      status: 488,
    });
    assert.equal(readConfig([...FLAGS, '--refuse-tcp', 'udp'], {})?.refuseTcp, 'answer-udp');
    assert.throws(() => readConfig([...FLAGS, '--refuse-tcp', '200'], {}), /--refuse-tcp/);
  });
});
