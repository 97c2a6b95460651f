/**
 * The access tokens of one AK/SK pair: stream `credential-<user_id>-<ak>`. A login opens a
 * session (a token slot); a refresh replaces the session's token by one of the next
 * generation; a session ends when its token expires unrefreshed or it is revoked. A pair
 * holds at most `maxTokensPerCredential` live sessions: a further login is refused, or with
 * `force_update` (Huawei IVM northbound API, access-token) evicts the oldest. The stream is
 * per pair so that logins of one pair never contend with another's or with the enterprise's
 * own stream; the enterprise's stream never re-issues a deleted AK, so one stream serves one
 * pair.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** How many live tokens one AK/SK pair may hold at once. */
export const maxTokensPerCredential = 2;

export type AccessTokenEvent =
  | {
      type: 'AccessTokenIssued';
      data: { userId: string; ak: string; sessionId: string; expiresAt: string; at: string };
    }
  | {
      type: 'AccessTokenRefreshed';
      data: {
        userId: string;
        ak: string;
        sessionId: string;
        generation: number;
        expiresAt: string;
        at: string;
      };
    }
  | {
      type: 'AccessTokenRevoked';
      data: { userId: string; ak: string; sessionId: string; reason: 'evicted'; at: string };
    };

export interface AccessSession {
  readonly sessionId: string;
  readonly generation: number;
  readonly expiresAt: string;
  readonly revoked: boolean;
}

export interface CredentialTokens {
  readonly userId: string;
  readonly ak: string;
  /** In the order the logins opened them: the first live one is the oldest. */
  readonly sessions: readonly AccessSession[];
}

/** The stream of one pair's tokens. */
export function credentialStreamName(userId: string, ak: string): string {
  return `credential-${userId}-${ak}`;
}

export function evolveCredentialTokens(
  state: CredentialTokens,
  event: AccessTokenEvent,
): CredentialTokens {
  const { sessionId } = event.data;
  const update = (change: (session: AccessSession) => AccessSession) => ({
    ...state,
    sessions: state.sessions.map((s) => (s.sessionId === sessionId ? change(s) : s)),
  });
  switch (event.type) {
    case 'AccessTokenIssued': {
      const session = { sessionId, generation: 0, expiresAt: event.data.expiresAt, revoked: false };
      return { ...state, sessions: [...state.sessions, session] };
    }
    case 'AccessTokenRefreshed':
      return update((s) => ({
        ...s,
        generation: event.data.generation,
        expiresAt: event.data.expiresAt,
      }));
    case 'AccessTokenRevoked':
      return update((s) => ({ ...s, revoked: true }));
  }
}

export function foldCredentialTokens(
  userId: string,
  ak: string,
  events: readonly AccessTokenEvent[],
): CredentialTokens {
  return events.reduce(evolveCredentialTokens, { userId, ak, sessions: [] });
}

/** The sessions whose token is neither revoked nor expired at `now`. */
export function liveSessions(state: CredentialTokens, now: Date): AccessSession[] {
  return state.sessions.filter((s) => !s.revoked && Date.parse(s.expiresAt) > now.getTime());
}

/**
 * Opens a session for a login that proved the pair. At the limit, `forceUpdate` evicts the
 * oldest live sessions to make room; without it the login is refused.
 * @throws ArgusError CONFLICT where the pair holds `maxTokensPerCredential` live tokens and
 * `forceUpdate` is not set
 */
export function decideIssueAccessToken(
  state: CredentialTokens,
  command: { sessionId: string; ttlSeconds: number; forceUpdate: boolean; now: Date },
): AccessTokenEvent[] {
  const { userId, ak } = state;
  const at = command.now.toISOString();
  const live = liveSessions(state, command.now);
  const excess = live.length - maxTokensPerCredential + 1;
  if (excess > 0 && !command.forceUpdate) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot issue access token: the AK holds ${maxTokensPerCredential} live tokens already ` +
        '(set force_update to replace the oldest)',
      { limit: maxTokensPerCredential },
    );
  }

  const evicted = live.slice(0, Math.max(0, excess)).map((s): AccessTokenEvent => ({
    type: 'AccessTokenRevoked',
    data: { userId, ak, sessionId: s.sessionId, reason: 'evicted', at },
  }));
  const expiresAt = new Date(command.now.getTime() + command.ttlSeconds * 1000).toISOString();
  return [
    ...evicted,
    {
      type: 'AccessTokenIssued',
      data: { userId, ak, sessionId: command.sessionId, expiresAt, at },
    },
  ];
}

/**
 * Replaces a live session's token by one of the next generation, valid `ttlSeconds` from
 * now. Only the token of the session's current generation may refresh it, so a refreshed
 * (replaced) token can neither be used nor refresh again.
 * @throws ArgusError UNAUTHENTICATED where the session is unknown, revoked, expired, or the
 * token is not its current one
 */
export function decideRefreshAccessToken(
  state: CredentialTokens,
  command: { sessionId: string; generation: number; ttlSeconds: number; now: Date },
): AccessTokenEvent[] {
  const session = liveSessions(state, command.now).find((s) => s.sessionId === command.sessionId);
  if (session === undefined || session.generation !== command.generation) {
    throw new ArgusError(
      errorCodes.UNAUTHENTICATED,
      'Cannot refresh access token: the token is revoked, expired or replaced',
    );
  }
  const expiresAt = new Date(command.now.getTime() + command.ttlSeconds * 1000).toISOString();
  return [
    {
      type: 'AccessTokenRefreshed',
      data: {
        userId: state.userId,
        ak: state.ak,
        sessionId: session.sessionId,
        generation: session.generation + 1,
        expiresAt,
        at: command.now.toISOString(),
      },
    },
  ];
}
