import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import iconv from 'iconv-lite';

import type { CatalogCollector } from '../../../media-node/gb/catalog-collector.ts';
import { DeviceRegistry } from '../../../media-node/gb/device-registry.ts';
import { GbServer } from '../../../media-node/gb/gb-server.ts';
import type { KeepaliveMonitor } from '../../../media-node/gb/keepalive-monitor.ts';
import type { Registrar } from '../../../media-node/gb/registrar.ts';
import type { CatalogResponse } from '../../../media-node/formats/manscdp.ts';
import {
  SipHeaders,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../../media-node/formats/sip-message.ts';
import { LocalAddressBook } from '../../../media-node/sip/local-address.ts';
import type { SipClient } from '../../../media-node/sip/sip-client.ts';
import type { SipPeer, SipTransport } from '../../../media-node/sip/sip-transport.ts';
import { ArgusError, errorCodes } from '../../../src/errors.ts';
import { recordingLogger } from '../support/recording-logger.ts';

const deviceId = '34020000001320000001';
const peer: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 5060 };

function message(body: string | Uint8Array, cseq = 1, from = deviceId): SipRequest {
  return {
    kind: 'request',
    method: 'MESSAGE',
    uri: 'sip:34020000002000000001@3402000000',
    headers: new SipHeaders([
      ['Via', `SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK${cseq}`],
      ['From', `<sip:${from}@3402000000>;tag=1`],
      ['To', '<sip:34020000002000000001@3402000000>'],
      ['Call-ID', `call-${cseq}`],
      ['CSeq', `${cseq} MESSAGE`],
      ['Content-Type', 'Application/MANSCDP+xml'],
    ]),
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
  };
}

const catalog = (sumNum: number, names: string[]) =>
  '<?xml version="1.0" encoding="GB2312"?>\r\n<Response><CmdType>Catalog</CmdType><SN>5</SN>' +
  `<DeviceID>${deviceId}</DeviceID><SumNum>${sumNum}</SumNum><DeviceList Num="${names.length}">` +
  names
    .map(
      (name, i) =>
        `<Item><DeviceID>3402000000131000000${i + 1}</DeviceID><Name>${name}</Name></Item>`,
    )
    .join('') +
  '</DeviceList></Response>';

const entityBomb =
  '<?xml version="1.0"?><!DOCTYPE Notify [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' +
  `<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>${deviceId}</DeviceID>` +
  '<Status>&b;</Status></Notify>';

describe('GbServer MESSAGE handling of hostile bodies', () => {
  let sent: SipResponse[];
  let seen: number;
  let added: CatalogResponse[];
  let failSeen: boolean;
  let logger: ReturnType<typeof recordingLogger>;
  let server: GbServer;

  beforeEach(() => {
    sent = [];
    seen = 0;
    added = [];
    failSeen = false;
    logger = recordingLogger();
    const registry = new DeviceRegistry();
    registry.set({ deviceId, peer, expiresAt: Infinity, lastSeenAt: 0, online: true });
    server = new GbServer({
      serverId: '34020000002000000001',
      domain: '3402000000',
      sipPort: 5060,
      transport: {
        send: (_: SipPeer, m: SipMessage) => sent.push(m as SipResponse) > 0,
      } as unknown as SipTransport,
      client: {} as SipClient,
      registrar: {
        handle: () =>
          Promise.reject(
            new ArgusError(errorCodes.SIP_MALFORMED, 'Cannot parse Authorization: invalid'),
          ),
      } as unknown as Registrar,
      registry,
      monitor: {
        seen: async () => {
          seen++;
          if (failSeen) throw new Error('Cannot append: the event store is down');
        },
      } as unknown as KeepaliveMonitor,
      catalogs: { add: async (c: CatalogResponse) => void added.push(c) } as CatalogCollector,
      addresses: new LocalAddressBook('127.0.0.1'),
      logger,
    });
  });

  const handle = async (request: SipRequest) => {
    server.handle(request, peer);
    await new Promise((resolve) => setTimeout(resolve, 10));
  };
  const statuses = () => sent.map((r) => r.status);

  it('answers a DOCTYPE entity bomb 400, once, and the device is not seen', async () => {
    await handle(message(entityBomb));
    assert.deepEqual(statuses(), [400]);
    assert.equal(seen, 0);
    assert.equal(logger.lines.at(-1)?.msg, 'sip request refused');
    assert.equal(logger.lines.at(-1)?.fields['code'], 'ARGUS.MANSCDP.MALFORMED');
  });

  it('answers a body that is not XML 400, not 500', async () => {
    await handle(message('{"CmdType":"Keepalive"} is not XML'));
    assert.deepEqual(statuses(), [400]);
  });

  it('answers a Catalog with SumNum 100000 400 once, not 200 and then 500', async () => {
    await handle(message(catalog(100_000, ['a', 'b', 'c'])));
    assert.deepEqual(statuses(), [400]);
    assert.equal(added.length, 0);
    assert.equal(logger.lines.at(-1)?.fields['code'], 'ARGUS.MANSCDP.TOO_LARGE');
  });

  it('answers a GB2312 Catalog 200 and hands it on with its Chinese names', async () => {
    const body = new Uint8Array(iconv.encode(catalog(2, ['大门入口', '停车场']), 'gb2312'));
    await handle(message(body));
    assert.deepEqual(statuses(), [200]);
    assert.deepEqual(
      added[0]?.items.map((i) => i.name),
      ['大门入口', '停车场'],
    );
  });

  it('logs five refusals of 20 bad bodies one by one, the rest in a summary later', async () => {
    for (let i = 1; i <= 20; i++) await handle(message('not xml', i));
    assert.equal(statuses().length, 20);
    assert.equal(logger.lines.filter((l) => l.msg === 'sip request refused').length, 5);
  });

  it('logs a failure after the 200 and never answers twice', async () => {
    failSeen = true;
    const keepalive =
      `<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>3</SN>` +
      `<DeviceID>${deviceId}</DeviceID><Status>OK</Status></Notify>`;
    await handle(message(keepalive));
    assert.deepEqual(statuses(), [200]);
    assert.equal(logger.lines.at(-1)?.msg, 'sip request failed');
  });

  it('refuses MESSAGEs from an unregistered device 403, logging a few lines, not 20', async () => {
    for (let i = 1; i <= 20; i++) await handle(message('<Notify/>', i, '34020000001320000099'));
    assert.deepEqual(new Set(statuses()), new Set([403]));
    const refused = logger.lines.filter((l) => l.msg === 'sip request refused');
    assert.equal(refused.length, 5);
    assert.equal(refused[0]?.fields['deviceId'], '34020000001320000099');
  });

  it('refuses a REGISTER whose Authorization cannot be read 400, through that log', async () => {
    const register = (): SipRequest => ({
      ...message('', 1),
      method: 'REGISTER',
      headers: new SipHeaders([
        ['Via', 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr'],
        ['From', `<sip:${deviceId}@3402000000>;tag=1`],
        ['To', `<sip:${deviceId}@3402000000>`],
        ['Call-ID', 'reg'],
        ['CSeq', '1 REGISTER'],
      ]),
    });
    for (let i = 0; i < 20; i++) await handle(register());
    assert.equal(statuses().length, 20);
    assert.deepEqual(new Set(statuses()), new Set([400]));
    assert.equal(logger.lines.filter((l) => l.msg === 'sip request refused').length, 5);
    assert.equal(logger.lines.filter((l) => l.msg === 'sip request failed').length, 0);
  });
});
