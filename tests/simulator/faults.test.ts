import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ElementaryFrame } from '../../media-node/formats/ps-demuxer.ts';
import { muxPsVideoFrame } from '../../media-node/formats/ps-muxer.ts';
import { buildRtpPacket, packetizeRtp } from '../../media-node/formats/rtp.ts';
import { RtpIngest } from '../../media-node/media/rtp-ingest.ts';
import { faultySender, parseFaults, withoutStreamMap } from '../../simulator/faults.ts';
import { readClipFrames } from '../../simulator/media/clip.ts';
import { noFfmpeg, tempFolder } from '../media-node/formats/encodes.ts';
import { recordingLogger } from '../media-node/support/recording-logger.ts';
import { framesOf, probeDecoded, writeFlv } from '../media-node/support/remux.ts';

const work = tempFolder();
after(() => work.remove());

test('parseFaults reads every item and rejects unknown ones', () => {
  const faults = parseFaults('loss=1,reorder=8,duplicate=1,ssrc0,no-psm,seed=7');

  assert.deepEqual(faults, {
    loss: 1,
    reorder: 8,
    duplicate: 1,
    ssrc0: true,
    noPsm: true,
    seed: 7,
  });
  assert.throws(() => parseFaults('loss=101'), /Cannot read --fault: .*: loss=101/);
  assert.throws(() => parseFaults('jitter=5'), /jitter=5/);
});

test('withoutStreamMap removes the system header and stream map of a keyframe pack', () => {
  const frame = readClipFrames()[0];
  assert.ok(frame);
  const pack = muxPsVideoFrame(frame.data, { pts: 0, keyframe: true });
  const plain = muxPsVideoFrame(frame.data, { pts: 0, keyframe: false });

  assert.deepEqual(withoutStreamMap(pack), plain);
  assert.deepEqual(withoutStreamMap(plain), plain);
});

test(
  'a clip sent with loss=1,reorder=8,duplicate=1,ssrc0,no-psm plays through RtpIngest, FlvMuxer',
  { skip: noFfmpeg },
  () => {
    const wire: Uint8Array[] = [];
    const send = faultySender(
      (p) => wire.push(p),
      parseFaults('loss=1,reorder=8,duplicate=1,ssrc0,no-psm'),
    );
    let sequence = 0;
    readClipFrames().forEach((frame, i) => {
      const pack = muxPsVideoFrame(frame.data, { pts: i * 3600, keyframe: frame.keyframe });
      const packets = packetizeRtp(pack, {
        payloadType: 96,
        ssrc: 7,
        timestamp: i * 3600,
        firstSequence: sequence,
      });
      sequence += packets.length;
      for (const packet of packets) send(buildRtpPacket(packet));
    });
    const frames: ElementaryFrame[] = [];
    const ingest = new RtpIngest({ onFrame: (f) => frames.push(f), logger: recordingLogger() });

    for (const packet of wire) ingest.push(packet);
    const streams = probeDecoded(writeFlv(frames, work.path('faulty.flv')).path);

    assert.equal(ingest.ssrc, 0);
    assert.ok(wire.length < sequence * 1.05 && wire.length > sequence * 0.9, `${wire.length} sent`);
    assert.equal(streams[0]?.codec_name, 'h264');
    const decoded = framesOf(streams, 'video');
    assert.ok(decoded >= 25 && decoded <= 100, `${decoded} of 100 frames decoded`);
  },
);
