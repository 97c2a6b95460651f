/**
 * The account decider as specifications: given the events of `user-<login_name>`, a command
 * gives the events to append or a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  accountStreamName,
  decideChangePassword,
  decideChangeRole,
  decideCreateAccount,
  decideDeleteAccount,
  foldAccount,
  type AccountEvent,
} from '../../../src/domain/account.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';

const loginName = 'alice';
const userId = '100000000000000001';
const otherUserId = '100000000000000002';
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();

const create = {
  userId,
  kind: 'ENTERPRISE' as const,
  role: 'COMMON_USER' as const,
  deviceOrgId: '0',
  displayName: 'Alice',
  passwordHash: 'hash',
  at,
};
const created: AccountEvent = {
  type: 'AccountCreated',
  data: {
    loginName,
    userId,
    kind: 'ENTERPRISE',
    role: 'COMMON_USER',
    deviceOrgId: '0',
    displayName: 'Alice',
    passwordHash: 'hash',
    at: iso,
  },
};
const deleted: AccountEvent = { type: 'AccountDeleted', data: { loginName, userId, at: iso } };

const given = (...events: AccountEvent[]) => foldAccount(loginName, events);

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('decideCreateAccount', () => {
  it('decideCreateAccount records a user of the enterprise with the password hash only', () => {
    assert.deepEqual(decideCreateAccount(given(), create), [created]);
  });

  it('decideCreateAccount refuses a login name taken on any tenant with CONFLICT', () => {
    assert.throws(
      () => decideCreateAccount(given(created), { ...create, userId: otherUserId }),
      rejectsWith(errorCodes.CONFLICT, /^Cannot create account: login name alice is taken$/),
    );
  });

  it('decideCreateAccount takes the login name of a deleted account again', () => {
    assert.equal(decideCreateAccount(given(created, deleted), create).length, 1);
  });

  it('decideCreateAccount refuses a role that does not fit the kind with VALIDATION', () => {
    const misfits = [
      { ...create, role: 'PERSONAL' as const },
      { ...create, kind: 'PERSONAL' as const, role: 'ENTERPRISE_ADMIN' as const },
    ];
    for (const command of misfits) {
      assert.throws(
        () => decideCreateAccount(given(), command),
        rejectsWith(errorCodes.VALIDATION, /^Cannot create account: role \w+ does not fit/),
      );
    }
  });

  it('decideCreateAccount records a personal account as a tenant of its own', () => {
    const [event] = decideCreateAccount(given(), {
      ...create,
      userId: otherUserId,
      kind: 'PERSONAL',
      role: 'PERSONAL',
    });
    assert.equal(event?.type, 'AccountCreated');
    assert.equal(foldAccount(loginName, [event as AccountEvent]).userId, otherUserId);
  });
});

describe('decideChangeRole', () => {
  it('decideChangeRole records a new role and department', () => {
    const command = { userId, role: 'DEPARTMENT_MANAGER' as const, deviceOrgId: '3', at };
    assert.deepEqual(decideChangeRole(given(created), command), [
      {
        type: 'AccountRoleChanged',
        data: { loginName, userId, role: 'DEPARTMENT_MANAGER', deviceOrgId: '3', at: iso },
      },
    ]);
  });

  it('decideChangeRole changes nothing for the same role and department', () => {
    const command = { userId, role: 'COMMON_USER' as const, deviceOrgId: '0', at };
    assert.deepEqual(decideChangeRole(given(created), command), []);
  });

  it("decideChangeRole refuses another tenant's or a deleted account with NOT_FOUND", () => {
    const cases = [
      [given(created), otherUserId],
      [given(created, deleted), userId],
    ] as const;
    for (const [account, caller] of cases) {
      assert.throws(
        () =>
          decideChangeRole(account, { userId: caller, role: 'COMMON_USER', deviceOrgId: '0', at }),
        rejectsWith(errorCodes.NOT_FOUND, /^Cannot change role: no account alice in /),
      );
    }
  });
});

describe('decideChangePassword and decideDeleteAccount', () => {
  it('decideChangePassword records the new hash', () => {
    assert.deepEqual(decideChangePassword(given(created), { userId, passwordHash: 'h2', at }), [
      { type: 'AccountPasswordChanged', data: { loginName, userId, passwordHash: 'h2', at: iso } },
    ]);
  });

  it('decideDeleteAccount records the deletion once', () => {
    assert.deepEqual(decideDeleteAccount(given(created), { userId, at }), [deleted]);
    assert.throws(
      () => decideDeleteAccount(given(created, deleted), { userId, at }),
      rejectsWith(errorCodes.NOT_FOUND, /^Cannot delete account: /),
    );
  });

  it('accountStreamName keys the stream by the login name', () => {
    assert.equal(accountStreamName('alice'), 'user-alice');
  });
});
