/**
 * Accounts that log in with a login name and password: users of an enterprise (with a role)
 * and personal accounts (a tenant of their own, owning devices directly). Stream
 * `user-<login_name>`: keying the stream by the login name makes the name unique across the
 * platform by the append's expected revision alone, with no second stream to reserve it.
 * Passwords are stored only as PBKDF2 hashes.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/**
 * What an account may do: an enterprise's administrators manage everything of it (so does its
 * AK/SK); department managers manage their department (a device organisation) and below;
 * common users read and watch. A personal account manages what it owns.
 */
export const roles = ['ENTERPRISE_ADMIN', 'DEPARTMENT_MANAGER', 'COMMON_USER', 'PERSONAL'] as const;
export type Role = (typeof roles)[number];

/** The roles of an enterprise's users, as the API assigns them. */
export const enterpriseRoles = ['ENTERPRISE_ADMIN', 'DEPARTMENT_MANAGER', 'COMMON_USER'] as const;
export type EnterpriseRole = (typeof enterpriseRoles)[number];

export type AccountKind = 'ENTERPRISE' | 'PERSONAL';

export type AccountEvent =
  | {
      type: 'AccountCreated';
      data: {
        loginName: string;
        /** The enterprise, or for a personal account its own user ID. */
        userId: string;
        kind: AccountKind;
        role: Role;
        deviceOrgId: string;
        displayName: string;
        passwordHash: string;
        at: string;
      };
    }
  | {
      type: 'AccountRoleChanged';
      data: { loginName: string; userId: string; role: Role; deviceOrgId: string; at: string };
    }
  | {
      type: 'AccountPasswordChanged';
      data: { loginName: string; userId: string; passwordHash: string; at: string };
    }
  | { type: 'AccountDeleted'; data: { loginName: string; userId: string; at: string } };

export interface Account {
  readonly loginName: string;
  readonly exists: boolean;
  readonly userId: string;
  readonly kind: AccountKind;
  readonly role: Role;
  readonly deviceOrgId: string;
}

/** The stream of the account `loginName`. */
export function accountStreamName(loginName: string): string {
  return `user-${loginName}`;
}

export function evolveAccount(account: Account, event: AccountEvent): Account {
  switch (event.type) {
    case 'AccountCreated': {
      const { userId, kind, role, deviceOrgId } = event.data;
      return { ...account, exists: true, userId, kind, role, deviceOrgId };
    }
    case 'AccountRoleChanged':
      return { ...account, role: event.data.role, deviceOrgId: event.data.deviceOrgId };
    case 'AccountPasswordChanged':
      return account;
    case 'AccountDeleted':
      return { ...account, exists: false };
  }
}

export function foldAccount(loginName: string, events: readonly AccountEvent[]): Account {
  return events.reduce(evolveAccount, {
    loginName,
    exists: false,
    userId: '',
    kind: 'ENTERPRISE',
    role: 'COMMON_USER',
    deviceOrgId: '0',
  });
}

/**
 * Creates an enterprise user or a personal account. A deleted account's login name may be
 * taken again.
 * @throws ArgusError CONFLICT where the login name is taken; VALIDATION where the role does
 * not fit the kind of account
 */
export function decideCreateAccount(
  account: Account,
  command: {
    userId: string;
    kind: AccountKind;
    role: Role;
    deviceOrgId: string;
    displayName: string;
    passwordHash: string;
    at: Date;
  },
): AccountEvent[] {
  if (account.exists) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot create account: login name ${account.loginName} is taken`,
    );
  }
  assertRoleFits(command.kind, command.role, 'create account');
  const { at, ...data } = command;
  return [
    {
      type: 'AccountCreated',
      data: { loginName: account.loginName, ...data, at: at.toISOString() },
    },
  ];
}

/**
 * Gives an enterprise user another role or department.
 * @throws ArgusError NOT_FOUND where the enterprise has no such user; VALIDATION for a
 * personal account or the PERSONAL role
 */
export function decideChangeRole(
  account: Account,
  command: { userId: string; role: Role; deviceOrgId: string; at: Date },
): AccountEvent[] {
  assertMember(account, command.userId, 'change role');
  assertRoleFits(account.kind, command.role, 'change role');
  if (account.role === command.role && account.deviceOrgId === command.deviceOrgId) return [];
  return [
    {
      type: 'AccountRoleChanged',
      data: {
        loginName: account.loginName,
        userId: account.userId,
        role: command.role,
        deviceOrgId: command.deviceOrgId,
        at: command.at.toISOString(),
      },
    },
  ];
}

/** @throws ArgusError NOT_FOUND where the tenant has no such account */
export function decideChangePassword(
  account: Account,
  command: { userId: string; passwordHash: string; at: Date },
): AccountEvent[] {
  assertMember(account, command.userId, 'change password');
  return [
    {
      type: 'AccountPasswordChanged',
      data: {
        loginName: account.loginName,
        userId: account.userId,
        passwordHash: command.passwordHash,
        at: command.at.toISOString(),
      },
    },
  ];
}

/** @throws ArgusError NOT_FOUND where the enterprise has no such user */
export function decideDeleteAccount(
  account: Account,
  command: { userId: string; at: Date },
): AccountEvent[] {
  assertMember(account, command.userId, 'delete account');
  return [
    {
      type: 'AccountDeleted',
      data: { loginName: account.loginName, userId: account.userId, at: command.at.toISOString() },
    },
  ];
}

function assertMember(account: Account, userId: string, action: string): void {
  // Another tenant's account reads as absent: its existence is not told.
  if (!account.exists || account.userId !== userId) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot ${action}: no account ${account.loginName} in ${userId}`,
    );
  }
}

function assertRoleFits(kind: AccountKind, role: Role, action: string): void {
  if ((kind === 'PERSONAL') !== (role === 'PERSONAL')) {
    throw new ArgusError(
      errorCodes.VALIDATION,
      `Cannot ${action}: role ${role} does not fit a ${kind.toLowerCase()} account`,
    );
  }
}
