/**
 * The live media path without sockets: RTP bytes → parse → reorder → PS demux → FLV mux,
 * fed with the committed clip muxed as a GB/T 28181 device would send it.
 */
import { FlvH264Muxer } from '../../media-node/formats/flv.ts';
import { PsDemuxer } from '../../media-node/formats/ps-demuxer.ts';
import { muxPsVideoFrame } from '../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp, parseRtpPacket } from '../../media-node/formats/rtp.ts';
import { RtpReorderBuffer } from '../../media-node/formats/rtp-reorder.ts';
import { readClipFrames } from '../../simulator/media/clip.ts';

export interface PipelineInput {
  readonly packets: Uint8Array[];
  readonly frames: number;
  readonly bytes: number;
}

/** The clip looped `loops` times, as RTP datagrams. */
export function preparePipelineInput(loops: number): PipelineInput {
  const clip = readClipFrames();
  const packets: Uint8Array[] = [];
  let sequence = 0;
  let bytes = 0;
  for (let loop = 0; loop < loops; loop++) {
    clip.forEach((frame, index) => {
      const pts = (loop * clip.length + index) * 3600;
      const ps = muxPsVideoFrame(frame.data, { pts, keyframe: frame.keyframe });
      const rtp = packetizeRtp(ps, {
        payloadType: 96,
        ssrc: 1,
        timestamp: pts,
        firstSequence: sequence,
      });
      sequence = (sequence + rtp.length) & 0xffff;
      for (const packet of rtp) {
        const datagram = buildRtpPacket(packet);
        bytes += datagram.length;
        packets.push(datagram);
      }
    });
  }
  return { packets, frames: loops * clip.length, bytes };
}

/** Runs the path once over the input; returns the FLV tags made (a check that it worked). */
export function runPipeline(input: PipelineInput): number {
  const reorder = new RtpReorderBuffer();
  const demuxer = new PsDemuxer();
  const muxer = new FlvH264Muxer();
  let tags = 0;
  for (const datagram of input.packets) {
    for (const ordered of reorder.push(parseRtpPacket(datagram))) {
      for (const frame of demuxer.push(ordered.payload, ordered.afterLoss)) {
        tags += muxer.push(frame).length;
      }
      if (ordered.marker)
        for (const frame of demuxer.markFrameEnd()) tags += muxer.push(frame).length;
    }
  }
  return tags;
}
