/**
 * Registration of the simulated camera (GB/T 28181-2016 §9.1): REGISTER, the answer to the
 * 401 Digest challenge (qop=auth where offered), refresh before expiry, Expires: 0 on exit.
 */
import { randomBytes } from 'node:crypto';
import {
  computeDigestResponse,
  formatAuthorization,
  parseChallenge,
} from '../media-node/formats/sip-digest.ts';
import type { DigestChallenge } from '../media-node/formats/sip-digest.ts';
import { parseNameAddr } from '../media-node/formats/sip-message.ts';
import type { SipResponse } from '../media-node/formats/sip-message.ts';
import type { Clock } from './clock.ts';
import type { EmitEvent } from './events.ts';
import { TransactionTimeout } from './sip-transactions.ts';
import { newCallId, newTag } from './user-agent.ts';
import type { UserAgent } from './user-agent.ts';

/** Pause before trying again after a timeout or a server error. */
const RETRY_MS = 5000;
/** Longest wait for the unregistration on exit. */
const UNREGISTER_MS = 2000;

/**
 * The server refused the credentials (401/407 after answering the challenge) or the device
 * (403).
 */
export class RegistrationRefused extends Error {
  override readonly name = 'RegistrationRefused';
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(`Cannot register: refused by the server: ${status} ${reason}`);
  }
}

interface Challenge {
  digest: DigestChallenge;
  header: 'Authorization' | 'Proxy-Authorization';
}

export class Registration {
  // One Call-ID and From tag for every REGISTER of this device (RFC 3261 §10.2)
  readonly #callId = newCallId();
  readonly #fromTag = newTag();
  #cseq = 0;
  #nonceCount = 0;
  #challenge: Challenge | undefined;
  #refreshTimer: unknown;
  #registered = false;
  #stopped = false;

  constructor(
    private readonly ua: UserAgent,
    private readonly clock: Clock,
    private readonly emit: EmitEvent,
    private readonly onFatal: (error: Error) => void,
  ) {}

  get registered(): boolean {
    return this.#registered;
  }

  /**
   * Registers, trying again every 5 s after timeouts and server errors; then refreshes at
   * 80% of the granted time.
   * @throws RegistrationRefused on 403, or 401/407 after answering the challenge
   */
  async register(): Promise<void> {
    while (!this.#stopped) {
      const response = await this.#attempt(this.ua.config.expires).catch((error: unknown) => {
        if (error instanceof TransactionTimeout) return undefined;
        throw error;
      });
      if (this.#stopped) return;
      if (response !== undefined && response.status >= 200 && response.status < 300) {
        this.#onRegistered(response);
        return;
      }
      this.#registered = false;
      const status = response?.status;
      this.emit({
        event: 'register_failed',
        ...(status === undefined ? { reason: 'timeout' } : { status }),
      });
      if (response !== undefined && [401, 403, 407].includes(response.status)) {
        throw new RegistrationRefused(response.status, response.reason);
      }
      await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), RETRY_MS));
    }
  }

  /** Stops refreshing and sends REGISTER with Expires: 0, waiting at most 2 s. */
  async unregister(): Promise<void> {
    this.#stopped = true;
    this.clock.clearTimeout(this.#refreshTimer);
    if (!this.#registered) return;
    this.#registered = false;
    const timeout = new Promise<undefined>((resolve) =>
      this.clock.setTimeout(() => resolve(undefined), UNREGISTER_MS),
    );
    const response = await Promise.race([this.#attempt(0).catch(() => undefined), timeout]);
    this.emit({
      event: 'unregistered',
      ...(response !== undefined && { status: response.status }),
    });
  }

  /** REGISTER; on a challenge, the same again with credentials. */
  async #attempt(expires: number): Promise<SipResponse> {
    let response = await this.ua.request(this.#request(expires));
    if (response.status === 401 || response.status === 407) {
      const header = response.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
      this.#challenge = {
        digest: parseChallenge(response.headers.get(header) ?? ''),
        header: response.status === 401 ? 'Authorization' : 'Proxy-Authorization',
      };
      this.#nonceCount = 0;
      response = await this.ua.request(this.#request(expires));
    }
    return response;
  }

  #request(expires: number) {
    const credentials = this.#credentials();
    return this.ua.buildRequest({
      method: 'REGISTER',
      to: `<${this.ua.localUri}>`,
      callId: this.#callId,
      fromTag: this.#fromTag,
      cseq: ++this.#cseq,
      headers: [
        ['Contact', this.ua.contact],
        ...(credentials === undefined ? [] : [credentials]),
        ['Expires', String(expires)],
      ],
    });
  }

  /** Credentials for the last challenge, reused on refreshes as eXosip devices do. */
  #credentials(): [string, string] | undefined {
    if (this.#challenge === undefined) return undefined;
    const { digest, header } = this.#challenge;
    const { deviceId, password } = this.ua.config;
    const fields = {
      username: deviceId,
      realm: digest.realm,
      nonce: digest.nonce,
      uri: this.ua.serverUri,
      algorithm: 'MD5',
      ...(digest.opaque !== undefined && { opaque: digest.opaque }),
      ...(digest.qop?.includes('auth') && {
        qop: 'auth',
        nc: (++this.#nonceCount).toString(16).padStart(8, '0'),
        cnonce: randomBytes(8).toString('hex'),
      }),
    };
    const response = computeDigestResponse(fields, 'REGISTER', password);
    return [header, formatAuthorization({ ...fields, response })];
  }

  #onRegistered(response: SipResponse): void {
    this.#registered = true;
    const expires = grantedExpires(response) ?? this.ua.config.expires;
    const date = response.headers.get('Date');
    this.emit({
      event: 'registered',
      status: response.status,
      expires,
      ...(date !== undefined && { date }),
    });

    this.clock.clearTimeout(this.#refreshTimer);
    this.#refreshTimer = this.clock.setTimeout(
      () => void this.register().catch(this.onFatal),
      Math.max(1, expires * 0.8) * 1000,
    );
  }
}

/** Expires of the 200 OK, or the `expires` parameter of its Contact. */
function grantedExpires(response: SipResponse): number | undefined {
  const header = response.headers.get('Expires');
  if (header !== undefined && /^\d+$/.test(header)) return Number(header);
  const contact = response.headers.get('Contact');
  const param = contact === undefined ? undefined : parseNameAddr(contact).params['expires'];
  return typeof param === 'string' && /^\d+$/.test(param) ? Number(param) : undefined;
}
