/**
 * The enterprise decider as specifications: given the events of an enterprise's stream, a
 * command gives the events to append or a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decideCreateEnterprise,
  decideCreateEnterpriseWithCredential,
  decideDeleteCredential,
  decideIssueCredential,
  foldEnterprise,
  maxCredentialsPerEnterprise,
  type EnterpriseEvent,
  type EnterpriseStreamEvent,
} from '../../../src/domain/enterprise.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';

const userId = '100000000000000001';
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();

const created: EnterpriseEvent = {
  type: 'EnterpriseCreated',
  data: { userId, name: 'Default enterprise', at: iso },
};
const issued = (ak: string): EnterpriseEvent => ({
  type: 'CredentialIssued',
  data: { userId, ak, skHash: `hash-of-${ak}`, at: iso },
});

const deleted = (ak: string): EnterpriseStreamEvent => ({
  type: 'CredentialDeleted',
  data: { userId, ak, at: iso },
});

/** The enterprise after `events`. */
const given = (...events: EnterpriseStreamEvent[]) => foldEnterprise(userId, events);

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('decideCreateEnterprise', () => {
  it('decideCreateEnterprise records a new enterprise', () => {
    assert.deepEqual(decideCreateEnterprise(given(), { name: 'Default enterprise', at }), [
      created,
    ]);
  });

  it('decideCreateEnterprise refuses an enterprise created already with CONFLICT', () => {
    assert.throws(
      () => decideCreateEnterprise(given(created), { name: 'Again', at }),
      rejectsWith(errorCodes.CONFLICT, /^Cannot create enterprise: 100000000000000001 exists$/),
    );
  });
});

describe('decideIssueCredential', () => {
  it('decideIssueCredential records a credential with the SK hash only', () => {
    assert.deepEqual(
      decideIssueCredential(given(created), { ak: 'AK1', skHash: 'hash-of-AK1', at }),
      [issued('AK1')],
    );
  });

  it('decideIssueCredential refuses an unknown enterprise with NOT_FOUND', () => {
    assert.throws(
      () => decideIssueCredential(given(), { ak: 'AK1', skHash: 'h', at }),
      rejectsWith(errorCodes.NOT_FOUND, /^Cannot issue credential: no enterprise/),
    );
  });

  it('decideIssueCredential allows two credentials and refuses a third with CONFLICT', () => {
    assert.equal(maxCredentialsPerEnterprise, 2);
    assert.equal(
      decideIssueCredential(given(created, issued('AK1')), { ak: 'AK2', skHash: 'h', at }).length,
      1,
    );

    assert.throws(
      () =>
        decideIssueCredential(given(created, issued('AK1'), issued('AK2')), {
          ak: 'AK3',
          skHash: 'h',
          at,
        }),
      rejectsWith(errorCodes.CONFLICT, /^Cannot issue credential: the enterprise holds 2 already$/),
    );
  });

  it('decideIssueCredential refuses an AK the enterprise holds with CONFLICT', () => {
    assert.throws(
      () => decideIssueCredential(given(created, issued('AK1')), { ak: 'AK1', skHash: 'h', at }),
      rejectsWith(errorCodes.CONFLICT, /^Cannot issue credential: the AK is in use$/),
    );
  });
});

describe('foldEnterprise', () => {
  it('foldEnterprise keeps the credentials in the order issued', () => {
    const enterprise = given(created, issued('AK1'), issued('AK2'));

    assert.equal(enterprise.exists, true);
    assert.deepEqual(
      enterprise.credentials.map((c) => c.ak),
      ['AK1', 'AK2'],
    );
  });
});

describe('decideDeleteCredential', () => {
  it('decideDeleteCredential records the deletion of a held AK', () => {
    assert.deepEqual(decideDeleteCredential(given(created, issued('AK1')), { ak: 'AK1', at }), [
      deleted('AK1'),
    ]);
  });

  it('decideDeleteCredential refuses an AK not held, or deleted already, with NOT_FOUND', () => {
    for (const enterprise of [given(created), given(created, issued('AK1'), deleted('AK1'))]) {
      assert.throws(
        () => decideDeleteCredential(enterprise, { ak: 'AK1', at }),
        rejectsWith(errorCodes.NOT_FOUND, /^Cannot delete credential: no AK AK1 in enterprise/),
      );
    }
  });

  it('decideIssueCredential makes room for a third pair once one of two is deleted', () => {
    const full = [created, issued('AK1'), issued('AK2')];

    assert.throws(() => decideIssueCredential(given(...full), { ak: 'AK3', skHash: 'h', at }));
    assert.deepEqual(
      decideIssueCredential(given(...full, deleted('AK1')), {
        ak: 'AK3',
        skHash: 'hash-of-AK3',
        at,
      }),
      [issued('AK3')],
    );
  });

  it('decideIssueCredential refuses a deleted AK again with CONFLICT', () => {
    assert.throws(
      () =>
        decideIssueCredential(given(created, issued('AK1'), deleted('AK1')), {
          ak: 'AK1',
          skHash: 'h',
          at,
        }),
      rejectsWith(errorCodes.CONFLICT, /^Cannot issue credential: the AK was deleted$/),
    );
  });

  it('decideIssueCredential names the limit in the refusal details', () => {
    try {
      decideIssueCredential(given(created, issued('AK1'), issued('AK2')), {
        ak: 'AK3',
        skHash: 'h',
        at,
      });
      assert.fail('a third pair was issued');
    } catch (error) {
      assert.ok(isArgusError(error, errorCodes.CONFLICT));
      assert.equal(error.details['limit'], maxCredentialsPerEnterprise);
    }
  });
});

describe('decideCreateEnterpriseWithCredential', () => {
  it('decideCreateEnterpriseWithCredential records the enterprise and its first pair', () => {
    assert.deepEqual(
      decideCreateEnterpriseWithCredential(given(), {
        name: 'Default enterprise',
        ak: 'AK1',
        skHash: 'hash-of-AK1',
        at,
      }),
      [created, issued('AK1')],
    );
  });

  it('decideCreateEnterpriseWithCredential refuses an existing enterprise with CONFLICT', () => {
    assert.throws(
      () =>
        decideCreateEnterpriseWithCredential(given(created), {
          name: 'Again',
          ak: 'AK9',
          skHash: 'h',
          at,
        }),
      rejectsWith(errorCodes.CONFLICT, /^Cannot create enterprise: .* exists$/),
    );
  });
});
