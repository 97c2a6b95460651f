import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { serializeSipMessage, type SipMessage } from '../../../media-node/formats/sip-message.ts';
import { SipTransport, type SipPeer } from '../../../media-node/sip/sip-transport.ts';
import { RawSipPeer } from '../../support/raw-sip.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const deviceId = '34020000001320000001';

describe('SipTransport with hostile input (loopback)', () => {
  let logger: ReturnType<typeof recordingLogger>;
  let transport: SipTransport;
  let port = 0;
  const handled: { message: SipMessage; peer: SipPeer }[] = [];
  const peers: RawSipPeer[] = [];

  const open = async (kind: 'UDP' | 'TCP') => {
    const peer = await RawSipPeer.open(kind, port);
    peers.push(peer);
    return peer;
  };
  const lines = (msg: string) => logger.lines.filter((l) => l.msg === msg);

  beforeEach(async () => {
    logger = recordingLogger();
    transport = new SipTransport(logger);
    transport.onMessage((message, peer) => handled.push({ message, peer }));
    port = await transport.listen('127.0.0.1', 0);
    handled.length = 0;
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await transport.close();
  });

  it('answers a UDP REGISTER whose Content-Length passes its body with 400', async () => {
    const peer = await open('UDP');
    const register = peer.craft({ method: 'REGISTER', deviceId });
    const text = Buffer.from(serializeSipMessage(register)).toString('latin1');
    peer.sendBytes(text.replace('Content-Length: 0', 'Content-Length: 500') + 'body');

    assert.equal(await peer.statusOf(register), 400);
    assert.equal(handled.length, 0);
    assert.equal(lines('sip message dropped')[0]?.fields['status'], 400);
    assert.equal(transport.dropped, 1);
  });

  it('answers a TCP header flood with 513 and keeps the connection in sync', async () => {
    const peer = await open('TCP');
    const flood = Array.from({ length: 200 }, (_, i): [string, string] => [`X-F${i}`, 'x']);
    const options = peer.craft({ method: 'OPTIONS', deviceId, headers: flood });
    peer.send(options);
    assert.equal(await peer.statusOf(options), 513);

    const next = peer.craft({ method: 'OPTIONS', deviceId });
    peer.send(next);
    await waitUntil(() => handled.length === 1);
    assert.equal(handled[0]?.message.kind, 'request');
    assert.equal(handled[0]?.peer.transport, 'TCP');
  });

  it('reports a TCP connection closed inside a message (a truncated REGISTER)', async () => {
    const peer = await open('TCP');
    const register = serializeSipMessage(peer.craft({ method: 'REGISTER', deviceId }));
    peer.sendBytes(register.subarray(0, 150));
    await peer.close();

    await waitUntil(() => transport.dropped === 1);
    assert.match(
      String(lines('sip message dropped')[0]?.fields['reason']),
      /^Cannot frame SIP stream: connection closed inside a message: 150 bytes$/,
    );
  });

  it('closes a TCP connection that sends 70 KB in one message, and reports it once', async () => {
    const peer = await open('TCP');
    const body = new Uint8Array(70 * 1024).fill(0x61);
    peer.send(peer.craft({ method: 'REGISTER', deviceId, body }));

    assert.ok(await peer.waitClosed(3000), 'the server closed the connection');
    await waitUntil(() => transport.dropped >= 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(transport.dropped, 1);
    assert.equal(lines('sip message dropped')[0]?.fields['code'], 'ARGUS.SIP.TOO_LARGE');
  });

  it('logs five lines for 1000 garbage datagrams and sums up the rest', async () => {
    const peer = await open('UDP');
    for (let batch = 0; batch < 10; batch++) {
      for (let i = 0; i < 100; i++) peer.sendBytes(randomBytes(200));
      await waitUntil(() => transport.dropped === 100 * (batch + 1));
    }

    assert.equal(lines('sip message dropped').length, 5);
    await transport.close();
    transport = new SipTransport(logger); // closed once more by afterEach
    await transport.listen('127.0.0.1', 0);
    assert.equal(lines('sip messages dropped')[0]?.fields['suppressed'], 995);
    assert.equal(peer.statuses.length, 0, 'garbage is never answered');
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
