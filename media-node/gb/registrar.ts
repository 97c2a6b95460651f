/**
 * REGISTER handling (GB/T 28181-2016 §9.1, RFC 3261 §10, §22): MD5 digest against the
 * password given at batch-add, a `Date:` header in GB form for the device's clock, the
 * granted Expires, and `Expires: 0` to unregister. An unknown device or a wrong password gets
 * 403 after the challenge and changes nothing but a log line.
 */
import { decideRegister, decideUnregister } from '../../src/domain/device.ts';
import type { Logger } from '../../src/logger.ts';
import { formatGbDate } from '../formats/gb-date.ts';
import { buildChallenge, parseAuthorization, verifyDigest } from '../formats/sip-digest.ts';
import { buildResponse, parseNameAddr, type SipRequest } from '../formats/sip-message.ts';
import type { SipPeer, SipTransport } from '../sip/sip-transport.ts';
import type { DeviceCommands } from './device-commands.ts';
import type { DeviceRegistry } from './device-registry.ts';

/** Registration lifetimes granted, in seconds. */
export const minExpires = 60;
export const maxExpires = 86400;
const defaultExpires = 3600;
const nonceLifetimeMs = 5 * 60_000;
const maxOutstandingNonces = 10_000;

export interface RegistrarOptions {
  readonly transport: SipTransport;
  readonly registry: DeviceRegistry;
  readonly commands: DeviceCommands;
  readonly realm: string;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Minutes east of UTC written into the Date header (devices read it as local time). */
  readonly tzOffsetMinutes?: number;
  /** Called after a device registered (not on refresh of an unchanged binding too). */
  readonly onRegistered?: (deviceId: string, peer: SipPeer) => void;
}

export class Registrar {
  readonly #options: RegistrarOptions;
  readonly #nonces = new Map<string, number>();

  constructor(options: RegistrarOptions) {
    this.#options = options;
  }

  async handle(request: SipRequest, peer: SipPeer): Promise<void> {
    const { logger } = this.#options;
    const deviceId = parseNameAddr(request.headers.get('From') ?? '').user ?? '';
    const authorization = request.headers.get('Authorization');

    // Credentials in a scheme other than Digest are as good as none (RFC 4475, regaut01).
    if (authorization === undefined || !/^\s*digest\s/i.test(authorization)) {
      return this.#challenge(request, peer, false);
    }
    const credentials = parseAuthorization(authorization);
    if (!this.#takeNonce(credentials.nonce)) return this.#challenge(request, peer, true);

    const device = await this.#options.commands.load(deviceId);
    if (!device.exists || !verifyDigest(credentials, 'REGISTER', device.password)) {
      logger.warn({ deviceId, peer: `${peer.address}:${peer.port}` }, 'registration refused');
      return this.#reply(request, peer, 403, 'Forbidden');
    }

    const expires = requestedExpires(request);
    if (expires === 0) return this.#unregister(request, peer, deviceId);
    return this.#register(request, peer, deviceId, clampExpires(expires));
  }

  async #register(request: SipRequest, peer: SipPeer, deviceId: string, expires: number) {
    const { registry, commands, nodeId, logger } = this.#options;
    const now = this.#options.now();
    await commands.run(deviceId, (device) =>
      decideRegister(device, {
        nodeId,
        transport: peer.transport,
        remoteAddress: `${peer.address}:${peer.port}`,
        expires,
        at: now,
      }),
    );
    registry.set({
      deviceId,
      peer,
      expiresAt: now.getTime() + expires * 1000,
      lastSeenAt: now.getTime(),
      online: true,
    });

    this.#reply(request, peer, 200, 'OK', [
      ['Date', formatGbDate(now, this.#options.tzOffsetMinutes ?? 0)],
      ['Expires', String(expires)],
      ...contactHeader(request, expires),
    ]);
    logger.info({ deviceId, transport: peer.transport, expires }, 'registered');
    this.#options.onRegistered?.(deviceId, peer);
  }

  async #unregister(request: SipRequest, peer: SipPeer, deviceId: string) {
    const { registry, commands, logger } = this.#options;
    await commands.run(deviceId, (device) => decideUnregister(device, this.#options.now()));
    registry.delete(deviceId);
    this.#reply(request, peer, 200, 'OK', [['Expires', '0']]);
    logger.info({ deviceId }, 'unregistered');
  }

  #challenge(request: SipRequest, peer: SipPeer, stale: boolean): void {
    const nonce = crypto.randomUUID().replaceAll('-', '');
    this.#rememberNonce(nonce);
    const challenge = buildChallenge(this.#options.realm, nonce, stale ? { stale: true } : {});
    this.#reply(request, peer, 401, 'Unauthorized', [['WWW-Authenticate', challenge]]);
  }

  #reply(
    request: SipRequest,
    peer: SipPeer,
    status: number,
    reason: string,
    headers: [string, string][] = [],
  ): void {
    const response = buildResponse(request, status, reason, {
      toTag: crypto.randomUUID().slice(0, 8),
      source: { address: peer.address, port: peer.port },
      headers: [['User-Agent', 'Argus'], ...headers],
    });
    this.#options.transport.send(peer, response);
  }

  #rememberNonce(nonce: string): void {
    const now = Date.now();
    if (this.#nonces.size >= maxOutstandingNonces) {
      for (const [old, issuedAt] of this.#nonces) {
        if (now - issuedAt > nonceLifetimeMs || this.#nonces.size >= maxOutstandingNonces) {
          this.#nonces.delete(old);
        }
      }
    }
    this.#nonces.set(nonce, now);
  }

  /** A nonce is good for one registration within its lifetime. */
  #takeNonce(nonce: string): boolean {
    const issuedAt = this.#nonces.get(nonce);
    if (issuedAt === undefined || Date.now() - issuedAt > nonceLifetimeMs) return false;
    this.#nonces.delete(nonce);
    return true;
  }
}

/** Expires header, else the Contact's expires parameter, else the default. */
function requestedExpires(request: SipRequest): number {
  const header = request.headers.get('Expires');
  if (header !== undefined && /^\s*\d+\s*$/.test(header)) return Number(header);
  const contact = request.headers.get('Contact');
  const param = contact === undefined ? undefined : parseNameAddr(contact).params['expires'];
  return typeof param === 'string' && /^\d+$/.test(param) ? Number(param) : defaultExpires;
}

function clampExpires(expires: number): number {
  return Math.min(maxExpires, Math.max(minExpires, expires));
}

function contactHeader(request: SipRequest, expires: number): [string, string][] {
  const contact = request.headers.get('Contact');
  if (contact === undefined) return [];
  const addr = parseNameAddr(contact);
  return [['Contact', `<${addr.uri}>;expires=${expires}`]];
}
