/**
 * The device-share decider as specifications: given the events of a device's share stream, a
 * command gives the events to append or a typed error; the limits at the limit and one past
 * it; and grantees racing on the stream of a real SQLite event store past the limit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { handleCommand } from '../../../src/domain/command-handler.ts';
import {
  assertDeviceRoom,
  decideRevokeShare,
  decideShareDevice,
  deviceSharesStreamName,
  foldDeviceShares,
  maxDevicesPerPersonalAccount,
  maxGranteesPerDevice,
  type DeviceShareEvent,
} from '../../../src/domain/device-share.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';

const owner = '200000000000000001';
const deviceId = '34020000001320000001';
const at = new Date('2024-05-01T08:00:00.000Z');

const shared = (
  login: string,
  extra: Partial<DeviceShareEvent['data']> = {},
): DeviceShareEvent => ({
  type: 'DeviceShared',
  data: {
    deviceId,
    ownerUserId: owner,
    granteeLoginName: login,
    granteeUserId: `user-of-${login}`,
    channelId: null,
    permissions: ['live'],
    expiresAt: null,
    at: at.toISOString(),
    ...extra,
  } as Extract<DeviceShareEvent, { type: 'DeviceShared' }>['data'],
});

const grantees = (n: number) => Array.from({ length: n }, (_, i) => shared(`grantee-${i}`));

const share = (login: string, extra: Partial<Parameters<typeof decideShareDevice>[1]> = {}) => ({
  ownerUserId: owner,
  granteeLoginName: login,
  granteeUserId: `user-of-${login}`,
  channelId: null,
  permissions: ['live' as const],
  expiresAt: null,
  at,
  ...extra,
});

function assertRefused(run: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(run, (error) => {
    assert.ok(isArgusError(error, code), String(error));
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

describe('device share decider', () => {
  it('shares with an account: the event carries channel, permissions and expiry', () => {
    const events = decideShareDevice(
      foldDeviceShares(deviceId, []),
      share('carol', {
        channelId: '34020000001310000001',
        permissions: ['ptz', 'live'],
        expiresAt: '2024-06-01T00:00:00.000Z',
      }),
    );
    assert.deepEqual(events, [
      shared('carol', {
        channelId: '34020000001310000001',
        // Permissions in their canonical order.
        permissions: ['live', 'ptz'],
        expiresAt: '2024-06-01T00:00:00.000Z',
      }),
    ]);
  });

  it(`shares with the ${maxGranteesPerDevice}th account and refuses the next one`, () => {
    const state = foldDeviceShares(deviceId, grantees(maxGranteesPerDevice - 1));
    assert.equal(decideShareDevice(state, share('last-one')).length, 1);

    const full = foldDeviceShares(deviceId, grantees(maxGranteesPerDevice));
    assertRefused(
      () => decideShareDevice(full, share('one-too-many')),
      errorCodes.CONFLICT,
      /^Cannot share device 34020000001320000001: it is shared with 100 accounts, the limit is 100/,
    );
  });

  it('replaces the share of an account already shared with, even at the limit', () => {
    const full = foldDeviceShares(deviceId, grantees(maxGranteesPerDevice));
    const events = decideShareDevice(full, share('grantee-7', { permissions: ['playback'] }));
    assert.deepEqual(events, [shared('grantee-7', { permissions: ['playback'] })]);
  });

  it('counts neither expired shares nor those of an earlier owner towards the limit', () => {
    const expired = grantees(maxGranteesPerDevice - 1);
    const state = foldDeviceShares(deviceId, [
      ...expired,
      shared('expired', { expiresAt: '2024-05-01T07:59:59.000Z' }),
      shared('of-earlier-owner', { ownerUserId: '200000000000000009' }),
    ]);
    assert.equal(decideShareDevice(state, share('fits')).length, 1);
  });

  it('makes room when a share is revoked', () => {
    const events = [
      ...grantees(maxGranteesPerDevice),
      ...decideRevokeShare(foldDeviceShares(deviceId, grantees(maxGranteesPerDevice)), {
        ownerUserId: owner,
        granteeLoginName: 'grantee-0',
        at,
      }),
    ];
    assert.equal(decideShareDevice(foldDeviceShares(deviceId, events), share('new')).length, 1);
  });

  it('refuses sharing with an account of the owner, without permissions, or expired', () => {
    const none = foldDeviceShares(deviceId, []);
    assertRefused(
      () => decideShareDevice(none, share('me', { granteeUserId: owner })),
      errorCodes.VALIDATION,
      /the account is your own/,
    );
    assertRefused(
      () => decideShareDevice(none, share('x', { permissions: [] })),
      errorCodes.VALIDATION,
      /no permission given/,
    );
    assertRefused(
      () => decideShareDevice(none, share('x', { expiresAt: at.toISOString() })),
      errorCodes.VALIDATION,
      /expire_time 2024-05-01T08:00:00.000Z is not in the future/,
    );
  });

  it('revokes a share, and refuses one that does not exist or is of another owner', () => {
    const state = foldDeviceShares(deviceId, [shared('carol')]);
    const command = { ownerUserId: owner, granteeLoginName: 'carol', at };
    assert.deepEqual(decideRevokeShare(state, command), [
      {
        type: 'DeviceShareRevoked',
        data: { deviceId, ownerUserId: owner, granteeLoginName: 'carol', at: at.toISOString() },
      },
    ]);
    assertRefused(
      () => decideRevokeShare(state, { ...command, granteeLoginName: 'dave' }),
      errorCodes.NOT_FOUND,
      /^Cannot revoke share: device 34020000001320000001 is not shared with dave$/,
    );
    assertRefused(
      () => decideRevokeShare(state, { ...command, ownerUserId: '200000000000000009' }),
      errorCodes.NOT_FOUND,
    );
  });
});

describe('personal account device limit', () => {
  it(`admits the ${maxDevicesPerPersonalAccount}th device and refuses the next one`, () => {
    assert.doesNotThrow(() => assertDeviceRoom(deviceId, maxDevicesPerPersonalAccount - 1));
    assertRefused(
      () => assertDeviceRoom(deviceId, maxDevicesPerPersonalAccount),
      errorCodes.CONFLICT,
      /^Cannot add device 34020000001320000001: a personal account holds at most 64 devices/,
    );
  });
});

describe('device shares on the event store', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('racing grantees past the limit: exactly the limit is appended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-shares-'));
    dirs.push(dir);
    const db = await openSqliteDatabase(join(dir, 'argus.db'));
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    const stream = deviceSharesStreamName(deviceId);
    await store.appendToStream(
      stream,
      grantees(maxGranteesPerDevice - 2).map((e) => ({ type: e.type, data: { ...e.data } })),
      {
        expectedRevision: 'no_stream',
      },
    );

    const racers = ['r1', 'r2', 'r3', 'r4'].map((login) =>
      handleCommand(
        store,
        stream,
        (events: DeviceShareEvent[]) => foldDeviceShares(deviceId, events),
        (state) => decideShareDevice(state, share(login)),
        10,
      ).then(
        () => 'shared',
        (error: unknown) => (isArgusError(error, errorCodes.CONFLICT) ? 'refused' : String(error)),
      ),
    );
    const outcomes = await Promise.all(racers);
    assert.deepEqual(
      [...outcomes].sort(),
      ['refused', 'refused', 'shared', 'shared'],
      outcomes.join(),
    );
    const state = foldDeviceShares(
      deviceId,
      (await store.readStream(stream)).map((e) => e as unknown as DeviceShareEvent),
    );
    assert.equal(state.grants.size, maxGranteesPerDevice);
    await db.destroy();
  });
});
