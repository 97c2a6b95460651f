/**
 * Hostile and odd device input against the real processes: garbage, truncated, oversized and
 * torture SIP over UDP and TCP, hostile MANSCDP bodies from registered devices, a GB2312
 * catalog, bad credentials, and garbage on the RTP port of a live session. Afterwards both
 * processes are alive, the drops are logged without a line per packet, and the simulated
 * camera still streams playable video.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import iconv from 'iconv-lite';

import { computeDigestResponse, formatAuthorization } from '../../media-node/formats/sip-digest.ts';
import { serializeSipMessage, type SipRequest } from '../../media-node/formats/sip-message.ts';
import { ffprobeMissing, probeVideo } from '../support/ffprobe.ts';
import { fixturePath } from '../support/fixtures.ts';
import { Platform } from '../support/platform.ts';
import { eventually, type RunningProcess } from '../support/processes.ts';
import { RawSipPeer } from '../support/raw-sip.ts';
import { isEvent, startSimulator } from '../support/simulator.ts';

const camera = { id: '34020000001320000031', password: 'camera-pass' };
const udpDevice = { id: '34020000001320000032', password: 'udp-pass' };
const tcpDevice = { id: '34020000001320000033', password: 'tcp-pass' };
const TORTURE = 'public/rfc4475-sip-torture';
const MANSCDP = 'Application/MANSCDP+xml';

describe('hostile device input end to end', () => {
  const platform = new Platform({ env: { ARGUS_LIVE_LINGER_S: '1' } });
  const peers: RawSipPeer[] = [];
  const viewer = new AbortController();
  let simulator: RunningProcess | undefined;
  let liveUrl = '';
  let rtpPort = 0;

  const open = async (transport: 'UDP' | 'TCP') => {
    const peer = await RawSipPeer.open(transport, platform.sipPort);
    peers.push(peer);
    return peer;
  };
  const dropLines = () => platform.media.count((l) => l['msg'] === 'sip message dropped');
  /** Drops counted so far, as the last line that reported the total says. */
  const dropped = () =>
    Math.max(
      0,
      ...platform.media
        .json()
        .filter((l) => String(l['msg']).startsWith('sip message'))
        .map((l) => Number(l['dropped'])),
    );
  /** Waits until `count` more drops than `since` were reported (a summary can take 5 s). */
  const waitDropped = (since: number, count: number) =>
    eventually(
      async () => (dropped() >= since + count ? true : undefined),
      8000,
      `${count} drops reported`,
    );

  before(async () => {
    await platform.start();
    const { json } = await platform.call('POST', '/v1/{user_id}/devices/gb/batch-add', {
      devices: [camera, udpDevice, tcpDevice].map((d) => ({
        device_id: d.id,
        device_name: `Device ${d.id.slice(-2)}`,
        device_password: d.password,
      })),
    });
    assert.equal(json.failed_num, 0);

    simulator = startSimulator({
      sipPort: platform.sipPort,
      deviceId: camera.id,
      password: camera.password,
    });
    const channelId = await eventually(async () => {
      const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${camera.id}`);
      return json.channels[0]?.channel_id as string | undefined;
    });
    liveUrl = await openLiveUrl(platform, camera.id, channelId);
    rtpPort = await startViewer(platform, liveUrl, viewer.signal);
  });
  after(async () => {
    viewer.abort();
    await Promise.all(peers.map((p) => p.close()));
    await simulator?.stop('SIGKILL');
    await platform.stop();
    platform.removeData();
  });

  it('malformed SIP over UDP is dropped, and answered where the request can be read', async () => {
    const garbage = await open('UDP');
    for (let i = 0; i < 40; i++) garbage.sendBytes(randomBytes(randomInt(1, 1400)));
    garbage.sendBytes(new Uint8Array());

    const peer = await open('UDP');
    const register = peer.craft({ method: 'REGISTER', deviceId: udpDevice.id });
    const truncated = await answerTo(peer, register, (bytes) => bytes.subarray(0, 200));
    assert.equal(truncated, 400, 'a REGISTER cut inside its headers');

    const longer = peer.craft({ method: 'REGISTER', deviceId: udpDevice.id });
    const overLength = await answerTo(peer, longer, (bytes) =>
      withContentLength(bytes, 'Content-Length: 500', 'body'),
    );
    assert.equal(overLength, 400, 'a REGISTER with Content-Length past its body');

    const flood = peer.craft({
      method: 'REGISTER',
      deviceId: udpDevice.id,
      headers: floodHeaders(),
    });
    assert.equal(await answerTo(peer, flood), 513, 'a header flood');

    // 70 KB cannot travel in one datagram; the largest one possible is read and challenged.
    const largest = peer.craft({
      method: 'REGISTER',
      deviceId: udpDevice.id,
      body: new Uint8Array(65_507 - 400).fill(0x61),
      contentType: 'text/plain',
    });
    assert.equal(await answerTo(peer, largest, (b) => pad(b, 65_507)), 401);

    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(garbage.statuses.length, 0, 'random bytes get no answer');
    const line = await platform.media.waitFor(
      (l) => l['msg'] === 'sip message dropped' && l['code'] === 'ARGUS.SIP.MALFORMED',
    );
    assert.match(String(line['peer']), /^UDP:127\.0\.0\.1:\d+$/);
    await waitDropped(0, 44);
    // 44 malformed datagrams, a line each before: now a few lines and a summary.
    assert.ok(dropLines() <= 10, `${dropLines()} 'sip message dropped' lines`);
  });

  it('malformed SIP over TCP is dropped; a stream that cannot be framed is closed', async () => {
    const before = dropped();
    const unframed = await open('TCP');
    unframed.sendBytes(Buffer.concat([randomBytes(300), Buffer.from('\r\n\r\n')]));
    assert.ok(await unframed.waitClosed(3000), 'no Content-Length: the server closes');

    const tooLarge = await open('TCP');
    const big = tooLarge.craft({
      method: 'REGISTER',
      deviceId: tcpDevice.id,
      body: new Uint8Array(70 * 1024).fill(0x61),
    });
    tooLarge.send(big);
    assert.ok(await tooLarge.waitClosed(3000), 'a 70 KB message: the server closes');

    const incomplete: ((peer: RawSipPeer) => Uint8Array)[] = [
      () => randomBytes(500),
      (peer) => registerBytes(peer).subarray(0, 200),
      (peer) => withContentLength(registerBytes(peer), 'Content-Length: 500', 'body'),
    ];
    for (const bytesFor of incomplete) {
      const partial = await open('TCP');
      partial.sendBytes(bytesFor(partial));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(partial.closed, false, 'an incomplete message is waited for');
      await partial.close();
    }
    await waitDropped(before, 5);

    // A header flood is framed and answered; the connection keeps its sync.
    const peer = await open('TCP');
    const flood = peer.craft({
      method: 'OPTIONS',
      deviceId: tcpDevice.id,
      headers: floodHeaders(),
    });
    assert.equal((await peer.request(flood)).status, 513);
    const options = peer.craft({ method: 'OPTIONS', deviceId: tcpDevice.id });
    assert.equal((await peer.request(options)).status, 200);
  });

  for (const transport of ['UDP', 'TCP'] as const) {
    it(`bad credentials over ${transport} are challenged again or refused`, async () => {
      const peer = await open(transport);
      const garbage = peer.craft({
        method: 'REGISTER',
        deviceId: udpDevice.id,
        headers: [['Authorization', '%%%\u0001garbage===']],
      });
      const challenged = await peer.request(garbage);
      assert.equal(challenged.status, 401, 'an unknown scheme is no credentials');
      assert.match(challenged.headers.get('WWW-Authenticate') ?? '', /^Digest /);

      const broken = peer.craft({
        method: 'REGISTER',
        deviceId: udpDevice.id,
        headers: [['Authorization', 'Digest username="x", realm="3402000000", nonce="open']],
      });
      assert.equal((await peer.request(broken)).status, 400, 'a Digest that cannot be read');

      const wrong = peer.craft({
        method: 'REGISTER',
        deviceId: udpDevice.id,
        headers: [['Authorization', unissuedNonceDigest(udpDevice.id, 'not-the-password')]],
      });
      const refused = await peer.request(wrong);
      assert.equal(refused.status, 403, 'a wrong digest on an unknown nonce is no stale nonce');

      const stale = peer.craft({
        method: 'REGISTER',
        deviceId: udpDevice.id,
        headers: [['Authorization', unissuedNonceDigest(udpDevice.id, udpDevice.password)]],
      });
      const again = await peer.request(stale);
      assert.equal(again.status, 401, 'a right digest on an unknown nonce is challenged again');
      assert.match(again.headers.get('WWW-Authenticate') ?? '', /stale=TRUE/);
    });
  }

  for (const [transport, device] of [
    ['UDP', udpDevice],
    ['TCP', tcpDevice],
  ] as const) {
    it(`hostile MANSCDP from a device registered over ${transport} gets 400`, async () => {
      const peer = await open(transport);
      await peer.register(device.id, device.password);
      const send = async (body: Uint8Array | string) => {
        const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
        const message = peer.craft({
          method: 'MESSAGE',
          deviceId: device.id,
          body: bytes,
          contentType: MANSCDP,
        });
        return (await peer.request(message)).status;
      };

      assert.equal(await send(entityBomb(device.id)), 400, 'a DOCTYPE with an entity bomb');
      assert.equal(await send('{"CmdType": "Keepalive"} is not XML'), 400, 'a non-XML body');
      assert.equal(await send(catalogBody(device.id, 100_000, 3)), 400, 'SumNum 100000');
      await platform.media.waitFor(
        (l) => l['msg'] === 'sip request refused' && l['code'] === 'ARGUS.MANSCDP.TOO_LARGE',
      );
      assert.equal(await send(keepaliveBody(device.id)), 200, 'the device still works');

      const { json } = await platform.call('GET', `/v1/{user_id}/channels?device_id=${device.id}`);
      assert.equal(json.total, 0, 'nothing was recorded');
    });

    it(`a GB2312 catalog over ${transport} keeps its Chinese channel names`, async () => {
      const peer = await open(transport);
      await peer.register(device.id, device.password);
      const names = ['大门入口', '停车场东北角', '仓库一号摄像机'];
      const body = iconv.encode(gb2312Catalog(device.id, names), 'gb2312');
      const message = peer.craft({
        method: 'MESSAGE',
        deviceId: device.id,
        body: new Uint8Array(body),
        contentType: MANSCDP,
      });
      assert.equal((await peer.request(message)).status, 200);

      const channels = await eventually(
        async () => {
          const { json } = await platform.call(
            'GET',
            `/v1/{user_id}/channels?device_id=${device.id}`,
          );
          return json.total === 3 ? (json.channels as { channel_name: string }[]) : undefined;
        },
        10_000,
        'three channels',
      );
      assert.deepEqual(channels.map((c) => c.channel_name).sort(), [...names].sort());
    });
  }

  it(
    'every RFC 4475 torture request over UDP gets an answer',
    { skip: tortureMissing() },
    async () => {
      const answers = await Promise.all(
        tortureFiles().map(async ({ name, bytes, isRequest }) => {
          const peer = await open('UDP');
          peer.sendBytes(bytes);
          const waitMs = isRequest && name !== 'test.dat' ? 3000 : 500;
          const status = await peer.waitForStatus(() => true, waitMs).catch(() => 0);
          return { name, isRequest, status };
        }),
      );
      const byName = new Map(answers.map((a) => [a.name, a.status]));
      for (const { name, isRequest, status } of answers) {
        // test.dat is SIPSorcery's, not RFC 4475: it has no Via to answer to.
        if (!isRequest || name === 'test.dat') assert.equal(status, 0, `${name} is not answered`);
        else assert.ok(status >= 200, `${name} answered ${status}`);
      }
      for (const invalid of INVALID_REQUESTS) assert.equal(byName.get(invalid), 400, invalid);
      assert.equal(byName.get('badvers.dat'), 505);
      assert.equal(byName.get('regaut01.dat'), 401);
    },
  );

  it(
    'every RFC 4475 torture message over TCP is answered or ends its connection',
    { skip: tortureMissing() },
    async () => {
      const outcomes = await Promise.all(
        tortureFiles().map(async ({ name, bytes, isRequest }) => {
          const peer = await open('TCP');
          peer.sendBytes(bytes);
          const answer = peer.waitForStatus(() => true, 2000).catch(() => 0);
          const closed = peer.waitClosed(2000);
          await Promise.race([answer, closed]);
          return { name, isRequest, answered: peer.statuses.length > 0, closed: peer.closed };
        }),
      );
      for (const { name, isRequest, answered, closed } of outcomes) {
        // Incomplete on a stream (Content-Length past the bytes, no empty line): waited for,
        // and dropped when the peer closes.
        if (!isRequest || ['clerr.dat', 'baddn.dat', 'test.dat'].includes(name)) continue;
        assert.ok(answered || closed, `${name}: neither answered nor closed`);
      }
      assert.equal(platform.media.child.exitCode, null);
    },
  );

  it(
    'garbage and RTP-shaped floods on the RTP port leave the live stream playable',
    { skip: ffprobeMissing },
    async () => {
      const started = await simulator!.waitFor(isEvent('stream_started'), 1000);
      await floodRtp(rtpPort, Number(started['ssrc']));

      const probed = await probeVideo(liveUrl, 4);
      assert.equal(probed.codec_name, 'h264');
      assert.equal(probed.width, 640);
      assert.equal(probed.height, 360);
      assert.ok(Number(probed.nb_read_frames) >= 50, `decoded ${probed.nb_read_frames} frames`);
      assert.equal(simulator!.count(isEvent('invite')), 1, 'the flooded session was shared');
    },
  );

  it('after all of it both processes live and the drops were summed up', async () => {
    assert.equal(platform.api.child.exitCode, null);
    assert.equal(platform.media.child.exitCode, null);
    const { status } = await platform.call('GET', '/v1/{user_id}/devices');
    assert.equal(status, 200);

    const summary = await platform.media.waitFor(
      (l) => l['msg'] === 'sip messages dropped',
      8000,
      'a summary of the drops',
    );
    assert.ok(Number(summary['suppressed']) > 0);
    const at = simulator!.lines.length;
    await simulator!.waitFor(
      (l) => l['event'] === 'keepalive' && l['status'] === 200 && simulator!.lines.length > at,
      5000,
      'a keepalive answered after the flood',
    );

    viewer.abort();
    await simulator!.waitFor(isEvent('bye'), 10_000, 'BYE after the viewer left');
    const stopped = await platform.media.waitFor((l) => l['msg'] === 'stream stopped', 10_000);
    assert.ok(Number(stopped['foreign']) > 0, 'the flood was counted as foreign');
  });
});

/** RFC 4475 requests that are invalid and must be answered 400 where they can be (UDP). */
const INVALID_REQUESTS = [
  'badaspec.dat',
  'baddn.dat',
  'clerr.dat',
  'insuf.dat',
  'ltgtruri.dat',
  'lwsruri.dat',
  'lwsstart.dat',
  'mcl01.dat',
  'mismatch01.dat',
  'mismatch02.dat',
  'ncl.dat',
  'quotbal.dat',
  'scalar02.dat',
  'trws.dat',
];

function tortureMissing(): string | false {
  return fixturePath(TORTURE) === undefined
    ? `${TORTURE} is absent (../shared/fixtures not beside this checkout)`
    : false;
}

/** The torture messages; the ones that open with a status line are responses. */
function tortureFiles(): { name: string; bytes: Buffer; isRequest: boolean }[] {
  const dir = fixturePath(TORTURE) ?? '';
  return readdirSync(dir)
    .filter((name) => name.endsWith('.dat'))
    .map((name) => {
      const bytes = readFileSync(join(dir, name));
      return { name, bytes, isRequest: !bytes.subarray(0, 4).equals(Buffer.from('SIP/')) };
    });
}

/** A live URL for the channel from the API, its RTP over UDP: the floods are datagrams. */
async function openLiveUrl(platform: Platform, deviceId: string, channelId: string) {
  const { json } = await platform.call(
    'POST',
    '/v2/{user_id}/devices/channels/media/live-connections',
    {
      channels: [{ device_id: deviceId, channel_id: channelId, trans_protocol: 'UDP' }],
      expire_time: 300,
    },
  );
  assert.deepEqual(json.channels[0].result, { code: 'IVM.0', msg: 'Success' });
  return json.channels[0].cloud_trans_connections.live_url as string;
}

/** Opens a viewer that reads until aborted; returns the session's RTP port. */
async function startViewer(platform: Platform, url: string, signal: AbortSignal) {
  const response = await fetch(url, { signal });
  assert.equal(response.status, 200);
  const reader = response.body?.getReader();
  void (async () => {
    while (reader !== undefined && !(await reader.read()).done);
  })().catch(() => {});
  const started = await platform.media.waitFor((l) => l['msg'] === 'stream started', 10_000);
  return Number(started['port']);
}

/** Sends `request` rewritten by `edit` and waits for its final response. */
async function answerTo(
  peer: RawSipPeer,
  request: SipRequest,
  edit: (bytes: Uint8Array) => Uint8Array = (bytes) => bytes,
) {
  peer.sendBytes(edit(serializeSipMessage(request)));
  return peer.statusOf(request);
}

function registerBytes(peer: RawSipPeer): Uint8Array {
  return serializeSipMessage(peer.craft({ method: 'REGISTER', deviceId: tcpDevice.id }));
}

/** Replaces the Content-Length line and appends `body`. */
function withContentLength(bytes: Uint8Array, line: string, body: string): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  return Buffer.from(`${text.replace(/Content-Length: \d+/, line)}${body}`, 'latin1');
}

/** Grows the body (and Content-Length) so that the datagram is exactly `size` bytes. */
function pad(bytes: Uint8Array, size: number): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const length = Number(/Content-Length: (\d+)/.exec(text)?.[1]);
  const grown = size - bytes.length + length;
  const out = text.replace(/Content-Length: \d+/, `Content-Length: ${grown}`);
  return Buffer.from(out + 'a'.repeat(size - Buffer.byteLength(out, 'latin1')), 'latin1');
}

function floodHeaders(): [string, string][] {
  return Array.from({ length: 200 }, (_, i): [string, string] => [`X-Flood-${i}`, 'x'.repeat(20)]);
}

/**
 * Digest credentials computed with `password` for a nonce the platform never issued: stale
 * (RFC 2617 §3.2.1) only where the password is right.
 */
function unissuedNonceDigest(deviceId: string, password: string): string {
  const fields = {
    username: deviceId,
    realm: '3402000000',
    nonce: '0123456789abcdef',
    uri: 'sip:34020000002000000001@3402000000',
    algorithm: 'MD5',
  };
  const response = computeDigestResponse(fields, 'REGISTER', password);
  return formatAuthorization({ ...fields, response });
}

function keepaliveBody(deviceId: string): string {
  return (
    '<?xml version="1.0" encoding="GB2312"?>\r\n<Notify><CmdType>Keepalive</CmdType>' +
    `<SN>7</SN><DeviceID>${deviceId}</DeviceID><Status>OK</Status></Notify>\r\n`
  );
}

function entityBomb(deviceId: string): string {
  const entities = Array.from(
    { length: 9 },
    (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`,
  ).join('');
  return (
    `<?xml version="1.0"?>\r\n<!DOCTYPE Notify [<!ENTITY lol0 "lol">${entities}]>\r\n` +
    `<Notify><CmdType>Keepalive</CmdType><SN>8</SN><DeviceID>${deviceId}</DeviceID>` +
    '<Status>&lol9;</Status></Notify>\r\n'
  );
}

function catalogItems(deviceId: string, names: string[]): string {
  return names
    .map(
      (name, i) =>
        `<Item><DeviceID>${deviceId.slice(0, 10)}131${String(i + 1).padStart(7, '0')}</DeviceID>` +
        `<Name>${name}</Name><Manufacturer>Hikvision</Manufacturer><Status>ON</Status></Item>`,
    )
    .join('\r\n');
}

function catalogBody(deviceId: string, sumNum: number, items: number): string {
  const names = Array.from({ length: items }, (_, i) => `Camera ${i + 1}`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\r\n<Response><CmdType>Catalog</CmdType>' +
    `<SN>9</SN><DeviceID>${deviceId}</DeviceID><SumNum>${sumNum}</SumNum>` +
    `<DeviceList Num="${items}">${catalogItems(deviceId, names)}</DeviceList></Response>\r\n`
  );
}

function gb2312Catalog(deviceId: string, names: string[]): string {
  return (
    '<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n' +
    `<SN>10</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n<SumNum>${names.length}</SumNum>\r\n` +
    `<DeviceList Num="${names.length}">\r\n${catalogItems(deviceId, names)}\r\n</DeviceList>\r\n` +
    '</Response>\r\n'
  );
}

/**
 * Garbage datagrams, then RTP-shaped packets (version 2, PT 96, random sequence numbers and
 * timestamps, half with the session's SSRC, payloads that sometimes open with a PS
 * pack_header), from a socket that is not the camera's.
 */
async function floodRtp(port: number, ssrc: number): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const send = (bytes: Uint8Array) =>
    new Promise<void>((resolve) => socket.send(bytes, port, '127.0.0.1', () => resolve()));

  for (let i = 0; i < 200; i++) await send(randomBytes(randomInt(0, 1500)));
  for (let i = 0; i < 3000; i++) {
    const packet = randomBytes(16 + randomInt(0, 1400));
    packet[0] = 0x80;
    packet[1] = 96 | (randomInt(2) << 7);
    if (i % 2 === 0) packet.writeUInt32BE(ssrc >>> 0, 8);
    if (i % 3 === 0) packet.set([0, 0, 1, 0xba], 12);
    await send(packet);
  }
  await new Promise<void>((resolve) => socket.close(resolve));
}
