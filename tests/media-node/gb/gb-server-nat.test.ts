/**
 * A device behind NAT whose source port changes after it registered: its keepalive moves the
 * binding, and the platform's next request goes to the new address, not the old one or the
 * Contact URI.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { decideRegister } from '../../../src/domain/device.ts';
import type { CatalogCollector } from '../../../media-node/gb/catalog-collector.ts';
import { GbServer } from '../../../media-node/gb/gb-server.ts';
import { KeepaliveMonitor } from '../../../media-node/gb/keepalive-monitor.ts';
import type { Registrar } from '../../../media-node/gb/registrar.ts';
import {
  buildResponse,
  SipHeaders,
  type SipRequest,
} from '../../../media-node/formats/sip-message.ts';
import { LocalAddressBook } from '../../../media-node/sip/local-address.ts';
import { SipClient } from '../../../media-node/sip/sip-client.ts';
import type { SipPeer } from '../../../media-node/sip/sip-transport.ts';
import { gbHarness, type GbHarness } from './support.ts';

const deviceId = '34020000001320000001';
const first: SipPeer = { transport: 'UDP', address: '198.51.100.7', port: 5060 };
const rebound: SipPeer = { transport: 'UDP', address: '198.51.100.7', port: 61001 };

const keepalive: SipRequest = {
  kind: 'request',
  method: 'MESSAGE',
  uri: 'sip:34020000002000000001@3402000000',
  headers: new SipHeaders([
    ['Via', 'SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bKka1'],
    ['From', `<sip:${deviceId}@3402000000>;tag=1`],
    ['To', '<sip:34020000002000000001@3402000000>'],
    ['Call-ID', 'ka-1'],
    ['CSeq', '20 MESSAGE'],
    ['Content-Type', 'Application/MANSCDP+xml'],
  ]),
  body: new TextEncoder().encode(
    `<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN>` +
      `<DeviceID>${deviceId}</DeviceID><Status>OK</Status></Notify>`,
  ),
};

describe('GbServer with a device whose source port changes', () => {
  let h: GbHarness;
  let server: GbServer;
  let client: SipClient;

  beforeEach(async () => {
    h = await gbHarness();
    await h.addDevice(deviceId);
    await h.commands.run(deviceId, (d) =>
      decideRegister(d, {
        nodeId: 'media-1',
        transport: 'UDP',
        remoteAddress: '198.51.100.7:5060',
        expires: 3600,
        at: h.now(),
      }),
    );
    h.registry.set({ deviceId, peer: first, expiresAt: Infinity, lastSeenAt: 0, online: true });
    client = new SipClient({
      transport: h.transport,
      localAddressFor: () => ({ host: '203.0.113.1', port: 5060 }),
    });
    const monitor = new KeepaliveMonitor({
      registry: h.registry,
      commands: h.commands,
      heartbeatSeconds: 60,
      misses: 3,
      logger: h.logger,
      now: h.now,
    });
    server = new GbServer({
      serverId: '34020000002000000001',
      domain: '3402000000',
      sipPort: 5060,
      transport: h.transport,
      client,
      registrar: {} as Registrar,
      registry: h.registry,
      monitor,
      catalogs: {} as CatalogCollector,
      addresses: new LocalAddressBook('203.0.113.1'),
      logger: h.logger,
    });
  });
  afterEach(async () => {
    client.close();
    await h.close();
  });

  it('answers the keepalive at its source and sends the Catalog query there', async () => {
    server.handle(keepalive, rebound);
    const moved = () => h.logger.lines.some((l) => l.msg === 'address changed');
    for (let i = 0; i < 100 && !moved(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(h.sent[0]?.peer, rebound, 'the 200 to the keepalive');

    const query = server.queryCatalog(deviceId);
    const sent = h.sent[1];
    assert.deepEqual(sent?.peer, rebound);
    const request = sent?.message as SipRequest;
    assert.equal(request.uri, `sip:${deviceId}@198.51.100.7:61001`);
    server.handle(buildResponse(request, 200, 'OK'), rebound);
    await query;

    assert.equal((await h.device(deviceId)).binding, 'UDP 198.51.100.7:61001');
  });

  it('refuses a MESSAGE naming the device from another host, and keeps its binding', async () => {
    const elsewhere: SipPeer = { transport: 'UDP', address: '203.0.113.66', port: 5060 };
    server.handle(keepalive, elsewhere);
    for (let i = 0; i < 100 && h.sent.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const answer = h.sent[0];
    assert.deepEqual(answer?.peer, elsewhere);
    assert.equal((answer?.message as { status?: number }).status, 403);
    assert.equal(h.registry.get(deviceId)?.peer, first, 'requests still go to the device');
    assert.ok(!h.logger.lines.some((l) => l.msg === 'address changed'));

    const query = server.queryCatalog(deviceId);
    assert.deepEqual(h.sent[1]?.peer, first);
    server.handle(buildResponse(h.sent[1]?.message as SipRequest, 200, 'OK'), first);
    await query;
  });
});
