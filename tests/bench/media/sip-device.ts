/**
 * One benchmark camera's SIP side over UDP (GB/T 28181-2016 §9): REGISTER with the Digest
 * answer, keepalives, the Catalog answer with one channel, INVITE → 200 OK with a PS/UDP
 * answer → ACK starts the stream, BYE stops it. Only what the benchmark needs: the full
 * device model lives in simulator/.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

import { withGbIdTypeAndSerial } from '../../../media-node/formats/gb-id.ts';
import {
  buildCatalogResponse,
  buildKeepalive,
  parseManscdp,
} from '../../../media-node/formats/manscdp.ts';
import { buildSdp, formatGbSsrc, parseGbSsrc, parseSdp } from '../../../media-node/formats/sdp.ts';
import {
  computeDigestResponse,
  formatAuthorization,
  parseChallenge,
} from '../../../media-node/formats/sip-digest.ts';
import {
  SipHeaders,
  buildResponse,
  formatVia,
  parseSipMessage,
  serializeSipMessage,
  type SipRequest,
  type SipResponse,
} from '../../../media-node/formats/sip-message.ts';

/** Where and how the platform wants the channel's RTP. */
export interface MediaTarget {
  readonly address: string;
  readonly port: number;
  readonly ssrc: number;
  readonly payloadType: number;
}

export interface DeviceHandlers {
  /** ACK of an INVITE: start sending on `socket` (bound before the answer). */
  onPlay(callId: string, target: MediaTarget, socket: Socket): void;
  onStop(callId: string): void;
}

const RETRANSMIT_MS = 500;
const MAX_SENDS = 7;
const KEEPALIVE_MS = 20_000;
const SERVER_ID = '34020000002000000001';
const DOMAIN = '3402000000';

/** Device and channel IDs of the camera numbered `serial` (1 and up). */
export function benchIds(serial: number): { deviceId: string; channelId: string } {
  return {
    deviceId: withGbIdTypeAndSerial('34020000001320000000', 132, serial),
    channelId: withGbIdTypeAndSerial('34020000001310000000', 131, serial),
  };
}

export class BenchDevice {
  readonly deviceId: string;
  readonly channelId: string;
  readonly #socket = createSocket('udp4');
  readonly #pending = new Map<string, (response: SipResponse) => void>();
  readonly #media = new Map<string, Socket>();
  #cseq = 0;
  #keepalive: ReturnType<typeof setInterval> | undefined;

  constructor(
    serial: number,
    private readonly server: { host: string; port: number },
    private readonly password: string,
    private readonly handlers: DeviceHandlers,
  ) {
    ({ deviceId: this.deviceId, channelId: this.channelId } = benchIds(serial));
  }

  /** Binds, registers (answering the 401 challenge) and starts keepalives. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.bind(0, '127.0.0.1', resolve));
    this.#socket.on('message', (bytes) => this.#receive(bytes));
    const challenge = await this.#request(this.#register());
    if (challenge.status !== 401) throw new Error(`Cannot register: ${challenge.status}`);
    const digest = parseChallenge(challenge.headers.get('WWW-Authenticate') ?? '');
    const uri = this.#serverUri();
    const fields = {
      username: this.deviceId,
      realm: digest.realm,
      nonce: digest.nonce,
      uri,
      ...(digest.qop?.includes('auth') && {
        qop: 'auth',
        nc: '00000001',
        cnonce: randomBytes(8).toString('hex'),
      }),
    };
    const response = computeDigestResponse(fields, 'REGISTER', this.password);
    const ok = await this.#request(
      this.#register(['Authorization', formatAuthorization({ ...fields, response })]),
    );
    if (ok.status !== 200) throw new Error(`Cannot register: refused: ${ok.status}`);
    this.#keepalive = setInterval(() => void this.#sendKeepalive(), KEEPALIVE_MS);
    await this.#sendKeepalive();
  }

  stop(): void {
    clearInterval(this.#keepalive);
    for (const socket of this.#media.values()) socket.close();
    this.#socket.close();
  }

  #serverUri(): string {
    return `sip:${SERVER_ID}@${this.server.host}:${this.server.port}`;
  }

  #register(auth?: [string, string]): SipRequest {
    const callId = `reg-${this.deviceId}`;
    const headers: [string, string][] = [['Expires', '3600'], ...(auth ? [auth] : [])];
    return this.#build('REGISTER', callId, headers);
  }

  #build(method: string, callId: string, extra: [string, string][], body?: Uint8Array) {
    const { port } = this.#socket.address();
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const via = formatVia({
      transport: 'UDP',
      host: '127.0.0.1',
      port,
      rport: true,
      branch,
      params: {},
    });
    const headers = new SipHeaders([
      ['Via', via],
      ['From', `<sip:${this.deviceId}@${DOMAIN}>;tag=${randomInt(1, 2 ** 31)}`],
      ['To', `<sip:${method === 'REGISTER' ? this.deviceId : SERVER_ID}@${DOMAIN}>`],
      ['Call-ID', callId],
      ['CSeq', `${++this.#cseq} ${method}`],
      ['Max-Forwards', '70'],
      ['Contact', `<sip:${this.deviceId}@127.0.0.1:${port}>`],
      ...extra,
    ]);
    const request: SipRequest = {
      kind: 'request',
      method,
      uri: this.#serverUri(),
      headers,
      body: body ?? new Uint8Array(),
    };
    return request;
  }

  /** Sends until a final response, resending on UDP as RFC 3261 §17.1.2 asks (bounded). */
  #request(request: SipRequest): Promise<SipResponse> {
    const key = `${request.headers.get('Call-ID')} ${request.headers.get('CSeq')}`;
    const bytes = serializeSipMessage(request);
    return new Promise((resolve, reject) => {
      let sends = 0;
      const send = () => {
        if (sends++ >= MAX_SENDS) {
          this.#pending.delete(key);
          reject(new Error(`No answer to ${request.method} from the platform`));
          return;
        }
        this.#send(bytes);
        timer = setTimeout(send, RETRANSMIT_MS);
      };
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.#pending.set(key, (response) => {
        clearTimeout(timer);
        this.#pending.delete(key);
        resolve(response);
      });
      send();
    });
  }

  #send(bytes: Uint8Array): void {
    this.#socket.send(bytes, this.server.port, this.server.host);
  }

  async #sendKeepalive(): Promise<void> {
    const body = buildKeepalive(randomInt(1, 2 ** 30), this.deviceId);
    await this.#message(body).catch(() => undefined);
  }

  #message(body: Uint8Array): Promise<SipResponse> {
    const request = this.#build('MESSAGE', randomBytes(8).toString('hex'), [], body);
    request.headers.set('Content-Type', 'Application/MANSCDP+xml');
    return this.#request(request);
  }

  #receive(bytes: Uint8Array): void {
    let message;
    try {
      message = parseSipMessage(bytes);
    } catch {
      return;
    }
    if (message.kind === 'response') {
      if (message.status < 200) return;
      const key = `${message.headers.get('Call-ID')} ${message.headers.get('CSeq')}`;
      this.#pending.get(key)?.(message);
      return;
    }
    void this.#onRequest(message);
  }

  async #onRequest(request: SipRequest): Promise<void> {
    const callId = request.headers.get('Call-ID') ?? '';
    if (request.method === 'INVITE') return this.#onInvite(request, callId);
    if (request.method === 'ACK') return this.#onAck(callId);
    this.#reply(request, 200, 'OK');
    if (request.method === 'BYE') this.#onBye(callId);
    if (request.method === 'MESSAGE') await this.#onQuery(request);
  }

  async #onQuery(request: SipRequest): Promise<void> {
    const query = parseManscdp(request.body);
    if (query.root !== 'Query' || query.cmdType !== 'Catalog') return;
    const item = { deviceId: this.channelId, name: 'Bench', parentId: this.deviceId, status: 'ON' };
    const body = buildCatalogResponse({
      deviceId: this.deviceId,
      sn: query.sn,
      sumNum: 1,
      items: [item],
    });
    await this.#message(body).catch(() => undefined);
  }

  readonly #offers = new Map<string, { target: MediaTarget; ok: Uint8Array; acked: boolean }>();

  async #onInvite(request: SipRequest, callId: string): Promise<void> {
    const known = this.#offers.get(callId);
    if (known !== undefined) {
      this.#send(known.ok); // a resent INVITE: the same answer
      return;
    }
    const offer = parseSdp(new TextDecoder().decode(request.body));
    const video = offer.media.find((m) => m.type === 'video');
    const ps = video?.payloads.find((p) => p.encoding.toUpperCase() === 'PS');
    if (video === undefined || ps === undefined || video.protocol.toUpperCase() !== 'RTP/AVP') {
      this.#reply(request, 488, 'Not Acceptable Here');
      return;
    }
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('error', () => {});
    this.#media.set(callId, socket);
    const ssrc = parseGbSsrc(offer.ssrc ?? '0000000001');
    const address = video.address ?? offer.connection;
    const target = { address, port: video.port, ssrc, payloadType: ps.pt };
    const answer = buildSdp({
      origin: { username: this.channelId, address: '127.0.0.1' },
      sessionName: 'Play',
      connection: '127.0.0.1',
      time: [0, 0],
      media: [
        {
          type: 'video',
          port: socket.address().port,
          protocol: 'RTP/AVP',
          payloads: [{ pt: ps.pt, encoding: 'PS', clock: 90000 }],
          direction: 'sendonly',
        },
      ],
      ssrc: formatGbSsrc(ssrc),
    });
    const ok = this.#reply(request, 200, 'OK', new TextEncoder().encode(answer));
    this.#offers.set(callId, { target, ok, acked: false });
  }

  #onAck(callId: string): void {
    const offer = this.#offers.get(callId);
    const socket = this.#media.get(callId);
    if (offer === undefined || socket === undefined || offer.acked) return;
    offer.acked = true;
    this.handlers.onPlay(callId, offer.target, socket);
  }

  #onBye(callId: string): void {
    this.handlers.onStop(callId);
    this.#offers.delete(callId);
    this.#media.get(callId)?.close();
    this.#media.delete(callId);
  }

  #reply(request: SipRequest, status: number, reason: string, sdp?: Uint8Array): Uint8Array {
    const response = buildResponse(request, status, reason, {
      toTag: String(randomInt(1, 2 ** 31)),
      headers: [['Contact', `<sip:${this.deviceId}@127.0.0.1:${this.#socket.address().port}>`]],
      ...(sdp === undefined ? {} : { body: sdp, contentType: 'application/sdp' }),
    });
    const bytes = serializeSipMessage(response);
    this.#send(bytes);
    return bytes;
  }
}
