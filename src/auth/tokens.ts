/**
 * Access tokens (API) and live tokens (media URLs) are HS256 JWTs made and checked with
 * jose. The API and the media nodes share the signing secret.
 */
import { errors, SignJWT, jwtVerify } from 'jose';

import { roles, type Role } from '../domain/account.ts';
import { ArgusError, errorCodes } from '../errors.ts';

export interface AccessClaims {
  readonly userId: string;
  readonly ak: string;
}

/**
 * Everything an access token says. An AK/SK login's token names the AK and its session
 * (slot) with the session's generation; tokens signed before sessions existed name the AK
 * only. A password login's token names the account instead.
 */
export type AccessTokenClaims =
  | {
      readonly userId: string;
      readonly ak: string;
      readonly session?: { readonly id: string; readonly generation: number };
    }
  | { readonly userId: string; readonly loginName: string; readonly role: Role };

export interface LiveClaims {
  readonly userId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly streamType: string;
  /** How the device is asked to send RTP: over UDP or over TCP (RFC 4571). */
  readonly transport: 'UDP' | 'TCP';
}

/**
 * What a playback token allows: opening one playback session of a channel's recordings (and
 * controlling it) on the media node. `sessionId` names the session in the URL.
 */
export interface PlaybackClaims {
  readonly userId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly sessionId: string;
  readonly transport: 'UDP' | 'TCP';
  /** The range, Unix seconds. */
  readonly startTime: number;
  readonly endTime: number;
}

/** What a download token allows: fetching one finished download's file from the media node. */
export interface DownloadClaims {
  readonly userId: string;
  readonly deviceId: string;
  readonly downloadId: string;
}

/**
 * What a control token allows: the API calling one media node's `/internal/…` routes for a
 * tenant (PTZ, device queries, recordings). Short-lived; minted per call.
 */
export interface ControlClaims {
  readonly userId: string;
  /** The media node it is for: a token for one node is refused by every other. */
  readonly nodeId: string;
}

/** Lifetime of a control token: one call, with room for clock skew between processes. */
export const controlTokenTtlSeconds = 60;

const issuer = 'argus';

export class TokenService {
  readonly #key: Uint8Array;

  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  async issueAccess(claims: AccessClaims, ttlSeconds: number, now = new Date()): Promise<string> {
    return this.#sign({ typ: 'access', ak: claims.ak }, claims.userId, ttlSeconds, now);
  }

  /** @throws ArgusError UNAUTHENTICATED for a bad, expired or foreign token */
  async verifyAccess(token: string, now = new Date()): Promise<AccessClaims> {
    const payload = await this.#verify(token, 'access', now);
    return { userId: String(payload.sub), ak: String(payload['ak']) };
  }

  /** An access token of an AK session or of an account. */
  async issueAccessToken(
    claims: AccessTokenClaims,
    ttlSeconds: number,
    now = new Date(),
  ): Promise<string> {
    const fields: Record<string, string> =
      'loginName' in claims
        ? { typ: 'access', lgn: claims.loginName, role: claims.role }
        : { typ: 'access', ak: claims.ak };
    if ('session' in claims && claims.session !== undefined) {
      fields['sid'] = claims.session.id;
      fields['gen'] = String(claims.session.generation);
    }
    return this.#sign(fields, claims.userId, ttlSeconds, now);
  }

  /**
   * Everything an access token says. It passes `verifyAccess` first, the one check every
   * access token goes through (and that a subclass may replace).
   * @throws ArgusError UNAUTHENTICATED for a bad, expired or foreign token
   */
  async verifyAccessToken(token: string, now = new Date()): Promise<AccessTokenClaims> {
    await this.verifyAccess(token, now);
    const payload = await this.#verify(token, 'access', now);
    const userId = String(payload.sub);
    const { lgn, role, ak, sid, gen } = payload;
    if (typeof lgn === 'string' && roles.includes(role as Role)) {
      return { userId, loginName: lgn, role: role as Role };
    }
    if (typeof ak !== 'string') {
      throw new ArgusError(errorCodes.UNAUTHENTICATED, 'Cannot accept access token: invalid');
    }
    if (typeof sid !== 'string') return { userId, ak };
    return { userId, ak, session: { id: sid, generation: Number(gen) } };
  }

  async issueLive(claims: LiveClaims, ttlSeconds: number, now = new Date()): Promise<string> {
    const { deviceId, channelId, streamType, transport } = claims;
    return this.#sign(
      { typ: 'live', dev: deviceId, ch: channelId, st: streamType, tp: transport },
      claims.userId,
      ttlSeconds,
      now,
    );
  }

  /** @throws ArgusError UNAUTHENTICATED for a bad or expired token */
  async verifyLive(token: string, now = new Date()): Promise<LiveClaims> {
    const payload = await this.#verify(token, 'live', now);
    return {
      userId: String(payload.sub),
      deviceId: String(payload['dev']),
      channelId: String(payload['ch']),
      streamType: String(payload['st']),
      transport: payload['tp'] === 'UDP' ? 'UDP' : 'TCP',
    };
  }

  async issuePlayback(claims: PlaybackClaims, ttlSeconds: number, now = new Date()) {
    const { deviceId, channelId, sessionId, transport, startTime, endTime } = claims;
    const fields = { typ: 'playback', dev: deviceId, ch: channelId, sid: sessionId, tp: transport };
    const range = { from: String(startTime), to: String(endTime) };
    return this.#sign({ ...fields, ...range }, claims.userId, ttlSeconds, now);
  }

  /** @throws ArgusError UNAUTHENTICATED for a bad or expired token */
  async verifyPlayback(token: string, now = new Date()): Promise<PlaybackClaims> {
    const payload = await this.#verify(token, 'playback', now);
    return {
      userId: String(payload.sub),
      deviceId: String(payload['dev']),
      channelId: String(payload['ch']),
      sessionId: String(payload['sid']),
      transport: payload['tp'] === 'UDP' ? 'UDP' : 'TCP',
      startTime: Number(payload['from']),
      endTime: Number(payload['to']),
    };
  }

  async issueDownload(claims: DownloadClaims, ttlSeconds: number, now = new Date()) {
    const fields = { typ: 'download', dev: claims.deviceId, dl: claims.downloadId };
    return this.#sign(fields, claims.userId, ttlSeconds, now);
  }

  /** @throws ArgusError UNAUTHENTICATED for a bad or expired token */
  async verifyDownload(token: string, now = new Date()): Promise<DownloadClaims> {
    const payload = await this.#verify(token, 'download', now);
    return {
      userId: String(payload.sub),
      deviceId: String(payload['dev']),
      downloadId: String(payload['dl']),
    };
  }

  async issueControl(claims: ControlClaims, now = new Date()): Promise<string> {
    const fields = { typ: 'control', node: claims.nodeId };
    return this.#sign(fields, claims.userId, controlTokenTtlSeconds, now);
  }

  /** @throws ArgusError UNAUTHENTICATED for a bad or expired token, or one for another node */
  async verifyControl(token: string, nodeId: string, now = new Date()): Promise<ControlClaims> {
    const payload = await this.#verify(token, 'control', now);
    if (payload['node'] !== nodeId) {
      throw new ArgusError(
        errorCodes.UNAUTHENTICATED,
        'Cannot accept control token: it is for another media node',
      );
    }
    return { userId: String(payload.sub), nodeId };
  }

  async #sign(
    claims: Record<string, string>,
    subject: string,
    ttlSeconds: number,
    now: Date,
  ): Promise<string> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setSubject(subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .setJti(crypto.randomUUID())
      .sign(this.#key);
  }

  async #verify(token: string, typ: string, now: Date) {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer,
        algorithms: ['HS256'],
        currentDate: now,
      });
      if (payload['typ'] !== typ) throw new Error(`token type ${String(payload['typ'])}`);
      return payload;
    } catch (error) {
      // jose's own words name claims and JWS internals; users need only these two.
      const reason = error instanceof errors.JWTExpired ? 'expired' : 'invalid';
      throw new ArgusError(errorCodes.UNAUTHENTICATED, `Cannot accept ${typ} token: ${reason}`);
    }
  }
}
