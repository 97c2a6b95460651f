/**
 * A hand-driven SIP peer for tests that play a device badly: sends raw bytes or crafted
 * messages to the media node over UDP or TCP on the loopback, keeps what comes back, answers
 * the platform's requests with 200, and registers with digest the way a device does.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';

import {
  computeDigestResponse,
  formatAuthorization,
  parseChallenge,
} from '../../media-node/formats/sip-digest.ts';
import { SipStreamFramer, isSipKeepalive } from '../../media-node/formats/sip-framer.ts';
import {
  SipHeaders,
  buildResponse,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../media-node/formats/sip-message.ts';

export const SIP_DOMAIN = '3402000000';
export const SIP_SERVER_ID = '34020000002000000001';

export interface CraftSpec {
  readonly method: string;
  readonly deviceId: string;
  readonly uri?: string;
  readonly callId?: string;
  readonly cseq?: number;
  readonly headers?: [string, string][];
  readonly body?: Uint8Array;
  readonly contentType?: string;
}

export class RawSipPeer {
  readonly transport: 'UDP' | 'TCP';
  /** Every message received and parsed, in order. */
  readonly received: SipMessage[] = [];
  /**
   * Every response received, parsed or not, by status line and top Via branch: the answer to
   * a request that could not be parsed copies its broken headers and may not parse either.
   */
  readonly statuses: { status: number; branch: string | undefined }[] = [];
  readonly #udp: UdpSocket | undefined;
  readonly #tcp: TcpSocket | undefined;
  readonly #sipPort: number;
  readonly #waiters = new Set<() => void>();
  readonly #closed: Promise<void>;
  #cseq = 1;

  private constructor(sipPort: number, udp?: UdpSocket, tcp?: TcpSocket) {
    this.transport = udp === undefined ? 'TCP' : 'UDP';
    this.#sipPort = sipPort;
    this.#udp = udp;
    this.#tcp = tcp;
    if (udp !== undefined) {
      udp.on('message', (bytes) => this.#take(new Uint8Array(bytes)));
      this.#closed = new Promise((resolve) => udp.once('close', resolve));
    } else {
      const framer = new SipStreamFramer();
      tcp?.on('data', (chunk) => {
        for (const bytes of framer.push(new Uint8Array(chunk))) this.#take(bytes);
      });
      tcp?.on('error', () => {});
      this.#closed = new Promise((resolve) => tcp?.once('close', () => resolve()));
    }
    void this.#closed.then(() => this.#wake());
  }

  /** A peer on its own socket or connection to the media node's SIP port. */
  static async open(transport: 'UDP' | 'TCP', sipPort: number): Promise<RawSipPeer> {
    if (transport === 'UDP') {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      return new RawSipPeer(sipPort, udp);
    }
    const tcp = connect({ host: '127.0.0.1', port: sipPort });
    await new Promise<void>((resolve, reject) => {
      tcp.once('connect', resolve);
      tcp.once('error', reject);
    });
    return new RawSipPeer(sipPort, undefined, tcp);
  }

  get localPort(): number {
    return this.#udp?.address().port ?? this.#tcp?.localPort ?? 0;
  }

  /** True once the connection is closed (TCP), by either side. */
  get closed(): boolean {
    return this.#tcp?.destroyed ?? false;
  }

  /** Resolves when the TCP connection closes (the server dropped it), or after `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    await Promise.race([this.#closed, timeout]);
    return this.closed;
  }

  sendBytes(bytes: Uint8Array | string): void {
    const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    if (this.#udp !== undefined) this.#udp.send(data, this.#sipPort, '127.0.0.1');
    else this.#tcp?.write(data);
  }

  send(message: SipMessage): void {
    this.sendBytes(serializeSipMessage(message));
  }

  /** A request as this peer's device would write it, with a fresh branch. */
  craft(spec: CraftSpec): SipRequest {
    const headers = new SipHeaders([
      [
        'Via',
        `SIP/2.0/${this.transport} 127.0.0.1:${this.localPort};rport;branch=z9hG4bK${hex(8)}`,
      ],
      ['From', `<sip:${spec.deviceId}@${SIP_DOMAIN}>;tag=${hex(4)}`],
      ['To', `<sip:${SIP_SERVER_ID}@${SIP_DOMAIN}>`],
      ['Call-ID', spec.callId ?? hex(8)],
      ['CSeq', `${spec.cseq ?? this.#cseq++} ${spec.method}`],
      ['Max-Forwards', '70'],
      ...(spec.headers ?? []),
    ]);
    if (spec.contentType !== undefined) headers.set('Content-Type', spec.contentType);
    return {
      kind: 'request',
      method: spec.method,
      uri: spec.uri ?? `sip:${SIP_SERVER_ID}@127.0.0.1:${this.#sipPort}`,
      headers,
      body: spec.body ?? new Uint8Array(),
    };
  }

  /** Waits for the first message received (from `from` on) that matches. */
  async waitFor(
    predicate: (message: SipMessage) => boolean,
    timeoutMs = 3000,
    what = 'a matching message',
    from = 0,
  ): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() >= deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(100, deadline - Date.now()));
        const waiters = this.#waiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Sends a request and waits for its final response (same Call-ID and CSeq). */
  async request(request: SipRequest, timeoutMs = 3000): Promise<SipResponse> {
    const from = this.received.length;
    this.send(request);
    return this.finalResponseTo(request, timeoutMs, from);
  }

  /** The final response to `request` (same top Via branch) received from index `from` on. */
  async finalResponseTo(request: SipRequest, timeoutMs = 3000, from = 0): Promise<SipResponse> {
    const branch = branchOf(request);
    const response = await this.waitFor(
      (m) => m.kind === 'response' && m.status >= 200 && branchOf(m) === branch,
      timeoutMs,
      `the response to ${request.method} ${request.headers.get('Call-ID') ?? ''}`,
      from,
    );
    return response as SipResponse;
  }

  /**
   * The status of the final response to `request`, matched by its top Via branch, whether
   * or not the response parses.
   */
  async statusOf(request: SipRequest, timeoutMs = 3000): Promise<number> {
    const branch = branchOf(request);
    return this.waitForStatus((s) => s.branch === branch, timeoutMs);
  }

  /** The first final status received that matches. */
  async waitForStatus(
    predicate: (status: { status: number; branch: string | undefined }) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.statuses.find((s) => s.status >= 200 && predicate(s));
      if (found !== undefined) return found.status;
      if (Date.now() >= deadline) throw new Error('Timed out waiting for a final response');
      await this.waitFor(() => false, Math.min(100, deadline - Date.now())).catch(() => {});
    }
  }

  /**
   * Registers `deviceId` with digest (GB/T 28181-2016 §9.1.2.1) and returns the 200 OK.
   * @throws Error where the platform answers otherwise
   */
  async register(deviceId: string, password: string, expires = 3600): Promise<SipResponse> {
    const callId = hex(8);
    const contact: [string, string] = ['Contact', `<sip:${deviceId}@127.0.0.1:${this.localPort}>`];
    const first = this.craft({
      method: 'REGISTER',
      deviceId,
      callId,
      headers: [contact, ['Expires', String(expires)]],
    });
    const challenge = await this.request(first);
    if (challenge.status !== 401) throw new Error(`REGISTER answered ${challenge.status}`);

    const digest = parseChallenge(challenge.headers.get('WWW-Authenticate') ?? '');
    const fields = {
      username: deviceId,
      realm: digest.realm,
      nonce: digest.nonce,
      uri: first.uri,
      algorithm: 'MD5',
    };
    const response = computeDigestResponse(fields, 'REGISTER', password);
    const second = this.craft({
      method: 'REGISTER',
      deviceId,
      callId,
      headers: [
        contact,
        ['Authorization', formatAuthorization({ ...fields, response })],
        ['Expires', String(expires)],
      ],
    });
    const ok = await this.request(second);
    if (ok.status !== 200) throw new Error(`REGISTER with credentials answered ${ok.status}`);
    return ok;
  }

  async close(): Promise<void> {
    if (this.#udp !== undefined) {
      await new Promise<void>((resolve) => this.#udp?.close(() => resolve()));
    } else if (this.#tcp !== undefined && !this.#tcp.destroyed) {
      this.#tcp.end();
      await this.waitClosed(2000);
      this.#tcp.destroy();
    }
  }

  #take(bytes: Uint8Array): void {
    if (isSipKeepalive(bytes)) return;
    const text = Buffer.from(bytes).toString('latin1');
    const statusLine = /^SIP\/2\.0 (\d{3}) /.exec(text);
    if (statusLine !== null) {
      const branch = /^Via:.*?;branch=([^;,\s]+)/im.exec(text)?.[1];
      this.statuses.push({ status: Number(statusLine[1]), branch });
      this.#wake();
    }
    let message: SipMessage;
    try {
      message = parseSipMessage(bytes);
    } catch {
      return; // Counted in `statuses` where it is a response.
    }
    this.received.push(message);
    // The platform's queries (Catalog after REGISTER) are acknowledged and not answered.
    if (message.kind === 'request' && message.method !== 'ACK') {
      this.send(buildResponse(message, 200, 'OK', { toTag: hex(4) }));
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}

function branchOf(message: SipMessage): string | undefined {
  try {
    return parseVia(message.headers.get('Via') ?? '').branch;
  } catch {
    return undefined;
  }
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
