/**
 * The GB/T 28181 signalling of one media node: dispatches what devices send (REGISTER,
 * MESSAGE, BYE, …) and sends what the platform asks of them (Catalog queries, INVITE, BYE).
 */
import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import {
  buildManscdpBody,
  buildQuery,
  parseManscdp,
  readCatalogResponse,
  type CatalogResponse,
  type ManscdpMessage,
  type ManscdpRoot,
  type XmlElement,
} from '../formats/manscdp.ts';
import {
  buildResponse,
  parseNameAddr,
  type SipMessage,
  type SipRequest,
} from '../formats/sip-message.ts';
import { DroppedMessageLog } from '../sip/dropped-messages.ts';
import type { SipClient } from '../sip/sip-client.ts';
import type { LocalAddressBook } from '../sip/local-address.ts';
import { peerKey, type SipPeer, type SipTransport } from '../sip/sip-transport.ts';
import type { CatalogCollector } from './catalog-collector.ts';
import { DeviceQueries } from './device-queries.ts';
import { MediaStatusNotices } from './media-status.ts';
import { RecordInfoCollector } from './record-info-collector.ts';
import type { DeviceRegistry, Registration } from './device-registry.ts';
import type { KeepaliveMonitor } from './keepalive-monitor.ts';
import type { Registrar } from './registrar.ts';

export interface GbServerOptions {
  readonly serverId: string;
  readonly domain: string;
  readonly sipPort: number;
  readonly transport: SipTransport;
  readonly client: SipClient;
  readonly registrar: Registrar;
  readonly registry: DeviceRegistry;
  readonly monitor: KeepaliveMonitor;
  readonly catalogs: CatalogCollector;
  readonly addresses: LocalAddressBook;
  readonly logger: Logger;
  /** Told of every Catalog response a registered device sends. */
  readonly onCatalogAnswer?: (deviceId: string) => void;
}

/** Errors of device input in a MANSCDP body: answered 400, and nothing changes. */
const bodyErrors: ReadonlySet<string> = new Set([
  errorCodes.MANSCDP_MALFORMED,
  errorCodes.MANSCDP_TOO_LARGE,
]);

export class GbServer {
  readonly #options: GbServerOptions;
  /** Requests answered already: a failure after the answer is logged, never answered twice. */
  readonly #answered = new WeakSet<SipRequest>();
  readonly #refused: DroppedMessageLog;
  /** Queries waiting for the device's MESSAGE Response (DeviceInfo, RecordInfo, …). */
  readonly queries = new DeviceQueries();
  /** RecordInfo answers, assembled across their MESSAGEs. */
  readonly records = new RecordInfoCollector();
  /** Who hears of the end of a playback or download (MediaStatus 121). */
  readonly mediaStatus = new MediaStatusNotices();
  readonly #remoteByes: ((callId: string) => void)[] = [];
  readonly #notifyHandlers: ((d: string, m: ManscdpMessage, r: SipRequest) => boolean)[] = [];
  #sn = Math.floor(Math.random() * 1000);
  #cseq = 1;

  constructor(options: GbServerOptions) {
    this.#options = options;
    this.#refused = new DroppedMessageLog({
      logger: options.logger,
      messages: { one: 'sip request refused', summary: 'sip requests refused' },
    });
  }

  /** The transport's message handler. */
  handle(message: SipMessage, peer: SipPeer): void {
    if (message.kind === 'response') {
      if (!this.#options.client.handleResponse(message)) {
        this.#options.logger.debug({ status: message.status }, 'sip response unmatched');
      }
      return;
    }
    void this.#handleRequest(message, peer).catch((error: unknown) =>
      this.#failed(message, peer, error),
    );
  }

  /**
   * Who reads a device's Notify (Alarm, catalog changes), from a MESSAGE or a NOTIFY; a
   * handler returns true where it took the message.
   */
  onNotify(handler: (deviceId: string, message: ManscdpMessage, request: SipRequest) => boolean) {
    this.#notifyHandlers.push(handler);
  }

  /** Who hears of a BYE from a device (it ended a session on its own). */
  onRemoteBye(handler: (callId: string) => void): void {
    this.#remoteByes.push(handler);
  }

  /** Next SN for a MANSCDP query. */
  nextSn(): number {
    this.#sn = (this.#sn % 999_999) + 1;
    return this.#sn;
  }

  nextCSeq(): number {
    return this.#cseq++;
  }

  /** The registration of a device this node serves. @throws ArgusError UNAVAILABLE */
  registration(deviceId: string): Registration {
    const registration = this.#options.registry.get(deviceId);
    if (registration === undefined || !registration.online) {
      throw new ArgusError(errorCodes.UNAVAILABLE, `Cannot reach device ${deviceId}: not online`);
    }
    return registration;
  }

  /** `sip:<serverId>@<domain>` with a fresh tag: the platform as From. */
  platformFrom(): string {
    const tag = crypto.randomUUID().slice(0, 8);
    return `<sip:${this.#options.serverId}@${this.#options.domain}>;tag=${tag}`;
  }

  /** The local address a registered device reaches us on. */
  localAddress(peer: SipPeer): string {
    return this.#options.addresses.get(peer.address);
  }

  get sipPort(): number {
    return this.#options.sipPort;
  }

  get serverId(): string {
    return this.#options.serverId;
  }

  get domain(): string {
    return this.#options.domain;
  }

  /** Sends a Catalog query; the answer arrives later as MESSAGEs. */
  async queryCatalog(deviceId: string): Promise<void> {
    const sn = this.nextSn();
    await this.sendManscdp(deviceId, buildQuery('Catalog', sn, deviceId), 'query catalog');
  }

  /**
   * Sends a `Query` (DeviceInfo, DeviceStatus, PresetQuery, RecordInfo, …) with `children`
   * after its DeviceID, and resolves with the device's first Response to it.
   * @throws ArgusError UNAVAILABLE offline, refused, or no answer within `timeoutMs`
   */
  async query(
    deviceId: string,
    cmdType: string,
    children: XmlElement[] = [],
    timeoutMs?: number,
  ): Promise<ManscdpMessage> {
    return this.queries.ask(
      deviceId,
      cmdType,
      async () => {
        const sn = this.nextSn();
        const body = buildManscdpBody('Query', cmdType, sn, deviceId, children);
        await this.sendManscdp(deviceId, body, `query ${cmdType}`);
        return sn;
      },
      timeoutMs,
    );
  }

  /**
   * Sends a MANSCDP body (`root` Query, Control, Notify) to a registered device in a MESSAGE
   * and waits for its SIP answer (not the MANSCDP Response that may follow).
   * @throws ArgusError UNAVAILABLE where the device is offline or answers ≥ 300
   */
  async sendManscdp(deviceId: string, body: Uint8Array, what: string): Promise<void> {
    const { peer } = this.registration(deviceId);
    const request = this.#options.client.build(peer, {
      method: 'MESSAGE',
      uri: `sip:${deviceId}@${peer.address}:${peer.port}`,
      from: this.platformFrom(),
      to: `<sip:${deviceId}@${this.#options.domain}>`,
      cseq: this.nextCSeq(),
      contentType: 'Application/MANSCDP+xml',
      body,
    });
    const response = await this.#options.client.request(peer, request);
    if (response.status >= 300) {
      throw new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot ${what}: device answered ${response.status}`,
        { status: response.status },
      );
    }
  }

  /** Builds a MANSCDP body of this platform's next SN: for callers of `sendManscdp`. */
  manscdpBody(root: ManscdpRoot, cmdType: string, deviceId: string, children: XmlElement[] = []) {
    return buildManscdpBody(root, cmdType, this.nextSn(), deviceId, children);
  }

  async #handleRequest(request: SipRequest, peer: SipPeer): Promise<void> {
    switch (request.method) {
      case 'REGISTER':
        await this.#options.addresses.learn(peer.address, peer.port);
        return this.#options.registrar.handle(request, peer);
      case 'MESSAGE':
      case 'NOTIFY': // a subscription's NOTIFY carries a MANSCDP Notify, as a MESSAGE does
        return this.#handleMessage(request, peer);
      case 'BYE':
        this.#reply(request, peer, 200, 'OK');
        for (const bye of this.#remoteByes) bye(request.headers.get('Call-ID') ?? '');
        return;
      case 'ACK':
        return;
      case 'OPTIONS':
        return this.#reply(request, peer, 200, 'OK');
      default:
        return this.#reply(request, peer, 501, 'Not Implemented');
    }
  }

  async #handleMessage(request: SipRequest, peer: SipPeer): Promise<void> {
    const deviceId = parseNameAddr(request.headers.get('From') ?? '').user ?? '';
    const registration = this.#options.registry.get(deviceId);
    if (registration === undefined) {
      // Unregistered devices are told so; most register again on a refusal.
      const reason = `Cannot accept MESSAGE: the device is not registered: ${deviceId}`;
      return this.#refuse(request, peer, new ArgusError(errorCodes.FORBIDDEN, reason), deviceId);
    }
    if (peer.address !== registration.peer.address) {
      // A new port is NAT rebinding; a new host must prove itself with a REGISTER, or anyone
      // naming the device in From could take its requests (and its video) elsewhere.
      const reason =
        `Cannot accept MESSAGE: device ${deviceId} registered from another address; ` +
        'it must REGISTER again from this one';
      return this.#refuse(request, peer, new ArgusError(errorCodes.FORBIDDEN, reason), deviceId);
    }

    let body: { message: ManscdpMessage; catalog: CatalogResponse | undefined };
    try {
      body = readBody(request);
    } catch (error) {
      if (!isArgusError(error) || !bodyErrors.has(error.code)) throw error;
      return this.#refuse(request, peer, error, deviceId);
    }
    this.#reply(request, peer, 200, 'OK');
    // Wherever it came from is where the device is now (NAT rebinding, a new connection).
    await this.#options.monitor.seen(registration, peer);

    const { message, catalog } = body;
    if (message.cmdType === 'Keepalive') return;
    if (this.#notifyHandlers.some((take) => take(deviceId, message, request))) return;
    // The registered device owns the answer, whatever DeviceID the body claims.
    if (catalog !== undefined) {
      this.#options.onCatalogAnswer?.(deviceId);
      return this.#options.catalogs.add({ ...catalog, deviceId });
    }
    if (this.records.add(deviceId, message)) return;
    if (this.mediaStatus.offer(deviceId, request.headers.get('Call-ID') ?? '', message)) return;
    if (this.queries.answer(deviceId, message)) return;
    this.#options.logger.debug({ deviceId, cmdType: message.cmdType }, 'manscdp message ignored');
  }

  /** A request whose handling threw: device input gets 400, a failure of ours 500. */
  #failed(request: SipRequest, peer: SipPeer, error: unknown): void {
    const answered = request.method === 'ACK' || this.#answered.has(request);
    if (isArgusError(error, errorCodes.SIP_MALFORMED) && !answered) {
      return this.#refuse(request, peer, error);
    }
    this.#options.logger.warn(
      { err: error, method: request.method, peer: peerKey(peer) },
      'sip request failed',
    );
    if (!answered) this.#reply(request, peer, 500, 'Server Internal Error');
  }

  /**
   * Refuses a request for what the device sent: 403 where it is not registered, else 400
   * (a body or header that cannot be read, GB/T 28181-2016 §A.1). Logged without a line per
   * request: anyone can send these.
   */
  #refuse(request: SipRequest, peer: SipPeer, error: ArgusError, deviceId?: string): void {
    const forbidden = error.code === errorCodes.FORBIDDEN;
    this.#reply(request, peer, forbidden ? 403 : 400, forbidden ? 'Forbidden' : 'Bad Request');
    this.#refused.record({
      peer: peerKey(peer),
      method: request.method,
      ...(deviceId === undefined ? {} : { deviceId }),
      status: forbidden ? 403 : 400,
      code: error.code,
      reason: error.message,
    });
  }

  #reply(request: SipRequest, peer: SipPeer, status: number, reason: string): void {
    this.#answered.add(request);
    const response = buildResponse(request, status, reason, {
      toTag: crypto.randomUUID().slice(0, 8),
      source: { address: peer.address, port: peer.port },
    });
    this.#options.transport.send(peer, response);
  }
}

/** The MANSCDP body, and the Catalog page it carries where it is one. @throws ArgusError */
function readBody(request: SipRequest): {
  message: ManscdpMessage;
  catalog: CatalogResponse | undefined;
} {
  const message = parseManscdp(request.body);
  const isCatalog = message.cmdType === 'Catalog' && message.root === 'Response';
  return { message, catalog: isCatalog ? readCatalogResponse(message) : undefined };
}
