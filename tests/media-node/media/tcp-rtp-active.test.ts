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

function activeReceiver(options: { connectDeadlineMs?: number } = {}) {
  const frames: ElementaryFrame[] = [];
  const logger = recordingLogger();
  const ingest = new RtpIngest({ onFrame: (frame) => frames.push(frame), logger });
  return { receiver: new TcpActiveRtpReceiver(ingest, logger, options), frames, ingest, logger };
}

/**
 * A device listening on `port` that sends `frames` PS frames to each connection and closes
 * it; a later connection goes on where the last one stopped, as a device's sender would.
 * `connections` counts them. With `once`, it stops listening after the first.
 */
function listeningDevice(
  port: number,
  frames: number,
  once = false,
): Promise<Server & { connections: number }> {
  let sent = 0;
  const server = Object.assign(
    createServer((socket: Socket) => {
      server.connections++;
      if (once) server.close();
      const packets = Array.from({ length: frames }, () =>
        psFramePackets({ index: sent++, ssrc: 42 }).map(frameRfc4571),
      );
      socket.end(concatBytes(packets.flat()));
    }),
    { connections: 0 },
  );
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
    assert.equal(frames.length, 20, 'ten frames on each of the two connections');
    device.close();
  });

  it('reconnects once when the connection drops, then ends the session with a reason', async () => {
    const device = await listeningDevice(0, 5);
    const { port } = device.address() as { port: number };
    const { receiver, frames, logger } = activeReceiver();
    const ended = new Promise<string>((resolve) => receiver.onEnd(resolve));

    await receiver.start(answer({ port }));

    assert.equal(await ended, 'rtp_connection_closed');
    assert.equal(device.connections, 2, 'one connection, then one more, no third');
    assert.equal(frames.length, 10);
    const messages = logger.lines.map((line) => line.msg);
    assert.deepEqual(
      messages.filter((msg) => msg.startsWith('rtp connection')),
      [
        'rtp connection opened',
        'rtp connection closed',
        'rtp connection reopened',
        'rtp connection closed',
      ],
    );
    assert.equal(receiver.stats()['reconnects'], 1);
    device.close();
  });

  it('ends the session where the dropped connection cannot be reopened', async () => {
    const device = await listeningDevice(0, 3, true); // nothing listens after the first
    const { port } = device.address() as { port: number };
    const { receiver, frames, logger } = activeReceiver({ connectDeadlineMs: 600 });
    const ended = new Promise<string>((resolve) => receiver.onEnd(resolve));

    await receiver.start(answer({ port }));

    assert.equal(await ended, 'rtp_connection_closed');
    assert.equal(device.connections, 1);
    assert.equal(frames.length, 3);
    const failed = logger.lines.find((line) => line.msg === 'rtp connection not reopened');
    assert.match(
      String(failed?.fields['error']),
      /no connection to 127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
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
