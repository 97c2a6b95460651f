/**
 * The enterprise aggregate: stream `enterprise-<user_id>`. Holds the AK/SK credentials; the
 * secret key is stored only as a PBKDF2 hash.
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

/** How many AK/SK pairs an enterprise may hold at once (DESIGN.md: a small number). */
export const maxCredentialsPerEnterprise = 2;

export interface Enterprise {
  readonly exists: boolean;
  readonly userId: string;
  readonly credentials: readonly { ak: string; skHash: string }[];
}

export function evolveEnterprise(enterprise: Enterprise, event: EnterpriseEvent): Enterprise {
  switch (event.type) {
    case 'EnterpriseCreated':
      return { ...enterprise, exists: true };
    case 'CredentialIssued':
      return {
        ...enterprise,
        credentials: [...enterprise.credentials, { ak: event.data.ak, skHash: event.data.skHash }],
      };
  }
}

export function foldEnterprise(userId: string, events: readonly EnterpriseEvent[]): Enterprise {
  return events.reduce(evolveEnterprise, { exists: false, userId, credentials: [] });
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
    );
  }
  if (enterprise.credentials.some((c) => c.ak === command.ak)) {
    throw new ArgusError(errorCodes.CONFLICT, 'Cannot issue credential: the AK is in use');
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
