/**
 * The device organisation tree as specifications: given the events of
 * `device-org-tree-<user_id>`, a command gives the events to append or a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decideCreateDeviceOrg,
  decideDeleteDeviceOrg,
  decideRenameDeviceOrg,
  evolveDeviceOrgTree,
  foldDeviceOrgTree,
  isWithin,
  levelOf,
  maxOrgLevels,
  type DeviceOrgEvent,
  type DeviceOrgTree,
} from '../../../src/domain/device-org-tree.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';

const userId = '100000000000000001';
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();
const none = { devices: 0, users: 0 };

const created = (deviceOrgId: string, parentOrgId: string, name: string): DeviceOrgEvent => ({
  type: 'DeviceOrgCreated',
  data: { userId, deviceOrgId, parentOrgId, name, at: iso },
});

const given = (...events: DeviceOrgEvent[]) => foldDeviceOrgTree(userId, events);

/** A chain 1 → 2 → … → n below the root: org n is at level n + 1. */
function chain(n: number): DeviceOrgTree {
  const events = Array.from({ length: n }, (_, i) =>
    created(String(i + 1), i === 0 ? '0' : String(i), `Level ${i + 2}`),
  );
  return given(...events);
}

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('decideCreateDeviceOrg', () => {
  it('decideCreateDeviceOrg numbers organisations 1, 2, … under the root 0', () => {
    assert.deepEqual(decideCreateDeviceOrg(given(), { parentOrgId: '0', name: 'North', at }), [
      created('1', '0', 'North'),
    ]);
    const tree = given(created('1', '0', 'North'));
    assert.deepEqual(decideCreateDeviceOrg(tree, { parentOrgId: '1', name: 'Gate', at }), [
      created('2', '1', 'Gate'),
    ]);
  });

  it('decideCreateDeviceOrg never reuses the ID of a deleted organisation', () => {
    const tree = given(created('1', '0', 'North'), {
      type: 'DeviceOrgDeleted',
      data: { userId, deviceOrgId: '1', at: iso },
    });
    const [event] = decideCreateDeviceOrg(tree, { parentOrgId: '0', name: 'North', at });
    assert.equal(event?.data.deviceOrgId, '2');
  });

  it('decideCreateDeviceOrg refuses an unknown parent with NOT_FOUND', () => {
    assert.throws(
      () => decideCreateDeviceOrg(given(), { parentOrgId: '7', name: 'X', at }),
      rejectsWith(errorCodes.NOT_FOUND, /^Cannot create device organisation: no parent .* 7$/),
    );
  });

  it('decideCreateDeviceOrg allows 9 levels and refuses a tenth with CONFLICT', () => {
    assert.equal(maxOrgLevels, 9);
    const eightDeep = chain(7); // root + 7 levels: org 7 is at level 8
    assert.equal(levelOf(eightDeep, '7'), 8);
    const [ninth] = decideCreateDeviceOrg(eightDeep, { parentOrgId: '7', name: 'Ninth', at });
    assert.ok(ninth !== undefined);

    const nineDeep = evolveDeviceOrgTree(eightDeep, ninth);
    assert.equal(levelOf(nineDeep, '8'), 9);
    assert.throws(
      () => decideCreateDeviceOrg(nineDeep, { parentOrgId: '8', name: 'Tenth', at }),
      rejectsWith(
        errorCodes.CONFLICT,
        /^Cannot create device organisation: the tree is at most 9 levels deep$/,
      ),
    );
  });

  it('decideCreateDeviceOrg refuses a sibling name in use with CONFLICT', () => {
    const tree = given(created('1', '0', 'North'), created('2', '1', 'Gate'));
    assert.throws(
      () => decideCreateDeviceOrg(tree, { parentOrgId: '0', name: 'North', at }),
      rejectsWith(errorCodes.CONFLICT, /has a sub-organisation named North$/),
    );
    assert.equal(decideCreateDeviceOrg(tree, { parentOrgId: '0', name: 'Gate', at }).length, 1);
  });
});

describe('decideRenameDeviceOrg', () => {
  const tree = given(created('1', '0', 'North'), created('2', '0', 'South'));

  it('decideRenameDeviceOrg records the new name, and nothing for the same name', () => {
    assert.deepEqual(decideRenameDeviceOrg(tree, { deviceOrgId: '1', name: 'East', at }), [
      { type: 'DeviceOrgRenamed', data: { userId, deviceOrgId: '1', name: 'East', at: iso } },
    ]);
    assert.deepEqual(decideRenameDeviceOrg(tree, { deviceOrgId: '1', name: 'North', at }), []);
  });

  it('decideRenameDeviceOrg refuses the root, an unknown org and a sibling name', () => {
    assert.throws(
      () => decideRenameDeviceOrg(tree, { deviceOrgId: '0', name: 'X', at }),
      rejectsWith(errorCodes.CONFLICT, /0 is the root organisation$/),
    );
    assert.throws(
      () => decideRenameDeviceOrg(tree, { deviceOrgId: '9', name: 'X', at }),
      rejectsWith(errorCodes.NOT_FOUND, /no organisation 9$/),
    );
    assert.throws(
      () => decideRenameDeviceOrg(tree, { deviceOrgId: '1', name: 'South', at }),
      rejectsWith(errorCodes.CONFLICT, /named South$/),
    );
  });
});

describe('decideDeleteDeviceOrg', () => {
  const tree = given(created('1', '0', 'North'), created('2', '1', 'Gate'));

  it('decideDeleteDeviceOrg deletes an empty leaf', () => {
    assert.deepEqual(decideDeleteDeviceOrg(tree, { deviceOrgId: '2', members: none, at }), [
      { type: 'DeviceOrgDeleted', data: { userId, deviceOrgId: '2', at: iso } },
    ]);
  });

  it('decideDeleteDeviceOrg refuses while it has sub-organisations, devices or users', () => {
    const cases = [
      ['1', none, /it holds 1 sub-organisations$/],
      ['2', { devices: 3, users: 0 }, /it holds 3 devices$/],
      ['2', { devices: 0, users: 2 }, /it holds 2 users$/],
    ] as const;
    for (const [deviceOrgId, members, message] of cases) {
      assert.throws(
        () => decideDeleteDeviceOrg(tree, { deviceOrgId, members, at }),
        rejectsWith(errorCodes.CONFLICT, message),
      );
    }
  });

  it('decideDeleteDeviceOrg refuses the root and an unknown organisation', () => {
    assert.throws(
      () => decideDeleteDeviceOrg(tree, { deviceOrgId: '0', members: none, at }),
      rejectsWith(errorCodes.CONFLICT, /root organisation/),
    );
    assert.throws(
      () => decideDeleteDeviceOrg(tree, { deviceOrgId: '5', members: none, at }),
      rejectsWith(errorCodes.NOT_FOUND, /no organisation 5$/),
    );
  });
});

describe('isWithin', () => {
  it('isWithin holds for an organisation, its descendants and the root', () => {
    const tree = given(
      created('1', '0', 'North'),
      created('2', '1', 'Gate'),
      created('3', '0', 'S'),
    );
    assert.equal(isWithin(tree, '2', '1'), true);
    assert.equal(isWithin(tree, '1', '1'), true);
    assert.equal(isWithin(tree, '3', '0'), true);
    assert.equal(isWithin(tree, '3', '1'), false);
    assert.equal(isWithin(tree, '1', '2'), false);
  });
});
