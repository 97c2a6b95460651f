/**
 * The active RTP-over-TCP receiver (RFC 4145 `a=setup:active`): the node connects to the
 * port the device answered, on loopback here.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';

import { concatBytes } from '../../../media-node/formats/bytes.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { frameRfc4571 } from '../../../media-node/formats/rfc4571.ts';
import type { GbSdp, SdpMedia } from '../../../media-node/formats/sdp.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { RtpIngest } from '../../../media-node/media/rtp-ingest.ts';
import { TcpActiveRtpReceiver } from '../../../media-node/media/tcp-rtp-active.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { psFramePackets } from './support.ts';

function answer(media: Partial<SdpMedia>, setup: 'active' | 'passive' | 'none' = 'passive'): GbSdp {
  return {
    origin: { username: 'cam', address: '127.0.0.1' },
    sessionName: 'Play',
    connection: '127.0.0.1',
    time: [0, 0],
    media: [
      {
        type: 'video',
        port: 0,
        protocol: 'TCP/RTP/AVP',
        payloads: [{ pt: 96, encoding: 'PS', clock: 90000 }],
        ...(setup !== 'none' && { setup }),
        ...media,
      },
    ],
  };
}

function activeReceiver() {
  const frames: ElementaryFrame[] = [];
  const logger = recordingLogger();
  const ingest = new RtpIngest({ onFrame: (frame) => frames.push(frame), logger });
  return { receiver: new TcpActiveRtpReceiver(ingest, logger), frames, ingest };
}

/** A device listening on `port` that sends `frames` PS frames to whoever connects. */
function listeningDevice(port: number, frames: number): Promise<Server> {
  const server = createServer((socket: Socket) => {
    const packets = Array.from({ length: frames }, (_, index) =>
      psFramePackets({ index, ssrc: 42 }).map(frameRfc4571),
    );
    socket.end(concatBytes(packets.flat()));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function freePort(): Promise<number> {
  const server = await listeningDevice(0, 0);
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('TcpActiveRtpReceiver', () => {
  it('offers a=setup:active on the discard port (RFC 4145 §4)', () => {
    assert.deepEqual(activeReceiver().receiver.offer, {
      port: 9,
      protocol: 'TCP/RTP/AVP',
      setup: 'active',
      connection: 'new',
    });
  });

  it('connects to the answered port, retrying until the device listens', async () => {
    const port = await freePort();
    const { receiver, frames } = activeReceiver();
    const ended = new Promise<string>((resolve) => receiver.onEnd(resolve));

    // The device opens its port only after the node's first attempts were refused.
    const late = new Promise<Server>((resolve) =>
      setTimeout(() => resolve(listeningDevice(port, 10)), 400),
    );
    await receiver.start(answer({ port }));
    const device = await late;
    assert.ok(receiver.port > 0);

    assert.equal(await ended, 'rtp_connection_closed');
    assert.equal(frames.length, 10);
    device.close();
  });

  it('refuses an answer over UDP or with the same role', async () => {
    const { receiver } = activeReceiver();
    await assert.rejects(
      receiver.start(answer({ protocol: 'RTP/AVP', port: 15060 }, 'none')),
      (error: unknown) =>
        isArgusError(error, errorCodes.UNAVAILABLE) &&
        error.message ===
          'Cannot start live video: the device answered RTP/AVP to a TCP/RTP/AVP offer',
    );
    await assert.rejects(
      receiver.start(answer({ port: 15060 }, 'active')),
      /the device answered a=setup:active to a=setup:active/,
    );
    await assert.rejects(receiver.start(answer({ port: 0 })), /the answer has port 0/);
  });
});
