import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp } from '../../../media-node/formats/rtp.ts';
import { RtpIngest } from '../../../media-node/media/rtp-ingest.ts';
import { readClipFrames } from '../../../simulator/media/clip.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { psFramePackets, senderReport, SMALL_ACCESS_UNIT } from './support.ts';

function ingest(options: { ordered?: boolean } = {}) {
  const logger = recordingLogger();
  const frames: ElementaryFrame[] = [];
  const rtp = new RtpIngest({ onFrame: (frame) => frames.push(frame), logger, ...options });
  return { rtp, frames, logger };
}

/** The first `count` frames of the committed clip as RTP packets, 25 fps, one PS pack each. */
function clipPackets(count: number): Uint8Array[][] {
  let sequence = 0;
  return readClipFrames()
    .slice(0, count)
    .map((frame, index) => {
      const ps = muxPsVideoFrame(frame.data, { pts: index * 3600, keyframe: frame.keyframe });
      const packets = packetizeRtp(ps, {
        payloadType: 96,
        ssrc: 9,
        timestamp: index * 3600,
        firstSequence: sequence,
      });
      sequence += packets.length;
      return packets.map(buildRtpPacket);
    });
}

describe('RtpIngest', () => {
  it('demuxes PS frames from packets and ends each frame at its marker', () => {
    const { rtp, frames } = ingest();
    for (let index = 0; index < 5; index++) {
      for (const packet of psFramePackets({ index, ssrc: 7 })) rtp.push(packet);
    }
    // The first frame's marker cannot be trusted until a packet without one was seen.
    assert.equal(frames.length, 5);
    assert.deepEqual(frames[4]?.data, SMALL_ACCESS_UNIT);
    assert.equal(rtp.stats.packets, 15);
    assert.equal(rtp.payloadKind, 'ps');
  });

  it('consumes RTCP multiplexed on the port without counting it malformed (RFC 5761 §4)', () => {
    const { rtp, frames } = ingest();
    for (const packet of psFramePackets({ index: 0, ssrc: 7 })) rtp.push(packet);
    rtp.push(senderReport(7));
    for (let index = 1; index < 3; index++) {
      for (const packet of psFramePackets({ index, ssrc: 7 })) rtp.push(packet);
    }
    // Three frames: the reorder buffer holds the first 8 packets before it starts.
    assert.deepEqual([rtp.stats.rtcp, rtp.stats.malformed, rtp.stats.packets], [1, 0, 9]);
    assert.equal(frames.length, 3);
  });

  it('accepts SSRC 0 where y= said otherwise, and logs the mismatch once per session', () => {
    const { rtp, frames, logger } = ingest();
    rtp.expect({ ssrc: 200000001, payloadType: 96 });
    for (let index = 0; index < 40; index++) {
      for (const packet of psFramePackets({ index, ssrc: 0 })) rtp.push(packet);
    }
    assert.equal(rtp.ssrc, 0);
    assert.equal(frames.length, 40);
    const lines = logger.lines.filter((l) => l.msg === 'ssrc mismatch accepted');
    assert.deepEqual(
      lines.map((l) => l.fields),
      [{ expected: 200000001, actual: 0 }],
    );
  });

  it('drops a stray SSRC, and follows a new one that persists (a restarted encoder)', () => {
    const { rtp } = ingest();
    for (const packet of psFramePackets({ index: 0, ssrc: 1 })) rtp.push(packet);
    rtp.push(psFramePackets({ index: 1, ssrc: 2 })[0] ?? new Uint8Array());
    assert.deepEqual([rtp.ssrc, rtp.stats.foreign], [1, 1]);

    for (let index = 1; index < 40; index++) {
      for (const packet of psFramePackets({ index, ssrc: 3 })) rtp.push(packet);
    }
    assert.equal(rtp.ssrc, 3);
    assert.equal(rtp.stats.ssrcChanges, 1);
  });

  it('names a raw H.264 Annex B payload once, with the payload type seen', () => {
    const { rtp, frames, logger } = ingest();
    rtp.expect({ ssrc: 5, payloadType: 96 });
    for (let i = 0; i < 120; i++) {
      const payload = i % 2 === 0 ? SMALL_ACCESS_UNIT : new Uint8Array(100).fill(0x55);
      const marker = i % 2 === 1;
      rtp.push(
        buildRtpPacket({
          marker,
          payloadType: 98,
          sequenceNumber: i,
          timestamp: i,
          ssrc: 5,
          payload,
        }),
      );
    }
    assert.equal(frames.length, 0);
    const problem = 'Cannot demux RTP payload: raw H.264 Annex B, not MPEG-2 PS';
    assert.equal(rtp.payloadProblem, problem);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    assert.deepEqual(
      warnings.map((l) => [l.msg, l.fields]),
      [[problem, { payload: 'h264-annexb', payloadType: 98, negotiatedPayloadType: 96 }]],
    );
    const diagnostics = rtp.diagnostics();
    assert.equal(diagnostics['payload'], 'h264-annexb');
    assert.equal(diagnostics['payloadProblem'], problem);
    assert.equal(diagnostics['otherPayloadType'], 120);
  });

  it('counts malformed packets and keeps going', () => {
    const { rtp, frames } = ingest();
    rtp.push(new Uint8Array([0x80, 0x60, 0, 1]));
    rtp.push(new Uint8Array(20).fill(0x40));
    for (let index = 0; index < 3; index++) {
      for (const packet of psFramePackets({ index, ssrc: 9 })) rtp.push(packet);
    }
    assert.equal(rtp.stats.malformed, 2);
    assert.equal(frames.length, 3);
  });
});

describe('RtpIngest of an ordered transport (RTP over TCP, RFC 4571)', () => {
  it('emits the first frame with its last packet, holding nothing for reordering', () => {
    const tcp = ingest({ ordered: true });
    const udp = ingest();

    for (const packet of psFramePackets({ index: 0, ssrc: 7 })) {
      tcp.rtp.push(packet);
      udp.rtp.push(packet);
    }

    assert.equal(tcp.frames.length, 1);
    assert.deepEqual(tcp.frames[0]?.data, SMALL_ACCESS_UNIT);
    assert.equal(udp.frames.length, 0, 'UDP holds the first packets to put them in order');
  });

  it('drops duplicates, and after a gap holds video back until the next keyframe', () => {
    const { rtp, frames } = ingest({ ordered: true });
    const clip = clipPackets(50);

    clip.forEach((packets, index) => {
      for (const packet of packets) {
        if (index === 5) continue; // frame 5, a P-frame, never arrives
        rtp.push(packet);
        if (index === 3) rtp.push(packet); // frame 3 arrives twice
      }
    });

    const delivered = frames.filter((f) => f.kind === 'video');
    assert.equal(rtp.stats.duplicates, clip[3]?.length);
    assert.equal(rtp.stats.lost, clip[5]?.length);
    assert.equal(
      delivered.findIndex((f, n) => n >= 5 && f.keyframe),
      5,
    );
    assert.ok(rtp.stats.skippedUntilKeyframe >= 18, `skipped ${rtp.stats.skippedUntilKeyframe}`);
  });
});

describe('RtpIngest after a loss', () => {
  it('holds video back from a lost packet until the next keyframe', () => {
    const { rtp, frames } = ingest();
    const clip = readClipFrames().slice(0, 50);
    let sequence = 0;
    clip.forEach((frame, index) => {
      const ps = muxPsVideoFrame(frame.data, { pts: index * 3600, keyframe: frame.keyframe });
      const packets = packetizeRtp(ps, {
        payloadType: 96,
        ssrc: 9,
        timestamp: index * 3600,
        firstSequence: sequence,
      });
      sequence += packets.length;
      // Frame 5, a P-frame of one packet, never arrives.
      packets.forEach((packet, n) => {
        if (!(index === 5 && n === 0)) rtp.push(buildRtpPacket(packet));
      });
    });

    const delivered = frames.filter((f) => f.kind === 'video');
    const keyframeAt = delivered.findIndex((f, n) => n >= 5 && f.keyframe);
    assert.equal(keyframeAt, 5, 'the first frame after frames 0–4 is the next keyframe');
    assert.ok(rtp.stats.skippedUntilKeyframe >= 18, `skipped ${rtp.stats.skippedUntilKeyframe}`);
    assert.ok(delivered.length <= 30, `delivered ${delivered.length} of 50`);
  });
});
