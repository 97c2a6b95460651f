/**
 * The platform's catalog subscription (GB/T 28181-2016 §9.11, RFC 6665): SUBSCRIBE with
 * Event Catalog and Expires, renewed inside the dialog before the granted time ends, begun
 * anew where the device lost the dialog (481); a Notify Catalog is handed to the collector.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildCatalogNotify, parseManscdp } from '../../../media-node/formats/manscdp.ts';
import {
  buildResponse,
  parseNameAddr,
  type SipRequest,
  type SipResponse,
} from '../../../media-node/formats/sip-message.ts';
import type { CatalogCollector } from '../../../media-node/gb/catalog-collector.ts';
import { CatalogSubscriptions } from '../../../media-node/gb/catalog-subscription.ts';
import type { GbServer } from '../../../media-node/gb/gb-server.ts';
import { SipClient } from '../../../media-node/sip/sip-client.ts';
import type { SipPeer, SipTransport } from '../../../media-node/sip/sip-transport.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const deviceId = '34020000001320000001';
const peer: SipPeer = { transport: 'UDP', address: '127.0.0.1', port: 5062 };

function harness(answer: (request: SipRequest) => SipResponse) {
  const sent: SipRequest[] = [];
  const renewals: { renew: () => void; ms: number }[] = [];
  const changes: unknown[] = [];
  const client = new SipClient({
    transport: { send: () => true } as unknown as SipTransport,
    localAddressFor: () => ({ host: '127.0.0.1', port: 5060 }),
  });
  client.request = async (_peer, request) => {
    sent.push(request);
    return answer(request);
  };
  let sn = 0;
  const server = {
    nextSn: () => ++sn,
    platformFrom: () => `<sip:34020000002000000001@3402000000>;tag=p${sn}`,
    domain: '3402000000',
    serverId: '34020000002000000001',
    sipPort: 5060,
    registration: () => ({ peer }),
    localAddress: () => '127.0.0.1',
  } as unknown as GbServer;
  const collector = {
    applyChanges: async (_id: string, items: unknown[]) => void changes.push(...items),
  } as unknown as CatalogCollector;
  const subscriptions = new CatalogSubscriptions({
    server,
    client,
    collector,
    logger: recordingLogger(),
    expires: 600,
    schedule: (renew, ms) => {
      renewals.push({ renew, ms });
      return setTimeout(() => {}, 0);
    },
  });
  return { sent, renewals, changes, subscriptions };
}

const ok = (expires: string) => (request: SipRequest) =>
  buildResponse(request, 200, 'OK', { toTag: 'dev1', headers: [['Expires', expires]] });

describe('CatalogSubscriptions', () => {
  it('CatalogSubscriptions subscribes to Event Catalog, renews in the dialog in time', async () => {
    const h = harness(ok('300'));
    await h.subscriptions.subscribe(deviceId);
    await h.subscriptions.subscribe(deviceId); // a REGISTER refresh: subscribed already

    assert.equal(h.sent.length, 1);
    const [first] = h.sent;
    assert.equal(first?.method, 'SUBSCRIBE');
    assert.match(first?.headers.get('Event') ?? '', /^Catalog;id=\d+$/);
    assert.equal(first?.headers.get('Expires'), '600');
    assert.equal(parseManscdp(first?.body ?? new Uint8Array()).cmdType, 'Catalog');
    assert.equal(h.renewals[0]?.ms, 240_000, 'at 80% of the 300 s granted');

    h.renewals[0]?.renew();
    await new Promise((resolve) => setImmediate(resolve));
    const renewal = h.sent[1];
    assert.equal(renewal?.headers.get('Call-ID'), first?.headers.get('Call-ID'));
    assert.match(renewal?.headers.get('CSeq') ?? '', /^2 SUBSCRIBE$/);
    assert.equal(parseNameAddr(renewal?.headers.get('To') ?? '').tag, 'dev1');
    h.subscriptions.close();
  });

  it('CatalogSubscriptions subscribes anew where the renewal gets 481', async () => {
    let renewals = 0;
    const h = harness((request) => {
      const cseq = request.headers.get('CSeq') ?? '';
      if (cseq.startsWith('2 ') && renewals++ === 0) {
        return buildResponse(request, 481, 'Call/Transaction Does Not Exist', {});
      }
      return ok('300')(request);
    });
    await h.subscriptions.subscribe(deviceId);
    h.renewals[0]?.renew();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.sent.length, 3);
    assert.notEqual(h.sent[2]?.headers.get('Call-ID'), h.sent[0]?.headers.get('Call-ID'));
    assert.match(h.sent[2]?.headers.get('CSeq') ?? '', /^1 SUBSCRIBE$/);
    h.subscriptions.close();
  });

  it('CatalogSubscriptions hands a Notify Catalog to the collector and leaves other Notify', () => {
    const h = harness(ok('300'));
    const items = [{ deviceId: '34020000001310000009', name: 'x', status: 'ON', event: 'ADD' }];
    const notify = parseManscdp(buildCatalogNotify({ deviceId, sn: 5, sumNum: 1, items }));
    assert.equal(h.subscriptions.take(deviceId, notify), true);
    assert.equal((h.changes[0] as { event: string }).event, 'ADD');
    const keepalive = { ...notify, cmdType: 'Keepalive' };
    assert.equal(h.subscriptions.take(deviceId, keepalive), false);
  });
});
