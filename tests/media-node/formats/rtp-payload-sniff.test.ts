import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { muxPsVideoFrame } from '../../../media-node/formats/ps-muxer.ts';
import {
  RtpPayloadSniffer,
  sniffRtpPayload,
} from '../../../media-node/formats/rtp-payload-sniff.ts';

const bytes = (...values: number[]) => new Uint8Array(values);
/** An H.264 SPS (Baseline, level 3.0) behind a 4-byte start code. */
const h264Sps = bytes(0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1e, 0xab);
/** An H.265 VPS behind a 3-byte start code: header 0x40 0x01. */
const h265Vps = bytes(0, 0, 1, 0x40, 0x01, 0x0c, 0x01);

describe('sniffRtpPayload', () => {
  it('names a PS pack, the muxer output as devices send it', () => {
    const pack = muxPsVideoFrame(h264Sps, { pts: 0, keyframe: true });
    assert.equal(sniffRtpPayload(pack), 'ps');
  });

  it('names a payload opening with a video PES (a pack split before it) PS', () => {
    assert.equal(sniffRtpPayload(bytes(0, 0, 1, 0xe0, 0x10, 0x00)), 'ps');
  });

  it('names raw Annex B H.264 and H.265 by their NAL headers', () => {
    assert.equal(sniffRtpPayload(h264Sps), 'h264-annexb');
    assert.equal(sniffRtpPayload(h265Vps), 'h265-annexb');
    // nal_ref_idc 1 on an SEI header is not H.264 but H.265 IDR_W_RADL (19).
    assert.equal(sniffRtpPayload(bytes(0, 0, 1, 0x26, 0x01, 0xaf)), 'h265-annexb');
  });

  it('names H.264 packetised per RFC 6184 (FU-A, STAP-A) and H.265 per RFC 7798 (FU)', () => {
    assert.equal(sniffRtpPayload(bytes(0x7c, 0x85, 0x88)), 'h264-rfc6184');
    assert.equal(sniffRtpPayload(bytes(0x78, 0x00, 0x0a)), 'h264-rfc6184');
    assert.equal(sniffRtpPayload(bytes(0x62, 0x01, 0x93)), 'h265-rfc7798');
  });

  it('leaves the middle of a frame and empty payloads unknown', () => {
    assert.equal(sniffRtpPayload(bytes(0xff, 0x12, 0x00)), 'unknown');
    assert.equal(sniffRtpPayload(bytes(0, 0, 1, 0x00)), 'unknown');
    assert.equal(sniffRtpPayload(new Uint8Array(0)), 'unknown');
  });
});

describe('RtpPayloadSniffer', () => {
  it('says PS once a PS payload was seen, whatever else came', () => {
    const sniffer = new RtpPayloadSniffer();
    for (let i = 0; i < 5; i++) sniffer.observe(h264Sps);
    sniffer.observe(bytes(0, 0, 1, 0xba, 0x44));
    assert.equal(sniffer.verdict, 'ps');
  });

  it('says the kind seen most, ignoring unknown payloads', () => {
    const sniffer = new RtpPayloadSniffer();
    for (let i = 0; i < 9; i++) sniffer.observe(bytes(0xff, 0xff));
    sniffer.observe(h265Vps);
    sniffer.observe(h264Sps);
    sniffer.observe(h264Sps);
    assert.equal(sniffer.verdict, 'h264-annexb');
    assert.equal(new RtpPayloadSniffer().verdict, 'unknown');
  });
});
