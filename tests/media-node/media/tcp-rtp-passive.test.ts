/**
 * The passive RTP-over-TCP receiver on a real loopback socket (RFC 4571, RFC 4145
 * `a=setup:passive`): framing independent of read boundaries, resynchronisation after
 * garbage, RTCP consumed, one connection only, any SSRC accepted.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';

import { concatBytes } from '../../../media-node/formats/bytes.ts';
import type { ElementaryFrame } from '../../../media-node/formats/ps-demuxer.ts';
import { frameRfc4571 } from '../../../media-node/formats/rfc4571.ts';
import type { GbSdp } from '../../../media-node/formats/sdp.ts';
import { RtpIngest } from '../../../media-node/media/rtp-ingest.ts';
import { RtpPortPool } from '../../../media-node/media/rtp-port-pool.ts';
import { TcpPassiveRtpReceiver } from '../../../media-node/media/tcp-rtp-passive.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { psFramePackets, senderReport, SMALL_ACCESS_UNIT } from './support.ts';

const GARBAGE = new TextEncoder().encode('garbage between frames\r\n');

const answer = (setup?: 'active' | 'passive'): GbSdp => ({
  origin: { username: 'cam', address: '127.0.0.1' },
  sessionName: 'Play',
  connection: '127.0.0.1',
  time: [0, 0],
  media: [
    {
      type: 'video',
      port: 9,
      protocol: 'TCP/RTP/AVP',
      payloads: [{ pt: 96, encoding: 'PS', clock: 90000 }],
      ...(setup !== undefined && { setup }),
    },
  ],
});

/** A frame's RTP packets, each framed per RFC 4571 and joined. */
const framedFrame = (index: number, ssrc: number) =>
  concatBytes(psFramePackets({ index, ssrc }).map(frameRfc4571));

const open = { receivers: [] as TcpPassiveRtpReceiver[], sockets: [] as Socket[] };
afterEach(() => {
  for (const socket of open.sockets.splice(0)) socket.destroy();
  for (const receiver of open.receivers.splice(0)) receiver.close();
});

async function passiveReceiver(deviceAddress?: string) {
  const base = 20000 + 2 * Math.floor(Math.random() * 10000);
  const pool = new RtpPortPool({ min: base, max: base + 20 }, '127.0.0.1');
  const logger = recordingLogger();
  const frames: ElementaryFrame[] = [];
  const ingest = new RtpIngest({ onFrame: (frame) => frames.push(frame), logger });
  const receiver = new TcpPassiveRtpReceiver(
    await pool.acquireTcp(),
    ingest,
    (rtp) => pool.release(rtp),
    logger,
    deviceAddress,
  );
  open.receivers.push(receiver);
  return { receiver, ingest, frames, logger, pool };
}

/** Connects to the port on loopback, from `from` (another loopback address) where given. */
function dial(port: number, from?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...(from !== undefined && { localAddress: from }),
    });
    open.sockets.push(socket);
    socket.once('error', reject);
    socket.once('connect', () => resolve(socket));
  });
}

/** Waits (without sleeping for time to pass) until `check` holds. */
async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Writes `bytes` and waits until the receiver has read everything written so far. */
async function writeAndWait(
  socket: Socket,
  receiver: TcpPassiveRtpReceiver,
  bytes: Uint8Array,
  total: { written: number },
): Promise<void> {
  socket.write(bytes);
  total.written += bytes.length;
  await until(`${total.written} bytes read`, () => receiver.stats()['tcpBytes'] === total.written);
}

describe('TcpPassiveRtpReceiver on a loopback connection', () => {
  it('offers a=setup:passive and a=connection:new on a port of the range', async () => {
    const { receiver } = await passiveReceiver();
    assert.deepEqual(receiver.offer, {
      port: receiver.port,
      protocol: 'TCP/RTP/AVP',
      setup: 'passive',
      connection: 'new',
    });
    assert.equal(receiver.port % 2, 0);
    await receiver.start(answer('active'));
    await assert.rejects(receiver.start(answer('passive')), /a=setup:passive to a=setup:passive/);
  });

  it('frames RTP whatever the read boundaries: every byte position of three packets', async () => {
    const { receiver, ingest, frames } = await passiveReceiver();
    const socket = await dial(receiver.port);
    const group = framedFrame(0, 0x1234).length;
    const total = { written: 0 };

    // Frame i is cut at byte i of its three framed packets, then the rest follows.
    for (let cut = 1; cut < group; cut++) {
      const bytes = framedFrame(cut, 0x1234);
      await writeAndWait(socket, receiver, bytes.subarray(0, cut), total);
      await writeAndWait(socket, receiver, bytes.subarray(cut), total);
    }
    assert.equal(ingest.stats.packets, 3 * (group - 1));
    assert.equal(frames.length, group - 1);
    assert.ok(frames.every((f) => f.codec === 'h264' && f.keyframe));
    assert.deepEqual(frames.at(-1)?.data, SMALL_ACCESS_UNIT);
    assert.deepEqual([ingest.stats.lost, ingest.stats.malformed, ingest.stats.foreign], [0, 0, 0]);
  });

  it('resynchronises after garbage between frames and consumes RTCP', async () => {
    const { receiver, ingest, frames } = await passiveReceiver();
    const socket = await dial(receiver.port);
    const total = { written: 0 };

    for (let index = 0; index < 30; index++) {
      const parts = [framedFrame(index, 0x1234)];
      if (index % 10 === 5) parts.push(GARBAGE);
      if (index === 12) parts.push(frameRfc4571(senderReport(0x1234)));
      await writeAndWait(socket, receiver, concatBytes(parts), total);
    }
    assert.equal(frames.length, 30);
    assert.equal(ingest.stats.packets, 90);
    assert.equal(ingest.stats.rtcp, 1);
    assert.equal(ingest.stats.malformed, 0);
    const stats = receiver.stats();
    assert.equal(stats['resyncs'], 3);
    assert.equal(stats['skippedBytes'], 3 * GARBAGE.length);
  });

  it('accepts SSRC 0 where the answer said otherwise, logging the mismatch once', async () => {
    const { receiver, ingest, frames, logger } = await passiveReceiver();
    ingest.expect({ ssrc: 200000001, payloadType: 96 });
    const socket = await dial(receiver.port);
    const total = { written: 0 };
    for (let index = 0; index < 20; index++) {
      await writeAndWait(socket, receiver, framedFrame(index, 0), total);
    }
    assert.equal(ingest.ssrc, 0);
    assert.equal(frames.length, 20);
    assert.equal(logger.lines.filter((l) => l.msg === 'ssrc mismatch accepted').length, 1);
  });

  it('refuses a second connection: the first one wins and the port stops listening', async () => {
    const { receiver, ingest, frames, logger } = await passiveReceiver();
    const device = await dial(receiver.port);
    const total = { written: 0 };
    await writeAndWait(device, receiver, framedFrame(0, 0x1234), total);
    assert.equal(receiver.connected, true);

    const stranger = connect({ host: '127.0.0.1', port: receiver.port });
    open.sockets.push(stranger);
    stranger.on('error', () => {});
    stranger.write(concatBytes([framedFrame(50, 0x9999), framedFrame(51, 0x9999)]));
    await new Promise((resolve) => stranger.once('close', resolve));

    await writeAndWait(device, receiver, framedFrame(1, 0x1234), total);
    // A third frame gets the first 8 packets through the reorder buffer's start.
    await writeAndWait(device, receiver, framedFrame(2, 0x1234), total);
    assert.equal(frames.length, 3);
    assert.equal(ingest.ssrc, 0x1234);
    assert.equal(ingest.stats.packets, 9);
    assert.equal(logger.lines.filter((l) => l.msg === 'rtp connection accepted').length, 1);
  });

  it('ends the session when the device closes the connection, not after close()', async () => {
    const first = await passiveReceiver();
    const reasons: string[] = [];
    first.receiver.onEnd((reason) => reasons.push(reason));
    const device = await dial(first.receiver.port);
    await writeAndWait(device, first.receiver, framedFrame(0, 1), { written: 0 });
    device.end();
    await until('the end of the session', () => reasons.length === 1);
    assert.deepEqual(reasons, ['rtp_connection_closed']);

    const second = await passiveReceiver();
    second.receiver.onEnd((reason) => reasons.push(reason));
    const other = await dial(second.receiver.port);
    await writeAndWait(other, second.receiver, framedFrame(0, 1), { written: 0 });
    second.receiver.close();
    await new Promise((resolve) => other.once('close', resolve));
    assert.equal(reasons.length, 1);
    assert.equal(second.pool.inUse, 0);
  });

  it("refuses connections from another address than the device's; the device wins", async () => {
    const { receiver, ingest, frames, logger } = await passiveReceiver('127.0.0.1');

    for (let attempt = 0; attempt < 2; attempt++) {
      const stranger = await dial(receiver.port, '127.0.0.2');
      stranger.on('error', () => {});
      stranger.write(framedFrame(50 + attempt, 0x9999));
      await until('the stranger closed', () => stranger.closed);
    }
    assert.equal(receiver.connected, false);
    assert.equal(receiver.stats()['refusedConnections'], 2);

    const device = await dial(receiver.port);
    const total = { written: 0 };
    for (let index = 0; index < 3; index++) {
      await writeAndWait(device, receiver, framedFrame(index, 0x1234), total);
    }
    assert.equal(receiver.connected, true);
    assert.equal(frames.length, 3);
    assert.equal(ingest.ssrc, 0x1234);
    const refusals = logger.lines.filter((l) => l.msg === 'rtp connection refused');
    assert.equal(refusals.length, 1, 'logged once');
    assert.equal(refusals[0]?.fields['why'], 'not the device address');
  });

  it('also accepts the address the answer names (c=), besides the SIP one', async () => {
    const { receiver, frames } = await passiveReceiver('192.0.2.10');
    await receiver.start(answer('active'));

    const device = await dial(receiver.port);
    const total = { written: 0 };
    for (let index = 0; index < 3; index++) {
      await writeAndWait(device, receiver, framedFrame(index, 0x1234), total);
    }

    assert.equal(receiver.connected, true);
    assert.equal(receiver.stats()['refusedConnections'], 0);
    assert.equal(frames.length, 3);
  });
});
