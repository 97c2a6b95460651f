/**
 * Requests the platform sends to devices, and their client transactions (RFC 3261 §17.1):
 * retransmitted over UDP with timers A/E doubling from T1 up to T2, ended by a final response
 * or timer B/F (64·T1). Responses match by the top Via branch and the CSeq method.
 */
import { ArgusError, errorCodes } from '../../src/errors.ts';
import {
  parseCSeq,
  parseVia,
  SipHeaders,
  type SipRequest,
  type SipResponse,
} from '../formats/sip-message.ts';
import type { SipPeer, SipTransport } from './sip-transport.ts';

export const T1_MS = 500;
const T2_MS = 4000;

export interface RequestSpec {
  readonly method: string;
  readonly uri: string;
  readonly from: string;
  readonly to: string;
  readonly callId?: string;
  readonly cseq: number;
  readonly headers?: readonly [string, string][];
  readonly body?: Uint8Array;
  readonly contentType?: string;
  /** An ACK for a non-2xx response reuses the INVITE's branch. */
  readonly branch?: string;
}

export interface SipClientOptions {
  readonly transport: SipTransport;
  /** The address and port written into Via and Contact for a peer. */
  readonly localAddressFor: (peer: SipPeer) => { host: string; port: number };
  readonly t1Ms?: number;
}

interface Pending {
  readonly method: string;
  readonly resolve: (response: SipResponse) => void;
  readonly reject: (error: Error) => void;
  readonly onProvisional?: (response: SipResponse) => void;
  retransmit?: ReturnType<typeof setTimeout>;
  timeout: ReturnType<typeof setTimeout>;
}

export class SipClient {
  readonly #options: SipClientOptions;
  readonly #pending = new Map<string, Pending>();

  constructor(options: SipClientOptions) {
    this.#options = options;
  }

  /** Builds a request with Via (rport), Max-Forwards, From, To, Call-ID, CSeq and a body. */
  build(peer: SipPeer, spec: RequestSpec): SipRequest {
    const local = this.#options.localAddressFor(peer);
    const branch = spec.branch ?? `z9hG4bK${crypto.randomUUID().replaceAll('-', '')}`;
    const headers = new SipHeaders([
      ['Via', `SIP/2.0/${peer.transport} ${local.host}:${local.port};rport;branch=${branch}`],
      ['Max-Forwards', '70'],
      ['From', spec.from],
      ['To', spec.to],
      ['Call-ID', spec.callId ?? crypto.randomUUID()],
      ['CSeq', `${spec.cseq} ${spec.method}`],
      ...(spec.headers ?? []),
    ]);
    if (spec.contentType !== undefined) headers.set('Content-Type', spec.contentType);
    return {
      kind: 'request',
      method: spec.method,
      uri: spec.uri,
      headers,
      body: spec.body ?? new Uint8Array(),
    };
  }

  /** Sends a request that expects no response (ACK). */
  sendOnly(peer: SipPeer, request: SipRequest): void {
    this.#send(peer, request);
  }

  /**
   * Sends a request and resolves with its final response (any status).
   * @throws ArgusError UNAVAILABLE on timeout or where a TCP peer has no connection
   */
  request(
    peer: SipPeer,
    request: SipRequest,
    options: { onProvisional?: (response: SipResponse) => void } = {},
  ): Promise<SipResponse> {
    const key = transactionKey(request.headers.get('Via') ?? '', request.method);
    const t1 = this.#options.t1Ms ?? T1_MS;

    return new Promise((resolve, reject) => {
      const fail = (reason: string) => {
        this.#finish(key);
        reject(new ArgusError(errorCodes.UNAVAILABLE, `Cannot send ${request.method}: ${reason}`));
      };
      const pending: Pending = {
        method: request.method,
        resolve,
        reject,
        timeout: setTimeout(() => fail(`no answer in ${(64 * t1) / 1000} s`), 64 * t1),
        ...(options.onProvisional ? { onProvisional: options.onProvisional } : {}),
      };
      this.#pending.set(key, pending);
      if (!this.#send(peer, request)) return fail('the device has no open connection');
      if (peer.transport === 'UDP') this.#scheduleRetransmit(key, peer, request, t1);
    });
  }

  /** Feeds a response from the transport. Returns false where no transaction matches. */
  handleResponse(response: SipResponse): boolean {
    const cseq = parseCSeq(response.headers.get('CSeq') ?? '');
    const key = transactionKey(response.headers.get('Via') ?? '', cseq.method);
    const pending = this.#pending.get(key);
    if (pending === undefined) return false;

    if (response.status < 200) {
      // A provisional response to an INVITE stops retransmission (§17.1.1.2).
      if (pending.method === 'INVITE') clearTimeout(pending.retransmit);
      pending.onProvisional?.(response);
      return true;
    }
    this.#finish(key);
    pending.resolve(response);
    return true;
  }

  /** Ends every transaction (shutdown). */
  close(): void {
    for (const [key, pending] of this.#pending) {
      this.#finish(key);
      pending.reject(
        new ArgusError(errorCodes.UNAVAILABLE, 'Cannot finish request: shutting down'),
      );
    }
  }

  #send(peer: SipPeer, request: SipRequest): boolean {
    return this.#options.transport.send(peer, request);
  }

  #scheduleRetransmit(key: string, peer: SipPeer, request: SipRequest, interval: number): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    pending.retransmit = setTimeout(() => {
      if (!this.#pending.has(key)) return;
      this.#send(peer, request);
      const next = request.method === 'INVITE' ? interval * 2 : Math.min(interval * 2, T2_MS);
      this.#scheduleRetransmit(key, peer, request, next);
    }, interval);
  }

  #finish(key: string): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    clearTimeout(pending.retransmit);
    clearTimeout(pending.timeout);
    this.#pending.delete(key);
  }
}

function transactionKey(topVia: string, method: string): string {
  const branch = topVia === '' ? '' : (parseVia(topVia).branch ?? '');
  return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
}
