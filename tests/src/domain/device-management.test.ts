/**
 * The device decider's management rules as specifications: organisations, binding to one
 * tenant, edits, credentials, moves and deletion (which releases the binding); and channel
 * IDs as the API takes them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { channelIdProblem } from '../../../src/domain/channel-id.ts';
import {
  decideAddDevice,
  decideChangeCredentials,
  decideDeleteDevice,
  decideEditDevice,
  decideMoveDevice,
  decideRegister,
  foldDevice,
  type DeviceEvent,
} from '../../../src/domain/device.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';

const deviceId = '34020000001320000001';
const owner = '100000000000000001';
const other = '100000000000000002';
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();

const added: DeviceEvent = {
  type: 'DeviceAdded',
  data: { deviceId, userId: owner, name: 'Gate', password: '12345678', at: iso },
};
const deleted: DeviceEvent = { type: 'DeviceDeleted', data: { deviceId, userId: owner, at: iso } };

const given = (...events: DeviceEvent[]) => foldDevice(deviceId, events);

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('decideAddDevice in organisations', () => {
  it('decideAddDevice records the organisation and description, the root 0 by default', () => {
    const command = { userId: owner, name: 'Gate', password: 'p', deviceOrgId: '3', at };

    const [event] = decideAddDevice(given(), { ...command, description: 'North gate' });
    const atRoot = decideAddDevice(given(), { ...command, deviceOrgId: '0' });

    assert.deepEqual(event?.data, {
      ...{ deviceId, userId: owner, name: 'Gate', password: 'p' },
      ...{ deviceOrgId: '3', description: 'North gate', at: iso },
    });
    assert.equal(given(event!).deviceOrgId, '3');
    assert.equal('deviceOrgId' in (atRoot[0]?.data ?? {}), false);
    assert.equal(given(...atRoot).deviceOrgId, '0');
  });

  it('decideAddDevice refuses a device bound to another account without naming it', () => {
    const command = { userId: other, name: 'Mine', password: 'p', at };

    assert.throws(
      () => decideAddDevice(given(added), command),
      rejectsWith(errorCodes.CONFLICT, /bound to another account/),
    );
    assert.throws(
      () => decideAddDevice(given(added), command),
      (error: Error) => !error.message.includes(owner),
    );
  });

  it('decideAddDevice accepts a deleted device again, from any account, afresh', () => {
    const device = given(added, deleted);

    const events = decideAddDevice(device, { userId: other, name: 'Again', password: 'q', at });

    assert.equal(device.exists, false);
    assert.deepEqual(given(added, deleted, ...events).userId, other);
    assert.equal(given(added, deleted, ...events).password, 'q');
  });
});

describe('decideEditDevice', () => {
  it('decideEditDevice records the name and description after the change', () => {
    const events = decideEditDevice(given(added), { userId: owner, description: 'Lobby', at });

    assert.deepEqual(events, [
      {
        type: 'DeviceEdited',
        data: { deviceId, userId: owner, name: 'Gate', description: 'Lobby', at: iso },
      },
    ]);
  });

  it('decideEditDevice records nothing where nothing changes', () => {
    assert.deepEqual(decideEditDevice(given(added), { userId: owner, name: 'Gate', at }), []);
  });

  it('decideEditDevice refuses other accounts, unknown and deleted devices: NOT_FOUND', () => {
    const notFound = rejectsWith(
      errorCodes.NOT_FOUND,
      /^Cannot find device: 34020000001320000001$/,
    );
    const edit = { name: 'X', at };

    assert.throws(() => decideEditDevice(given(added), { ...edit, userId: other }), notFound);
    assert.throws(() => decideEditDevice(given(), { ...edit, userId: owner }), notFound);
    assert.throws(
      () => decideEditDevice(given(added, deleted), { ...edit, userId: owner }),
      notFound,
    );
  });
});

describe('decideChangeCredentials', () => {
  it('decideChangeCredentials records new credentials, keeping what was not given', () => {
    const events = decideChangeCredentials(given(added), {
      userId: owner,
      algorithm: 'SHA-256',
      at,
    });
    const device = given(added, ...events);

    assert.equal(events[0]?.type, 'DeviceCredentialsChanged');
    assert.deepEqual(
      [device.password, device.algorithm, device.username],
      ['12345678', 'SHA-256', deviceId],
    );
  });

  it('decideChangeCredentials records nothing for the same credentials', () => {
    const same = { userId: owner, password: '12345678', algorithm: 'MD5' as const, at };

    assert.deepEqual(decideChangeCredentials(given(added), same), []);
  });

  it('decideChangeCredentials refuses another account with NOT_FOUND', () => {
    assert.throws(
      () => decideChangeCredentials(given(added), { userId: other, password: 'x', at }),
      rejectsWith(errorCodes.NOT_FOUND, /Cannot find device/),
    );
  });
});

describe('decideMoveDevice', () => {
  it('decideMoveDevice records the move from the organisation it was in', () => {
    const events = decideMoveDevice(given(added), { userId: owner, toOrgId: '4', at });

    assert.deepEqual(events, [
      {
        type: 'DeviceMoved',
        data: { deviceId, userId: owner, fromOrgId: '0', toOrgId: '4', at: iso },
      },
    ]);
    assert.equal(given(added, ...events).deviceOrgId, '4');
  });

  it('decideMoveDevice records nothing for the organisation it is in', () => {
    assert.deepEqual(decideMoveDevice(given(added), { userId: owner, toOrgId: '0', at }), []);
  });

  it('decideMoveDevice refuses another account with NOT_FOUND', () => {
    assert.throws(
      () => decideMoveDevice(given(added), { userId: other, toOrgId: '1', at }),
      rejectsWith(errorCodes.NOT_FOUND, /Cannot find device/),
    );
  });
});

describe('decideDeleteDevice', () => {
  it('decideDeleteDevice releases the binding: registrations are refused after it', () => {
    const events = decideDeleteDevice(given(added), { userId: owner, at });
    const register = {
      nodeId: 'm',
      transport: 'UDP' as const,
      remoteAddress: 'a:1',
      expires: 60,
      at,
    };

    assert.deepEqual(events, [deleted]);
    assert.throws(
      () => decideRegister(given(added, ...events), register),
      rejectsWith(errorCodes.NOT_FOUND, /Cannot find device/),
    );
  });

  it('decideDeleteDevice refuses another account and a device deleted already', () => {
    assert.throws(
      () => decideDeleteDevice(given(added), { userId: other, at }),
      rejectsWith(errorCodes.NOT_FOUND, /Cannot find device/),
    );
    assert.throws(
      () => decideDeleteDevice(given(added, deleted), { userId: owner, at }),
      rejectsWith(errorCodes.NOT_FOUND, /Cannot find device/),
    );
  });
});

describe('channelIdProblem', () => {
  it('channelIdProblem accepts camera channels of type 131 and 132', () => {
    assert.equal(channelIdProblem('34020000001310000001'), undefined);
    assert.equal(channelIdProblem('34020000001320000001'), undefined);
  });

  it('channelIdProblem names digits 11-13 where they are not a video channel type', () => {
    assert.equal(
      channelIdProblem('34020000001180000001'),
      'digits 11-13 are 118, not a video channel type (131 or 132)',
    );
    assert.match(channelIdProblem('34020000001340000001') ?? '', /are 134/);
  });

  it('channelIdProblem names the characters that are not digits', () => {
    assert.equal(channelIdProblem('3402000000131000000x'), 'character 20 is not a digit');
    assert.equal(channelIdProblem('a40200000013100-0001'), 'characters 1, 16 are not digits');
  });

  it('channelIdProblem takes 1 to 20 digits, and 20 for GB/T 28181 only', () => {
    assert.equal(channelIdProblem('1', 'OTHER'), undefined);
    assert.equal(channelIdProblem('12345678901234567890', 'OTHER'), undefined);
    assert.match(
      channelIdProblem('123456789012345678901', 'OTHER') ?? '',
      /1 to 20 digits, not 21/,
    );
    assert.match(channelIdProblem('', 'OTHER') ?? '', /not 0/);
    assert.match(channelIdProblem('3402000000131000001') ?? '', /20 digits, not 19/);
  });
});
