/**
 * The GB/T 28181 signalling of one media node: dispatches what devices send (REGISTER,
 * MESSAGE, BYE, …) and sends what the platform asks of them (Catalog queries, INVITE, BYE).
 */
import { ArgusError, errorCodes, isArgusError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { buildQuery, parseManscdp, readCatalogResponse } from '../formats/manscdp.ts';
import {
  buildResponse,
  parseNameAddr,
  type SipMessage,
  type SipRequest,
} from '../formats/sip-message.ts';
import type { SipClient } from '../sip/sip-client.ts';
import type { LocalAddressBook } from '../sip/local-address.ts';
import type { SipPeer, SipTransport } from '../sip/sip-transport.ts';
import type { CatalogCollector } from './catalog-collector.ts';
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
}

export class GbServer {
  readonly #options: GbServerOptions;
  #remoteBye: (callId: string) => void = () => {};
  #sn = Math.floor(Math.random() * 1000);
  #cseq = 1;

  constructor(options: GbServerOptions) {
    this.#options = options;
  }

  /** The transport's message handler. */
  handle(message: SipMessage, peer: SipPeer): void {
    if (message.kind === 'response') {
      if (!this.#options.client.handleResponse(message)) {
        this.#options.logger.debug({ status: message.status }, 'sip response unmatched');
      }
      return;
    }
    void this.#handleRequest(message, peer).catch((error: unknown) => {
      const status = isArgusError(error, errorCodes.SIP_MALFORMED) ? 400 : 500;
      this.#options.logger.warn(
        { err: error, method: message.method, peer: `${peer.address}:${peer.port}` },
        'sip request failed',
      );
      if (message.method !== 'ACK')
        this.#reply(
          message,
          peer,
          status,
          status === 400 ? 'Bad Request' : 'Server Internal Error',
        );
    });
  }

  /** Who hears of a BYE from a device (it ended a session on its own). */
  onRemoteBye(handler: (callId: string) => void): void {
    this.#remoteBye = handler;
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
    return `<sip:${this.#options.serverId}@${this.#options.domain}>;tag=${crypto.randomUUID().slice(0, 8)}`;
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
    const { peer } = this.registration(deviceId);
    const request = this.#options.client.build(peer, {
      method: 'MESSAGE',
      uri: `sip:${deviceId}@${peer.address}:${peer.port}`,
      from: this.platformFrom(),
      to: `<sip:${deviceId}@${this.#options.domain}>`,
      cseq: this.nextCSeq(),
      contentType: 'Application/MANSCDP+xml',
      body: buildQuery('Catalog', this.nextSn(), deviceId),
    });
    const response = await this.#options.client.request(peer, request);
    if (response.status >= 300) {
      throw new ArgusError(
        errorCodes.UNAVAILABLE,
        `Cannot query catalog: device answered ${response.status}`,
      );
    }
  }

  async #handleRequest(request: SipRequest, peer: SipPeer): Promise<void> {
    switch (request.method) {
      case 'REGISTER':
        await this.#options.addresses.learn(peer.address, peer.port);
        return this.#options.registrar.handle(request, peer);
      case 'MESSAGE':
        return this.#handleMessage(request, peer);
      case 'BYE':
        this.#reply(request, peer, 200, 'OK');
        this.#remoteBye(request.headers.get('Call-ID') ?? '');
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
      this.#options.logger.info({ deviceId }, 'message from unregistered device refused');
      return this.#reply(request, peer, 403, 'Forbidden');
    }

    const message = parseManscdp(request.body);
    this.#reply(request, peer, 200, 'OK');
    await this.#options.monitor.seen(registration);

    if (message.cmdType === 'Keepalive') return;
    if (message.cmdType === 'Catalog' && message.root === 'Response') {
      // The registered device owns the answer, whatever DeviceID the body claims.
      return this.#options.catalogs.add({ ...readCatalogResponse(message), deviceId });
    }
    this.#options.logger.debug({ deviceId, cmdType: message.cmdType }, 'manscdp message ignored');
  }

  #reply(request: SipRequest, peer: SipPeer, status: number, reason: string): void {
    const response = buildResponse(request, status, reason, {
      toTag: crypto.randomUUID().slice(0, 8),
      source: { address: peer.address, port: peer.port },
    });
    this.#options.transport.send(peer, response);
  }
}
