/**
 * The SIP user agent core of the simulated camera: builds its requests the way GB/T 28181
 * devices do (Via with rport and a z9hG4bK branch, From tag, Call-ID, increasing CSeq),
 * sends them through client transactions, and answers requests once per transaction.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  SipHeaders,
  buildResponse,
  formatVia,
  parseNameAddr,
} from '../media-node/formats/sip-message.ts';
import type {
  ResponseOptions,
  SipRequest,
  SipResponse,
} from '../media-node/formats/sip-message.ts';
import type { Clock } from './clock.ts';
import type { SimulatorConfig } from './config.ts';
import { ClientTransactions, ServerResponses } from './sip-transactions.ts';
import type { SipTransport } from './sip-transport.ts';

export const USER_AGENT = 'Argus-Simulator/0.1';

/** A tag as devices write them: decimal digits. */
export function newTag(): string {
  return String(randomInt(1, 2 ** 31));
}

export function newCallId(): string {
  return randomBytes(8).toString('hex');
}

function newBranch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

export interface RequestSpec {
  method: string;
  /** Request-URI; the server's URI by default. */
  uri?: string;
  /** The To name-addr; the server's by default. */
  to?: string;
  callId: string;
  fromTag: string;
  cseq: number;
  headers?: [string, string][];
  body?: Uint8Array;
  contentType?: string;
}

export class UserAgent {
  readonly #transactions: ClientTransactions;
  readonly #served = new ServerResponses();

  constructor(
    readonly config: SimulatorConfig,
    readonly transport: SipTransport,
    clock: Clock,
  ) {
    this.#transactions = new ClientTransactions(transport, clock);
  }

  /** The device's address of record: `sip:<device id>@<domain>`. */
  get localUri(): string {
    return `sip:${this.config.deviceId}@${this.config.domain}`;
  }

  /** The platform's URI, as the Request-URI of REGISTER and MESSAGE. */
  get serverUri(): string {
    const { host, port } = this.config.server;
    return `sip:${this.config.serverId}@${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  get contact(): string {
    const { localAddress, localPort } = this.transport;
    return `<sip:${this.config.deviceId}@${localAddress}:${localPort}>`;
  }

  buildRequest(spec: RequestSpec): SipRequest {
    const via = formatVia({
      transport: this.transport.protocol,
      host: this.transport.localAddress,
      port: this.transport.localPort,
      rport: true,
      branch: newBranch(),
      params: {},
    });
    const headers = new SipHeaders([
      ['Via', via],
      ['From', `<${this.localUri}>;tag=${spec.fromTag}`],
      ['To', spec.to ?? `<sip:${this.config.serverId}@${this.config.domain}>`],
      ['Call-ID', spec.callId],
      ['CSeq', `${spec.cseq} ${spec.method}`],
      ['Max-Forwards', '70'],
      ['User-Agent', USER_AGENT],
      ...(spec.headers ?? []),
    ]);
    if (spec.contentType !== undefined) headers.set('Content-Type', spec.contentType);
    const uri = spec.uri ?? this.serverUri;
    return {
      kind: 'request',
      method: spec.method,
      uri,
      headers,
      body: spec.body ?? new Uint8Array(),
    };
  }

  /** Sends a request; resolves with the final response. */
  request(req: SipRequest): Promise<SipResponse> {
    return this.#transactions.request(req);
  }

  handleResponse(res: SipResponse): void {
    this.#transactions.handleResponse(res);
  }

  /** Resends the response already given to this request's transaction; false where none. */
  answerRetransmission(req: SipRequest): boolean {
    const previous = this.#served.lookup(req);
    if (previous !== undefined) this.#sendResponse(previous);
    return previous !== undefined;
  }

  /** Answers a request: a To tag on every final response, User-Agent, remembered for resends. */
  reply(req: SipRequest, status: number, reason: string, opts: ResponseOptions = {}): SipResponse {
    const needsTag = status >= 200 && opts.toTag === undefined;
    const toHasTag = parseNameAddr(req.headers.get('To') ?? '').tag !== undefined;
    const options = needsTag && !toHasTag ? { ...opts, toTag: newTag() } : opts;
    const response = buildResponse(req, status, reason, {
      ...options,
      headers: [['User-Agent', USER_AGENT], ...(opts.headers ?? [])],
    });
    this.#served.remember(req, response);
    this.#sendResponse(response);
    return response;
  }

  /** Sends a response; one that cannot go out is lost, as on UDP, and the peer resends. */
  #sendResponse(response: SipResponse): void {
    try {
      this.transport.send(response);
    } catch {
      // The TCP connection closed: the platform retries its request on a new one.
    }
  }

  /** Rejects every request still waiting for its response. */
  cancelRequests(): void {
    this.#transactions.cancelAll('Cannot complete request: the simulator is stopping');
  }
}
