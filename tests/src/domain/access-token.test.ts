/**
 * The access tokens of one AK/SK pair as specifications: given the events of the pair's
 * stream, a login or refresh gives the events to append or a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  credentialStreamName,
  decideIssueAccessToken,
  decideRefreshAccessToken,
  foldCredentialTokens,
  liveSessions,
  maxTokensPerCredential,
  type AccessTokenEvent,
} from '../../../src/domain/access-token.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';

const userId = '100000000000000001';
const ak = 'AK1';
const now = new Date('2024-05-01T08:00:00.000Z');
const ttlSeconds = 3600;
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

const issued = (sessionId: string, at = now): AccessTokenEvent => ({
  type: 'AccessTokenIssued',
  data: {
    userId,
    ak,
    sessionId,
    expiresAt: new Date(at.getTime() + ttlSeconds * 1000).toISOString(),
    at: at.toISOString(),
  },
});
const revoked = (sessionId: string, at = now): AccessTokenEvent => ({
  type: 'AccessTokenRevoked',
  data: { userId, ak, sessionId, reason: 'evicted', at: at.toISOString() },
});
const refreshed = (sessionId: string, generation: number, at: Date): AccessTokenEvent => ({
  type: 'AccessTokenRefreshed',
  data: {
    userId,
    ak,
    sessionId,
    generation,
    expiresAt: new Date(at.getTime() + ttlSeconds * 1000).toISOString(),
    at: at.toISOString(),
  },
});

const given = (...events: AccessTokenEvent[]) => foldCredentialTokens(userId, ak, events);
const login = (sessionId: string, forceUpdate = false, at = now) => ({
  sessionId,
  ttlSeconds,
  forceUpdate,
  now: at,
});

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('decideIssueAccessToken', () => {
  it('decideIssueAccessToken opens a session that expires after the TTL', () => {
    assert.deepEqual(decideIssueAccessToken(given(), login('s1')), [issued('s1')]);
  });

  it('decideIssueAccessToken allows 2 live tokens and refuses a third with CONFLICT', () => {
    assert.equal(maxTokensPerCredential, 2);
    assert.deepEqual(decideIssueAccessToken(given(issued('s1')), login('s2')), [issued('s2')]);

    assert.throws(
      () => decideIssueAccessToken(given(issued('s1'), issued('s2')), login('s3')),
      rejectsWith(
        errorCodes.CONFLICT,
        /^Cannot issue access token: the AK holds 2 live tokens already \(set force_update/,
      ),
    );
  });

  it('decideIssueAccessToken with force_update evicts the oldest live token at the limit', () => {
    const events = decideIssueAccessToken(given(issued('s1'), issued('s2')), login('s3', true));

    assert.deepEqual(events, [revoked('s1'), issued('s3')]);
  });

  it('decideIssueAccessToken with force_update evicts nothing below the limit', () => {
    assert.deepEqual(decideIssueAccessToken(given(issued('s1')), login('s2', true)), [
      issued('s2'),
    ]);
  });

  it('decideIssueAccessToken does not count expired or revoked tokens', () => {
    const expiredAt = later(ttlSeconds);
    const state = given(issued('s1'), issued('s2'), revoked('s2'));

    assert.deepEqual(decideIssueAccessToken(state, login('s3')), [issued('s3')]);
    assert.deepEqual(
      decideIssueAccessToken(given(issued('s1'), issued('s2')), login('s3', false, expiredAt)),
      [issued('s3', expiredAt)],
    );
  });
});

describe('decideRefreshAccessToken', () => {
  const refresh = (sessionId: string, generation: number, at: Date) => ({
    sessionId,
    generation,
    ttlSeconds,
    now: at,
  });

  it('decideRefreshAccessToken moves a live session to the next generation', () => {
    const at = later(600);
    assert.deepEqual(decideRefreshAccessToken(given(issued('s1')), refresh('s1', 0, at)), [
      refreshed('s1', 1, at),
    ]);
  });

  it('decideRefreshAccessToken keeps a refreshed session live past the first expiry', () => {
    const state = given(issued('s1'), refreshed('s1', 1, later(600)));

    assert.equal(liveSessions(state, later(ttlSeconds + 1)).length, 1);
    assert.equal(liveSessions(state, later(ttlSeconds + 601)).length, 0);
  });

  it('decideRefreshAccessToken refuses a replaced, revoked, expired or unknown token', () => {
    const cases = [
      [given(issued('s1'), refreshed('s1', 1, later(10))), refresh('s1', 0, later(20))],
      [given(issued('s1'), revoked('s1')), refresh('s1', 0, later(20))],
      [given(issued('s1')), refresh('s1', 0, later(ttlSeconds))],
      [given(issued('s1')), refresh('s9', 0, later(20))],
    ] as const;

    for (const [state, command] of cases) {
      assert.throws(
        () => decideRefreshAccessToken(state, command),
        rejectsWith(errorCodes.UNAUTHENTICATED, /^Cannot refresh access token: /),
      );
    }
  });
});

describe('credentialStreamName', () => {
  it('credentialStreamName names one stream per enterprise and AK', () => {
    assert.equal(credentialStreamName(userId, ak), `credential-${userId}-AK1`);
  });
});
