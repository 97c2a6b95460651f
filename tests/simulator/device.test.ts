import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import type { Server, Socket as TcpSocket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

import { formatGbDate } from '../../media-node/formats/gb-date.ts';
import {
  buildQuery,
  mergeCatalogPages,
  parseManscdp,
  readCatalogResponse,
} from '../../media-node/formats/manscdp.ts';
import type { CatalogResponse } from '../../media-node/formats/manscdp.ts';
import { Rfc4571Framer } from '../../media-node/formats/rfc4571.ts';
import { parseRtpPacket } from '../../media-node/formats/rtp.ts';
import type { RtpPacket } from '../../media-node/formats/rtp.ts';
import { buildSdp, parseSdp } from '../../media-node/formats/sdp.ts';
import type { SdpMedia } from '../../media-node/formats/sdp.ts';
import {
  buildChallenge,
  parseAuthorization,
  verifyDigest,
} from '../../media-node/formats/sip-digest.ts';
import {
  SipHeaders,
  buildResponse,
  parseCSeq,
  parseNameAddr,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
} from '../../media-node/formats/sip-message.ts';
import type { SipRequest, SipResponse } from '../../media-node/formats/sip-message.ts';
import { channelIdsOf } from '../../simulator/device.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DEVICE_ID = '34020000001320000001';
const SERVER_ID = '34020000002000000001';
const DOMAIN = '3402000000';
const PASSWORD = '12345678';

const hex = () => randomBytes(6).toString('hex');

/** Polls `check` every 20 ms until it returns a value, or fails after `ms`. */
async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Received {
  message: SipRequest;
  source: { address: string; port: number };
}

/** A platform on UDP loopback: challenges REGISTER with 401, then accepts (or forbids). */
class FakePlatform {
  readonly socket: Socket = createSocket('udp4');
  readonly requests: Received[] = [];
  readonly responses: SipResponse[] = [];
  device: { address: string; port: number } | undefined;
  readonly nonce = hex();

  constructor(private readonly mode: 'accept' | 'forbid') {}

  async start(): Promise<number> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
    this.socket.on('message', (data, rinfo) => this.#onDatagram(new Uint8Array(data), rinfo));
    return this.socket.address().port;
  }

  get port(): number {
    return this.socket.address().port;
  }

  #onDatagram(data: Uint8Array, rinfo: { address: string; port: number }): void {
    const message = parseSipMessage(data);
    if (message.kind === 'response') {
      this.responses.push(message);
      return;
    }
    const source = { address: rinfo.address, port: rinfo.port };
    this.requests.push({ message, source });
    this.device = source;
    if (message.method === 'REGISTER') this.send(this.#answerRegister(message, source), source);
    if (message.method === 'MESSAGE')
      this.send(buildResponse(message, 200, 'OK', { source }), source);
  }

  #answerRegister(req: SipRequest, source: { address: string; port: number }): SipResponse {
    const authorization = req.headers.get('Authorization');
    if (this.mode === 'forbid') return buildResponse(req, 403, 'Forbidden', { source });
    if (
      authorization === undefined ||
      !verifyDigest(parseAuthorization(authorization), 'REGISTER', PASSWORD)
    ) {
      const challenge = buildChallenge(DOMAIN, this.nonce, { qop: true });
      return buildResponse(req, 401, 'Unauthorized', {
        source,
        headers: [['WWW-Authenticate', challenge]],
      });
    }
    return buildResponse(req, 200, 'OK', {
      toTag: hex(),
      source,
      headers: [
        ['Expires', req.headers.get('Expires') ?? '3600'],
        ['Date', formatGbDate(new Date(), 480)],
      ],
    });
  }

  send(message: SipRequest | SipResponse, to = this.device): void {
    assert.ok(to, 'the device has not registered yet');
    this.socket.send(serializeSipMessage(message), to.port, to.address);
  }

  /** Requests of `method` received so far. */
  received(method: string): SipRequest[] {
    return this.requests.filter((r) => r.message.method === method).map((r) => r.message);
  }

  responsesTo(callId: string, method: string): SipResponse[] {
    return this.responses.filter(
      (r) =>
        r.headers.get('Call-ID') === callId &&
        parseCSeq(r.headers.get('CSeq') ?? '').method === method,
    );
  }

  request(
    method: string,
    to: string,
    opts: {
      callId?: string;
      cseq?: number;
      toTag?: string;
      headers?: [string, string][];
      body?: Uint8Array;
      contentType?: string;
    } = {},
  ): SipRequest {
    const headers = new SipHeaders([
      ['Via', `SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=z9hG4bK${hex()}`],
      ['From', `<sip:${SERVER_ID}@${DOMAIN}>;tag=platform`],
      ['To', `<sip:${to}@${DOMAIN}>${opts.toTag === undefined ? '' : `;tag=${opts.toTag}`}`],
      ['Call-ID', opts.callId ?? hex()],
      ['CSeq', `${opts.cseq ?? 1} ${method}`],
      ['Max-Forwards', '70'],
      ...(opts.headers ?? []),
    ]);
    if (opts.contentType !== undefined) headers.set('Content-Type', opts.contentType);
    return {
      kind: 'request',
      method,
      uri: `sip:${to}@${DOMAIN}`,
      headers,
      body: opts.body ?? new Uint8Array(),
    };
  }

  close(): void {
    this.socket.close();
  }
}

interface Simulator {
  child: ChildProcess;
  events: Record<string, unknown>[];
  exit: Promise<number | null>;
}

function spawnSimulator(port: number, extra: string[] = []): Simulator {
  const args = ['--server', `127.0.0.1:${port}`, '--device-id', DEVICE_ID, '--password', PASSWORD];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'simulator/cli.ts', ...args, ...extra],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) =>
    events.push(JSON.parse(line) as Record<string, unknown>),
  );
  child.stderr?.resume();
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, events, exit };
}

/** Receives RTP on loopback. */
async function rtpReceiver(): Promise<{ socket: Socket; packets: RtpPacket[]; port: number }> {
  const socket = createSocket('udp4');
  const packets: RtpPacket[] = [];
  socket.on('message', (data) => packets.push(parseRtpPacket(new Uint8Array(data))));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, packets, port: socket.address().port };
}

/** Reads RTP framed per RFC 4571 from a TCP connection. */
function readFramedRtp(socket: TcpSocket, packets: RtpPacket[]): void {
  const framer = new Rfc4571Framer();
  socket.on('data', (chunk) => {
    for (const packet of framer.push(new Uint8Array(chunk))) packets.push(parseRtpPacket(packet));
  });
}

/** Listens on loopback; the RTP of the first connection lands in `packets`. */
async function tcpRtpListener(): Promise<{ server: Server; packets: RtpPacket[]; port: number }> {
  const packets: RtpPacket[] = [];
  const server = createServer((socket) => readFramedRtp(socket, packets));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, packets, port: (server.address() as { port: number }).port };
}

type Transport = Pick<SdpMedia, 'protocol' | 'setup' | 'connection'>;

function offer(
  port: number,
  ssrc: string,
  transport: Transport = { protocol: 'RTP/AVP' },
): Uint8Array {
  const sdp = buildSdp({
    origin: { username: SERVER_ID, address: '127.0.0.1' },
    sessionName: 'Play',
    connection: '127.0.0.1',
    time: [0, 0],
    media: [
      {
        type: 'video',
        port,
        ...transport,
        payloads: [{ pt: 96, encoding: 'PS', clock: 90000 }],
        direction: 'recvonly',
      },
    ],
    ssrc,
  });
  return new TextEncoder().encode(sdp);
}

describe('simulator device against a platform', () => {
  const platform = new FakePlatform('accept');
  const channels = channelIdsOf(DEVICE_ID, 6);
  let sim: Simulator;
  const receivers: Socket[] = [];

  before(async () => {
    const port = await platform.start();
    sim = spawnSimulator(port, ['--heartbeat', '0.5', '--channels', '6']);
  });

  after(() => {
    if (sim.child.exitCode === null) sim.child.kill('SIGKILL');
    for (const socket of receivers) socket.close();
    platform.close();
  });

  it('simulator registers with a digest answer to the 401 challenge (qop=auth)', async () => {
    const registered = await waitFor(
      'registered',
      () => sim.events.find((e) => e.event === 'registered'),
      10000,
    );
    assert.equal(registered.status, 200);
    assert.equal(registered.expires, 3600);
    assert.match(String(registered.date), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);

    const [first, second] = platform.received('REGISTER');
    assert.ok(first && second);
    assert.equal(first.headers.get('Authorization'), undefined);
    const credentials = parseAuthorization(second.headers.get('Authorization') ?? '');
    assert.deepEqual(
      [credentials.qop, credentials.nc, credentials.realm],
      ['auth', '00000001', DOMAIN],
    );
    assert.equal(verifyDigest(credentials, 'REGISTER', PASSWORD), true);

    const via = parseVia(second.headers.get('Via') ?? '');
    assert.equal(via.rport, true);
    assert.match(via.branch ?? '', /^z9hG4bK/);
    assert.notEqual(via.branch, parseVia(first.headers.get('Via') ?? '').branch);
    assert.equal(second.headers.get('Call-ID'), first.headers.get('Call-ID'));
    assert.equal(
      parseNameAddr(second.headers.get('From') ?? '').tag,
      parseNameAddr(first.headers.get('From') ?? '').tag,
    );
    assert.ok(
      parseCSeq(second.headers.get('CSeq') ?? '').seq >
        parseCSeq(first.headers.get('CSeq') ?? '').seq,
    );
  });

  it('simulator sends a Keepalive MESSAGE every heartbeat', async () => {
    const keepalives = await waitFor('two keepalives', () => {
      const found = platform
        .received('MESSAGE')
        .map((m) => parseManscdp(m.body))
        .filter((m) => m.cmdType === 'Keepalive');
      return found.length >= 2 && found;
    });
    assert.equal(keepalives[0]?.root, 'Notify');
    assert.equal(keepalives[0]?.deviceId, DEVICE_ID);
    assert.ok((keepalives[1]?.sn ?? 0) > (keepalives[0]?.sn ?? 0));
    await waitFor('keepalive event', () =>
      sim.events.find((e) => e.event === 'keepalive' && e.status === 200),
    );
  });

  it('simulator answers a Catalog query with 200 OK and channels at most 4 a message', async () => {
    const query = platform.request('MESSAGE', DEVICE_ID, {
      body: buildQuery('Catalog', 77, DEVICE_ID),
      contentType: 'Application/MANSCDP+xml',
    });
    platform.send(query);
    await waitFor(
      '200 to the query',
      () => platform.responsesTo(query.headers.get('Call-ID') ?? '', 'MESSAGE')[0],
    );

    const pages = await waitFor('catalog pages', () => {
      const found: CatalogResponse[] = platform
        .received('MESSAGE')
        .map((m) => parseManscdp(m.body))
        .filter((m) => m.cmdType === 'Catalog' && m.sn === 77)
        .map(readCatalogResponse);
      return mergeCatalogPages(found).complete && found;
    });
    assert.deepEqual(
      pages.map((p) => [p.sumNum, p.items.length]),
      [
        [6, 4],
        [6, 2],
      ],
    );
    const items = mergeCatalogPages(pages).items;
    assert.deepEqual(
      items.map((i) => i.deviceId),
      channels,
    );
    assert.deepEqual(
      items.map((i) => i.name),
      ['通道1', '通道2', '通道3', '通道4', '通道5', '通道6'],
    );
    assert.ok(channels.every((id, i) => id.slice(10, 13) === (i % 2 === 0 ? '131' : '132')));
    await waitFor('catalog_sent', () =>
      sim.events.find((e) => e.event === 'catalog_sent' && e.messages === 2),
    );
  });

  async function invite(channelId: string, ssrc: string) {
    const receiver = await rtpReceiver();
    receivers.push(receiver.socket);
    return { receiver, ...(await call(channelId, ssrc, offer(receiver.port, ssrc))) };
  }

  /** INVITE with `sdp`, then ACK the 200. */
  async function call(channelId: string, ssrc: string, sdp: Uint8Array) {
    const callId = hex();
    const req = platform.request('INVITE', channelId, {
      callId,
      headers: [
        ['Contact', `<sip:${SERVER_ID}@127.0.0.1:${platform.port}>`],
        ['Subject', `${channelId}:${ssrc},${SERVER_ID}:0`],
      ],
      body: sdp,
      contentType: 'application/sdp',
    });
    platform.send(req);
    const ok = await waitFor('200 to INVITE', () =>
      platform.responsesTo(callId, 'INVITE').find((r) => r.status === 200),
    );
    const toTag = parseNameAddr(ok.headers.get('To') ?? '').tag;
    platform.send(
      platform.request('ACK', channelId, { callId, ...(toTag !== undefined && { toTag }) }),
    );
    return { callId, ok, toTag };
  }

  function bye(channelId: string, callId: string, toTag: string | undefined): void {
    const request = platform.request('BYE', channelId, {
      callId,
      cseq: 2,
      ...(toTag !== undefined && { toTag }),
    });
    platform.send(request);
  }

  it('simulator answers an INVITE, streams PS over RTP with the offered SSRC, to BYE', async () => {
    const channelId = channels[0] ?? '';
    const { receiver, callId, ok, toTag } = await invite(channelId, '0200000001');
    assert.ok(platform.responsesTo(callId, 'INVITE').some((r) => r.status === 100));
    const answer = parseSdp(new TextDecoder().decode(ok.body));
    assert.equal(answer.ssrc, '0200000001');
    assert.equal(answer.media[0]?.direction, 'sendonly');
    assert.ok(answer.format !== undefined && answer.format !== '');

    await waitFor('RTP packets', () => receiver.packets.length >= 30, 5000);
    const packets = receiver.packets.slice();
    assert.ok(packets.every((p) => p.ssrc === 200000001 && p.payloadType === 96));
    assert.deepEqual([...(packets[0]?.payload.subarray(0, 4) ?? [])], [0, 0, 1, 0xba]);
    for (let i = 1; i < packets.length; i++) {
      const [previous, current] = [packets[i - 1], packets[i]];
      assert.equal(current?.sequenceNumber, ((previous?.sequenceNumber ?? 0) + 1) & 0xffff);
      assert.ok((current?.timestamp ?? 0) >= (previous?.timestamp ?? 0));
    }
    await waitFor('stream_started', () =>
      sim.events.find((e) => e.event === 'stream_started' && e.callId === callId),
    );

    const bye = platform.request('BYE', channelId, {
      callId,
      cseq: 2,
      ...(toTag !== undefined && { toTag }),
    });
    platform.send(bye);
    await waitFor('200 to BYE', () =>
      platform.responsesTo(callId, 'BYE').find((r) => r.status === 200),
    );
    await waitFor('stream_stopped', () =>
      sim.events.find((e) => e.event === 'stream_stopped' && e.callId === callId),
    );
    await sleep(100);
    const count = receiver.packets.length;
    await sleep(400);
    assert.equal(receiver.packets.length, count);
  });

  it('simulator serves concurrent INVITEs for different channels with own SSRCs', async () => {
    const calls = await Promise.all([
      invite(channels[1] ?? '', '0200000002'),
      invite(channels[2] ?? '', '0200000003'),
    ]);
    for (const [i, { receiver }] of calls.entries()) {
      await waitFor(`RTP of call ${i}`, () => receiver.packets.length >= 10);
      assert.ok(receiver.packets.every((p) => p.ssrc === 200000002 + i));
    }
    for (const [i, { callId, toTag }] of calls.entries()) {
      platform.send(
        platform.request('BYE', channels[i + 1] ?? '', {
          callId,
          cseq: 2,
          ...(toTag !== undefined && { toTag }),
        }),
      );
    }
    await waitFor(
      'both streams stopped',
      () => sim.events.filter((e) => e.event === 'stream_stopped').length === 3,
    );
  });

  it('simulator connects to a passive platform (a=setup:passive), RFC 4571 framing', async () => {
    const channelId = channels[3] ?? '';
    const listener = await tcpRtpListener();
    const tcp = { protocol: 'TCP/RTP/AVP', setup: 'passive', connection: 'new' } as const;
    const { callId, ok, toTag } = await call(
      channelId,
      '0200000004',
      offer(listener.port, '0200000004', tcp),
    );
    const media = parseSdp(new TextDecoder().decode(ok.body)).media[0];
    assert.deepEqual(
      [media?.protocol, media?.setup, media?.connection],
      ['TCP/RTP/AVP', 'active', 'new'],
    );

    await waitFor('RTP over TCP', () => listener.packets.length >= 30, 5000);
    assert.ok(listener.packets.every((p) => p.ssrc === 200000004 && p.payloadType === 96));
    assert.deepEqual([...(listener.packets[0]?.payload.subarray(0, 4) ?? [])], [0, 0, 1, 0xba]);
    const started = await waitFor('stream_started', () =>
      sim.events.find((e) => e.event === 'stream_started' && e.callId === callId),
    );
    assert.equal(started['transport'], 'tcp-active');
    bye(channelId, callId, toTag);
    await waitFor('stream_stopped', () =>
      sim.events.find((e) => e.event === 'stream_stopped' && e.callId === callId),
    );
    listener.server.close();
  });

  it('simulator listens for an active platform and answers a=setup:passive', async () => {
    const channelId = channels[4] ?? '';
    const tcp = { protocol: 'TCP/RTP/AVP', setup: 'active', connection: 'new' } as const;
    const { callId, ok, toTag } = await call(channelId, '0200000005', offer(9, '0200000005', tcp));
    const answer = parseSdp(new TextDecoder().decode(ok.body));
    const media = answer.media[0];
    assert.deepEqual([media?.protocol, media?.setup], ['TCP/RTP/AVP', 'passive']);

    const packets: RtpPacket[] = [];
    const socket = connect({ host: answer.connection, port: media?.port ?? 0 });
    readFramedRtp(socket, packets);
    await waitFor('RTP over TCP', () => packets.length >= 30, 5000);
    assert.ok(packets.every((p) => p.ssrc === 200000005));
    const started = await waitFor('stream_started', () =>
      sim.events.find((e) => e.event === 'stream_started' && e.callId === callId),
    );
    assert.equal(started['transport'], 'tcp-passive');

    // The platform closing the connection stops the stream; BYE still ends the call.
    socket.destroy();
    await waitFor('media_closed', () =>
      sim.events.find((e) => e.event === 'media_closed' && e.callId === callId),
    );
    bye(channelId, callId, toTag);
    await waitFor('200 to BYE', () =>
      platform.responsesTo(callId, 'BYE').find((r) => r.status === 200),
    );
  });

  it('simulator unregisters with Expires: 0 on SIGTERM and exits with status 0', async () => {
    sim.child.kill('SIGTERM');
    assert.equal(await sim.exit, 0);
    const last = platform.received('REGISTER').at(-1);
    assert.equal(last?.headers.get('Expires'), '0');
    assert.ok(sim.events.some((e) => e.event === 'unregistered' && e.status === 200));
  });
});

describe('simulator device refused by a platform', () => {
  const platforms: FakePlatform[] = [];
  const sims: Simulator[] = [];

  after(() => {
    for (const sim of sims) if (sim.child.exitCode === null) sim.child.kill('SIGKILL');
    for (const platform of platforms) platform.close();
  });

  async function refusedRun(mode: 'accept' | 'forbid', password: string): Promise<Simulator> {
    const platform = new FakePlatform(mode);
    platforms.push(platform);
    const sim = spawnSimulator(await platform.start(), ['--password', password]);
    sims.push(sim);
    return sim;
  }

  it('simulator exits with a non-zero status after a 403 to REGISTER', async () => {
    const sim = await refusedRun('forbid', PASSWORD);
    assert.notEqual(await sim.exit, 0);
    assert.ok(sim.events.some((e) => e.event === 'register_failed' && e.status === 403));
  });

  it('simulator exits with a non-zero status when its password is refused with 401', async () => {
    const sim = await refusedRun('accept', 'wrong-password');
    assert.notEqual(await sim.exit, 0);
    assert.ok(sim.events.some((e) => e.event === 'register_failed' && e.status === 401));
  });
});
