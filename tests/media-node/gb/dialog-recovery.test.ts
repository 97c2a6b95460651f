/**
 * Dialogs a media node left open when it died (issue 4 item 8): recorded as facts, found at
 * start through the open-live-sessions read model, ended with a BYE within the recorded
 * dialog and recorded as ended `node_restarted`; their RTP ports held meanwhile. Real SQLite
 * in memory; SIP through a transport that keeps what is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { LiveDialogFacts, LiveSessionEvent } from '../../../src/domain/live-session.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import { openLiveSessionsProjection } from '../../../src/projections/open-live-sessions.ts';
import { ProjectionRunner } from '../../../src/projections/projection-runner.ts';
import { openLiveSessionsOf } from '../../../src/read-models/open-live-sessions-table.ts';
import { DialogRecovery } from '../../../media-node/gb/dialog-recovery.ts';
import {
  buildResponse,
  type SipMessage,
  type SipRequest,
} from '../../../media-node/formats/sip-message.ts';
import { RtpIngest } from '../../../media-node/media/rtp-ingest.ts';
import { RtpPortPool } from '../../../media-node/media/rtp-port-pool.ts';
import { SipClient } from '../../../media-node/sip/sip-client.ts';
import type { SipPeer, SipTransport } from '../../../media-node/sip/sip-transport.ts';
import { psFramePackets } from '../media/support.ts';
import { recordingLogger } from '../support/recording-logger.ts';
import { gbHarness, type GbHarness } from './support.ts';

const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';
const nodeId = 'media-1';

function dialogFacts(overrides: Partial<LiveDialogFacts> = {}): LiveDialogFacts {
  return {
    callId: 'call-1',
    deviceId,
    channelId,
    nodeId,
    from: '<sip:34020000002000000001@3402000000>;tag=node1',
    to: `<sip:${channelId}@3402000000>;tag=dev1`,
    fromTag: 'node1',
    toTag: 'dev1',
    remoteTarget: `sip:${channelId}@192.0.2.10:5060`,
    cseq: 7,
    device: { transport: 'UDP', address: '192.0.2.10', port: 5060 },
    ssrc: '0200000001',
    rtp: { transport: 'UDP', localPort: 0 },
    at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A SIP client whose device answers BYE with `status`, or never where `status` is absent. */
function sip(status?: number) {
  const sent: { peer: SipPeer; request: SipRequest }[] = [];
  const transport = {
    send(peer: SipPeer, message: SipMessage) {
      if (message.kind !== 'request') return true;
      sent.push({ peer, request: message });
      if (status !== undefined) {
        const answer = buildResponse(message, status, status === 200 ? 'OK' : 'No');
        setImmediate(() => client.handleResponse(answer));
      }
      return true;
    },
  } as unknown as SipTransport;
  const client = new SipClient({
    transport,
    localAddressFor: () => ({ host: '192.0.2.1', port: 5060 }),
    t1Ms: 5,
  });
  return { sent, client };
}

async function record(h: GbHarness, events: LiveSessionEvent[], callId = 'call-1') {
  await h.commands.recordSessionFacts(callId, events);
  await new ProjectionRunner({
    db: h.db,
    dialect: 'sqlite',
    store: h.store,
    projections: [openLiveSessionsProjection],
  }).catchUp();
}

function recovery(h: GbHarness, client: SipClient, options: { awaitRegistrationMs?: number } = {}) {
  return new DialogRecovery({
    db: h.db,
    commands: h.commands,
    client,
    registry: h.registry,
    nodeId,
    logger: recordingLogger(),
    now: h.now,
    portGraceMs: 0,
    ...options,
  });
}

async function stoppedReasons(h: GbHarness, callId = 'call-1'): Promise<string[]> {
  const events = await h.store.readStream(streamNames.liveSession(callId));
  return events
    .filter((e) => e.type === 'LiveStreamStopped')
    .map((e) => (e.data as { reason: string }).reason);
}

describe('open-live-sessions projection', () => {
  it('lists a dialog from LiveDialogEstablished until LiveStreamStopped, per node', async () => {
    const h = await gbHarness();
    await record(h, [{ type: 'LiveDialogEstablished', data: dialogFacts() }]);
    const other = dialogFacts({ callId: 'call-2', nodeId: 'media-2' });
    await record(h, [{ type: 'LiveDialogEstablished', data: other }], 'call-2');
    assert.deepEqual(
      (await openLiveSessionsOf(h.db, nodeId)).map((d) => d.callId),
      ['call-1'],
    );

    const stopped = { deviceId, channelId, callId: 'call-1', reason: 'no_viewers', at: 'x' };
    await record(h, [{ type: 'LiveStreamStopped', data: stopped }]);
    assert.deepEqual(await openLiveSessionsOf(h.db, nodeId), []);
    await h.close();
  });
});

describe('DialogRecovery', () => {
  it('BYEs an open dialog within it and records its end as node_restarted', async () => {
    const h = await gbHarness();
    await record(h, [{ type: 'LiveDialogEstablished', data: dialogFacts() }]);
    const { sent, client } = sip(200);
    const recover = recovery(h, client);

    const dialogs = await recover.find();
    assert.equal(await recover.endAll(dialogs), 1);

    assert.equal(sent.length, 1);
    const [{ peer, request }] = sent as [(typeof sent)[0]];
    assert.deepEqual(peer, { transport: 'UDP', address: '192.0.2.10', port: 5060 });
    assert.equal(request.method, 'BYE');
    assert.equal(request.uri, `sip:${channelId}@192.0.2.10:5060`);
    assert.equal(request.headers.get('Call-ID'), 'call-1');
    assert.equal(request.headers.get('From'), '<sip:34020000002000000001@3402000000>;tag=node1');
    assert.equal(request.headers.get('To'), `<sip:${channelId}@3402000000>;tag=dev1`);
    assert.equal(request.headers.get('CSeq'), '7 BYE');
    assert.deepEqual(await stoppedReasons(h), ['node_restarted']);

    // Ended once: a second pass appends nothing.
    assert.equal(await recover.endAll(dialogs), 0);
    assert.deepEqual(await stoppedReasons(h), ['node_restarted']);
    recover.close();
    client.close();
    await h.close();
  });

  it('sends the BYE where the restored registration says the device is now', async () => {
    const h = await gbHarness();
    await record(h, [{ type: 'LiveDialogEstablished', data: dialogFacts() }]);
    const moved: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 40000 };
    h.registry.set({ deviceId, peer: moved, expiresAt: 0, lastSeenAt: 0, online: true });
    const { sent, client } = sip(481);
    const recover = recovery(h, client);

    await recover.endAll(await recover.find());

    assert.deepEqual(sent[0]?.peer, moved);
    // A device that forgot the call (481) has ended it too: the end is recorded all the same.
    assert.deepEqual(await stoppedReasons(h), ['node_restarted']);
    client.close();
    await h.close();
  });

  it('waits for a device reached over TCP to register again, then BYEs it', async () => {
    const h = await gbHarness();
    const tcp = { transport: 'TCP' as const, address: '192.0.2.10', port: 5060 };
    await record(h, [{ type: 'LiveDialogEstablished', data: dialogFacts({ device: tcp }) }]);
    const { sent, client } = sip(200);
    const recover = recovery(h, client);

    assert.equal(await recover.endAll(await recover.find()), 0);
    assert.equal(sent.length, 0, 'no connection to send the BYE on');
    assert.deepEqual(await stoppedReasons(h), []);

    const peer: SipPeer = { transport: 'TCP', address: '192.0.2.10', port: 41000 };
    h.registry.set({ deviceId, peer, expiresAt: 0, lastSeenAt: 0, online: true });
    recover.registered(deviceId);
    const reasons = await until(
      () => stoppedReasons(h),
      (r) => r.length > 0,
    );
    assert.deepEqual(reasons, ['node_restarted']);
    assert.deepEqual(sent[0]?.peer, peer);
    assert.equal(sent[0]?.request.method, 'BYE');
    recover.close();
    client.close();
    await h.close();
  });

  it('records the end of a device that never comes back, without a BYE', async () => {
    const h = await gbHarness();
    const tcp = { transport: 'TCP' as const, address: '192.0.2.10', port: 5060 };
    await record(h, [{ type: 'LiveDialogEstablished', data: dialogFacts({ device: tcp }) }]);
    const { sent, client } = sip(200);
    const recover = recovery(h, client, { awaitRegistrationMs: 10 });

    await recover.endAll(await recover.find());
    const reasons = await until(
      () => stoppedReasons(h),
      (r) => r.length > 0,
    );

    assert.deepEqual(reasons, ['node_restarted']);
    assert.equal(sent.length, 0);
    client.close();
    await h.close();
  });

  it('holds a UDP port of a dialog until its BYE settled, so no new session gets it', async () => {
    const h = await gbHarness();
    const scout = new RtpPortPool({ min: 47000 + 2 * rand(500), max: 49998 });
    const free = await scout.acquireUdp();
    const port = free.port;
    scout.release(free);
    const rtp = { transport: 'UDP' as const, localPort: port };
    await record(h, [{ type: 'LiveDialogEstablished', data: dialogFacts({ rtp }) }]);
    const { client } = sip(); // the device never answers: the BYE stays pending
    const recover = recovery(h, client);

    const dialogs = await recover.find();
    const pool = new RtpPortPool({ min: port, max: port + 2 });
    const taken = await pool.acquireUdp();
    assert.equal(taken.port, port + 2, 'the held port is skipped');
    pool.release(taken);

    recover.close();
    const again = await pool.acquireUdp();
    assert.equal(again.port, port, 'free once released');
    pool.release(again);
    assert.equal(dialogs.length, 1);
    client.close();
    await h.close();
  });
});

describe('RtpIngest after a restart', () => {
  it('accepts the SSRC that arrives, not only the one answered (stale y= refuses nothing)', () => {
    const frames: unknown[] = [];
    const ingest = new RtpIngest({ onFrame: (f) => frames.push(f), logger: recordingLogger() });
    ingest.expect({ ssrc: 200000001, payloadType: 96 });
    for (let index = 0; index < 5; index++) {
      for (const packet of psFramePackets({ index, ssrc: 200000002 })) ingest.push(packet);
    }
    assert.equal(ingest.ssrc, 200000002);
    assert.ok(frames.length >= 4, `frames: ${frames.length}`);
    assert.equal(ingest.stats.foreign, 0);
  });
});

function rand(n: number): number {
  return Math.floor(Math.random() * n);
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let tries = 0; ; tries++) {
    const value = await read();
    if (done(value) || tries > 200) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
