/**
 * The enterprise aggregate: stream `enterprise-<user_id>`. Holds the AK/SK credentials; the
 * secret key is stored only as a PBKDF2 hash. The pairs live in this stream, not in streams
 * of their own, because their limit is a rule over all of the enterprise's pairs: deciding it
 * on one stream makes two concurrent issues race on the expected revision instead of both
 * passing. The tokens of a pair are in a stream per pair (access-token.ts), so logins do not
 * grow this stream.
 */
import { ArgusError, errorCodes } from '../errors.ts';

export type EnterpriseEvent =
  | { type: 'EnterpriseCreated'; data: { userId: string; name: string; at: string } }
  | { type: 'CredentialIssued'; data: { userId: string; ak: string; skHash: string; at: string } };

export type EnterpriseEventType = EnterpriseEvent['type'];

export const enterpriseEventTypes: readonly EnterpriseEventType[] = [
  'EnterpriseCreated',
  'CredentialIssued',
];

/** A pair deleted: its AK is refused from now on, with every token issued for it. */
export interface CredentialDeleted {
  type: 'CredentialDeleted';
  data: { userId: string; ak: string; at: string };
}

/** Every event of an enterprise's stream. */
export type EnterpriseStreamEvent = EnterpriseEvent | CredentialDeleted;

/** How many AK/SK pairs an enterprise may hold at once (DESIGN.md: a small number). */
export const maxCredentialsPerEnterprise = 2;

export interface Enterprise {
  readonly exists: boolean;
  readonly userId: string;
  readonly credentials: readonly { ak: string; skHash: string }[];
  /** AKs deleted: never issued again, so a pair's token stream serves one pair only. */
  readonly retiredAks: readonly string[];
}

export function evolveEnterprise(enterprise: Enterprise, event: EnterpriseStreamEvent): Enterprise {
  switch (event.type) {
    case 'EnterpriseCreated':
      return { ...enterprise, exists: true };
    case 'CredentialIssued':
      return {
        ...enterprise,
        credentials: [...enterprise.credentials, { ak: event.data.ak, skHash: event.data.skHash }],
      };
    case 'CredentialDeleted':
      return {
        ...enterprise,
        credentials: enterprise.credentials.filter((c) => c.ak !== event.data.ak),
        retiredAks: [...enterprise.retiredAks, event.data.ak],
      };
  }
}

export function foldEnterprise(
  userId: string,
  events: readonly EnterpriseStreamEvent[],
): Enterprise {
  return events.reduce(evolveEnterprise, {
    exists: false,
    userId,
    credentials: [],
    retiredAks: [],
  });
}

export function decideCreateEnterprise(
  enterprise: Enterprise,
  command: { name: string; at: Date },
): EnterpriseEvent[] {
  if (enterprise.exists) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot create enterprise: ${enterprise.userId} exists`,
    );
  }
  return [
    {
      type: 'EnterpriseCreated',
      data: { userId: enterprise.userId, name: command.name, at: command.at.toISOString() },
    },
  ];
}

export function decideIssueCredential(
  enterprise: Enterprise,
  command: { ak: string; skHash: string; at: Date },
): EnterpriseEvent[] {
  if (!enterprise.exists) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot issue credential: no enterprise ${enterprise.userId}`,
    );
  }
  if (enterprise.credentials.length >= maxCredentialsPerEnterprise) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot issue credential: the enterprise holds ${maxCredentialsPerEnterprise} already`,
      { limit: maxCredentialsPerEnterprise, hint: 'delete one to make room' },
    );
  }
  if (enterprise.credentials.some((c) => c.ak === command.ak)) {
    throw new ArgusError(errorCodes.CONFLICT, 'Cannot issue credential: the AK is in use');
  }
  if (enterprise.retiredAks.includes(command.ak)) {
    throw new ArgusError(errorCodes.CONFLICT, 'Cannot issue credential: the AK was deleted');
  }
  return [
    {
      type: 'CredentialIssued',
      data: {
        userId: enterprise.userId,
        ak: command.ak,
        skHash: command.skHash,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Deletes a pair; its tokens stop working with it.
 * @throws ArgusError NOT_FOUND where the enterprise holds no such AK
 */
export function decideDeleteCredential(
  enterprise: Enterprise,
  command: { ak: string; at: Date },
): CredentialDeleted[] {
  if (!enterprise.credentials.some((c) => c.ak === command.ak)) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot delete credential: no AK ${command.ak} in enterprise ${enterprise.userId}`,
    );
  }
  return [
    {
      type: 'CredentialDeleted',
      data: { userId: enterprise.userId, ak: command.ak, at: command.at.toISOString() },
    },
  ];
}

/**
 * Creates an enterprise with its first AK/SK pair, in one append.
 * @throws ArgusError CONFLICT where the enterprise exists
 */
export function decideCreateEnterpriseWithCredential(
  enterprise: Enterprise,
  command: { name: string; ak: string; skHash: string; at: Date },
): EnterpriseEvent[] {
  const created = decideCreateEnterprise(enterprise, command);
  const next = created.reduce(evolveEnterprise, enterprise);
  return [...created, ...decideIssueCredential(next, command)];
}
