/**
 * REGISTER handling (GB/T 28181-2016 §9.1, RFC 3261 §10, §22): digest with the algorithm and
 * user name given at batch-add (MD5 or SHA-256, with or without qop=auth), a `Date:` header in
 * GB form for the device's clock, the granted Expires and Contact binding, and `Expires: 0`
 * to unregister. Wrong credentials get 403 and are recorded as the device's access state; a
 * source failing again and again is locked out for a while.
 */
import {
  decideAccessAttempt,
  decideRegister,
  decideUnregister,
  type AccessAttempt,
  type Device,
} from '../../src/domain/device.ts';
import type { Logger } from '../../src/logger.ts';
import { formatGbDate } from '../formats/gb-date.ts';
import {
  buildChallenge,
  parseAuthorization,
  verifyDigest,
  type DigestCredentials,
} from '../formats/sip-digest.ts';
import { buildResponse, parseNameAddr, type SipRequest } from '../formats/sip-message.ts';
import type { SipPeer, SipTransport } from '../sip/sip-transport.ts';
import { AuthLockout, type AuthLockoutOptions } from './auth-lockout.ts';
import type { DeviceCommands } from './device-commands.ts';
import type { DeviceRegistry } from './device-registry.ts';
import { NonceBook } from './nonce-book.ts';
import { contactBinding, requestedExpires } from './register-expires.ts';

/** Registration lifetimes granted, in seconds. */
export const minExpires = 60;
export const maxExpires = 86400;

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
  /**
   * Offer qop="auth" to MD5 devices too (always offered with SHA-256). Off by default: some
   * GB/T 28181-2011 devices fail on a qop they do not expect.
   */
  readonly md5Qop?: boolean;
  readonly lockout?: AuthLockoutOptions;
  /** Called after every successful registration, refreshes included. */
  readonly onRegistered?: (deviceId: string, peer: SipPeer) => void;
}

export class Registrar {
  readonly #options: RegistrarOptions;
  readonly #nonces: NonceBook;
  readonly #lockout: AuthLockout;

  constructor(options: RegistrarOptions) {
    this.#options = options;
    this.#nonces = new NonceBook({ now: () => options.now().getTime() });
    this.#lockout = new AuthLockout(options.lockout);
  }

  /** @throws ArgusError SIP_MALFORMED where an Authorization or Contact cannot be read */
  async handle(request: SipRequest, peer: SipPeer): Promise<void> {
    const deviceId = parseNameAddr(request.headers.get('From') ?? '').user ?? '';
    const source = `${peer.address}|${deviceId}`;
    if (this.#lockout.lockedUntil(source, this.#now()) !== undefined) {
      this.#options.logger.debug({ deviceId, peer: peerText(peer) }, 'registration locked out');
      return this.#reply(request, peer, 403, 'Forbidden');
    }

    const authorization = request.headers.get('Authorization');
    const device = await this.#options.commands.load(deviceId);
    // Credentials in a scheme other than Digest are as good as none (RFC 4475, regaut01).
    if (authorization === undefined || !/^\s*digest\s/i.test(authorization)) {
      this.#challenge(request, peer, device, false);
      const reason = 'REGISTER without credentials, challenged';
      if (device.exists) await this.#record(deviceId, { state: 'NO_AUTHENTICATION_INFO', reason });
      return;
    }
    const credentials = parseAuthorization(authorization);
    const refusal = this.#check(device, credentials);
    if (refusal !== undefined) return this.#refuse(request, peer, device, refusal);
    if (this.#nonces.take(credentials.nonce, credentials.opaque) === 'stale') {
      // Right password, old or foreign nonce: a fresh challenge, stale=true (RFC 2617 §3.2.1).
      return this.#challenge(request, peer, device, true);
    }

    this.#lockout.clear(source);
    const expires = requestedExpires(request);
    if (expires === 0) return this.#unregister(request, peer, deviceId);
    return this.#register(request, peer, deviceId, clampExpires(expires));
  }

  /** Why the credentials are refused, or undefined where they are right. */
  #check(device: Device, credentials: DigestCredentials): string | undefined {
    if (!device.exists) return 'unknown device';
    if (credentials.username !== device.username) return 'wrong user name';
    const algorithm = device.algorithm;
    if (!verifyDigest(credentials, 'REGISTER', device.password, algorithm)) {
      const given = (credentials.algorithm ?? 'MD5').toUpperCase();
      return given === algorithm ? 'wrong password' : `algorithm ${given} instead of ${algorithm}`;
    }
    return undefined;
  }

  async #refuse(request: SipRequest, peer: SipPeer, device: Device, reason: string) {
    const { deviceId } = device;
    const now = this.#now();
    const lockedUntil = this.#lockout.fail(`${peer.address}|${deviceId}`, now);
    this.#reply(request, peer, 403, 'Forbidden');

    const fields = { deviceId, peer: peerText(peer), reason };
    if (lockedUntil === undefined) this.#options.logger.warn(fields, 'registration refused');
    else {
      const until = new Date(lockedUntil).toISOString();
      this.#options.logger.warn({ ...fields, lockedUntil: until }, 'registration locked out');
    }
    if (!device.exists) return;

    const attempt: Omit<AccessAttempt, 'at'> = {
      state: 'AUTHENTICATION_FAILED',
      reason: lockedUntil === undefined ? reason : `${reason}, locked out`,
      ...(lockedUntil === undefined ? {} : { lockedUntil: new Date(lockedUntil) }),
    };
    await this.#record(deviceId, attempt);
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

    // The binding granted, echoed with its expiry (RFC 3261 §10.3 step 8).
    const contact = contactBinding(request, expires);
    this.#reply(request, peer, 200, 'OK', [
      ...(contact === undefined ? [] : [['Contact', contact] as [string, string]]),
      ['Expires', String(expires)],
      ['Date', formatGbDate(now, this.#options.tzOffsetMinutes ?? 0)],
    ]);
    logger.info({ deviceId, transport: peer.transport, expires }, 'registered');
    this.#options.onRegistered?.(deviceId, peer);
  }

  async #unregister(request: SipRequest, peer: SipPeer, deviceId: string) {
    const { registry, commands, logger } = this.#options;
    await commands.run(deviceId, (device) => decideUnregister(device, this.#options.now()));
    registry.delete(deviceId);
    const now = this.#options.now();
    this.#reply(request, peer, 200, 'OK', [
      ['Expires', '0'],
      ['Date', formatGbDate(now, this.#options.tzOffsetMinutes ?? 0)],
    ]);
    logger.info({ deviceId }, 'unregistered');
  }

  /** A 401 with a fresh nonce in the device's algorithm (MD5 for devices unknown here). */
  #challenge(request: SipRequest, peer: SipPeer, device: Device, stale: boolean): void {
    const { nonce, opaque } = this.#nonces.issue();
    const algorithm = device.algorithm;
    const qop = algorithm === 'SHA-256' || this.#options.md5Qop === true;
    const challenge = buildChallenge(this.#options.realm, nonce, { algorithm, qop, opaque, stale });
    this.#reply(request, peer, 401, 'Unauthorized', [['WWW-Authenticate', challenge]]);
  }

  /** Records an access attempt; a failure to record is logged, the SIP answer stands. */
  async #record(deviceId: string, attempt: Omit<AccessAttempt, 'at'>): Promise<void> {
    const at = this.#options.now();
    try {
      await this.#options.commands.run(deviceId, (d) => decideAccessAttempt(d, { ...attempt, at }));
    } catch (err) {
      this.#options.logger.error({ err, deviceId }, 'access state not recorded');
    }
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

  #now(): number {
    return this.#options.now().getTime();
  }
}

function clampExpires(expires: number): number {
  return Math.min(maxExpires, Math.max(minExpires, expires));
}

function peerText(peer: SipPeer): string {
  return `${peer.address}:${peer.port}`;
}
