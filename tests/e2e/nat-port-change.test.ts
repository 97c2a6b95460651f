/**
 * A device behind NAT whose source port changes after it registered (a NAT rebinding): its
 * keepalive from the new port moves its binding, the INVITE for a live view goes there, and
 * after a refresh from there so does the Catalog query. The old port hears nothing more.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { SipMessage } from '../../media-node/formats/sip-message.ts';
import { Platform } from '../support/platform.ts';
import { eventually } from '../support/processes.ts';
import { RawSipPeer } from '../support/raw-sip.ts';

const deviceId = '34020000001320000061';
const channelId = '34020000001310000061';
const password = 'nat-pass';
const MANSCDP = 'Application/MANSCDP+xml';
const utf8 = new TextEncoder();

const isRequest = (method: string, body?: string) => (m: SipMessage) =>
  m.kind === 'request' &&
  m.method === method &&
  (body === undefined || new TextDecoder().decode(m.body).includes(body));

const catalogAnswer = (sn: string) =>
  utf8.encode(
    `<?xml version="1.0"?><Response><CmdType>Catalog</CmdType><SN>${sn}</SN>` +
      `<DeviceID>${deviceId}</DeviceID><SumNum>1</SumNum><DeviceList Num="1"><Item>` +
      `<DeviceID>${channelId}</DeviceID><Name>Gate</Name><Status>ON</Status></Item>` +
      '</DeviceList></Response>',
  );

const keepalive = utf8.encode(
  `<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>7</SN>` +
    `<DeviceID>${deviceId}</DeviceID><Status>OK</Status></Notify>`,
);

describe('a device whose source port changes after registering', () => {
  const platform = new Platform({ env: { ARGUS_LIVE_LINGER_S: '1' } });
  const peers: RawSipPeer[] = [];
  const viewer = new AbortController();
  const open = async () => {
    const peer = await RawSipPeer.open('UDP', platform.sipPort);
    peers.push(peer);
    return peer;
  };

  before(async () => {
    await platform.start();
    await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [{ device_id: deviceId, device_name: 'NAT camera', device_password: password }],
    });
  });
  after(async () => {
    viewer.abort();
    // The first peer is closed by the test already.
    await Promise.all(peers.map((p) => p.close().catch(() => {})));
    await platform.stop();
    platform.removeData();
  });

  it('still answers INVITE and Catalog from its new port', async () => {
    const before = await open();
    await before.register(deviceId, password);
    const query = await before.waitFor(isRequest('MESSAGE', 'Catalog'), 5000, 'the Catalog query');
    const sn = /<SN>(\d+)<\/SN>/.exec(new TextDecoder().decode(query.body))?.[1] ?? '1';
    const answer = before.craft({ method: 'MESSAGE', deviceId, contentType: MANSCDP });
    answer.body = catalogAnswer(sn);
    assert.equal((await before.request(answer)).status, 200);
    await eventually(async () =>
      (await platform.device(deviceId))?.channel_total === 1 ? 1 : undefined,
    );
    await before.close();

    // The NAT maps the device to a new port: its next keepalive comes from there.
    const after = await open();
    const beat = after.craft({ method: 'MESSAGE', deviceId, contentType: MANSCDP });
    beat.body = keepalive;
    assert.equal((await after.request(beat)).status, 200);
    await platform.media.waitFor(
      (l) =>
        l['msg'] === 'address changed' && l['remoteAddress'] === `127.0.0.1:${after.localPort}`,
      5000,
      'the address change',
    );

    const { json } = await platform.call(
      'POST',
      '/v2/{user_id}/devices/channels/media/live-connections',
      {
        channels: [
          {
            device_id: deviceId,
            channel_id: channelId,
            live_protocol: 'HTTP_FLV',
            stream_type: 'PRIMARY_STREAM',
          },
        ],
      },
    );
    const url = json.channels[0].cloud_trans_connections.live_url as string;
    void fetch(url, { signal: viewer.signal }).catch(() => {});
    const invite = await after.waitFor(isRequest('INVITE'), 10_000, 'the INVITE at the new port');
    assert.equal(
      invite.kind === 'request' && invite.uri,
      `sip:${channelId}@127.0.0.1:${after.localPort}`,
    );

    // A refresh from the new port: the Catalog query follows it there.
    const from = after.received.length;
    await after.register(deviceId, password);
    await after.waitFor(isRequest('MESSAGE', 'Catalog'), 5000, 'the Catalog query', from);
  });
});
