/**
 * The control lock of a channel as specifications: given the events of the lock's stream, a
 * take, use or release gives the events to append or a typed error. Time passes only through
 * the commands' `now`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { handleCommand } from '../../../src/domain/command-handler.ts';
import {
  controlLockStreamName,
  decideReleaseControlLock,
  decideTakeControlLock,
  decideUseControlLock,
  foldControlLock,
  liveControlLock,
  type ControlLockEvent,
  type LockHolder,
} from '../../../src/domain/control-lock.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';

const userId = '10000000000000000001';
const deviceId = '34020000001320000001';
const channelId = '34020000001310000001';
const ttlSeconds = 120;
const now = new Date('2024-05-01T08:00:00.000Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const alice: LockHolder = { key: 'login:alice', name: 'alice' };
const bob: LockHolder = { key: 'ak:BOBAK', name: 'BOBAK' };
const ref = { userId, deviceId, channelId };

const taken = (lockId: string, holder: LockHolder, at = now): ControlLockEvent => ({
  type: 'ControlLockTaken',
  data: {
    ...ref,
    lockId,
    holder: holder.key,
    holderName: holder.name,
    expiresAt: new Date(at.getTime() + ttlSeconds * 1000).toISOString(),
    at: at.toISOString(),
  },
});
const renewed = (lockId: string, at: Date): ControlLockEvent => ({
  type: 'ControlLockRenewed',
  data: {
    ...ref,
    lockId,
    expiresAt: new Date(at.getTime() + ttlSeconds * 1000).toISOString(),
    at: at.toISOString(),
  },
});
const released = (lockId: string, at: Date): ControlLockEvent => ({
  type: 'ControlLockReleased',
  data: { ...ref, lockId, at: at.toISOString() },
});

const given = (...events: ControlLockEvent[]) => foldControlLock(events);
const command = (holder: LockHolder, lockId: string, at = now) => ({
  ...ref,
  holder,
  lockId,
  ttlSeconds,
  now: at,
});

function lockedBy(name: string, action: string) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, errorCodes.CONFLICT), String(error));
    assert.match(
      error.message,
      new RegExp(`^Cannot ${action} control lock: locked by ${name} until \\d{4}-\\d\\d-\\d\\dT`),
    );
    return true;
  };
}

describe('control lock', () => {
  it('control lock stream is named after the device and channel', () => {
    assert.equal(
      controlLockStreamName(deviceId, channelId),
      'control-lock-34020000001320000001-34020000001310000001',
    );
  });

  it('decideTakeControlLock takes a free channel for the lock lifetime', () => {
    assert.deepEqual(decideTakeControlLock(given(), command(alice, 'L1')), [taken('L1', alice)]);
  });

  it('decideTakeControlLock renews the holder own lock, keeping its id', () => {
    const events = decideTakeControlLock(
      given(taken('L1', alice)),
      command(alice, 'L2', later(30)),
    );
    assert.deepEqual(events, [renewed('L1', later(30))]);
  });

  it('decideTakeControlLock refuses another holder with CONFLICT naming the holder', () => {
    assert.throws(
      () => decideTakeControlLock(given(taken('L1', alice)), command(bob, 'L2', later(119))),
      lockedBy('alice', 'take'),
    );
  });

  it('decideTakeControlLock gives the channel to another holder once the lock expired', () => {
    const state = given(taken('L1', alice));
    assert.equal(liveControlLock(state, later(119))?.lockId, 'L1');
    assert.equal(liveControlLock(state, later(120)), undefined);
    assert.deepEqual(decideTakeControlLock(state, command(bob, 'L2', later(120))), [
      taken('L2', bob, later(120)),
    ]);
  });

  it('decideUseControlLock renews the lock, so each use keeps another holder out longer', () => {
    const state = given(taken('L1', alice), renewed('L1', later(100)));
    assert.deepEqual(decideUseControlLock(state, command(alice, 'L1', later(200))), [
      renewed('L1', later(200)),
    ]);
    assert.throws(
      () => decideTakeControlLock(state, command(bob, 'L2', later(219))),
      lockedBy('alice', 'take'),
    );
  });

  it('decideUseControlLock refuses another holder, even with the right lock id', () => {
    assert.throws(
      () => decideUseControlLock(given(taken('L1', alice)), command(bob, 'L1', later(1))),
      lockedBy('alice', 'use'),
    );
  });

  it('decideUseControlLock refuses an expired, released or unknown lock id', () => {
    const cases: [string, ControlLockEvent[], string, Date][] = [
      ['expired', [taken('L1', alice)], 'L1', later(121)],
      ['released', [taken('L1', alice), released('L1', later(5))], 'L1', later(6)],
      ['unknown', [taken('L1', alice)], 'L9', later(1)],
      ['never taken', [], 'L1', now],
    ];
    for (const [what, events, lockId, at] of cases) {
      assert.throws(
        () => decideUseControlLock(given(...events), command(alice, lockId, at)),
        (error: unknown) => {
          assert.ok(isArgusError(error, errorCodes.CONFLICT), what);
          assert.match(error.message, /^Cannot use control lock: it has expired, was released/);
          return true;
        },
      );
    }
  });

  it('decideReleaseControlLock frees the holder lock for anyone at once', () => {
    const state = given(taken('L1', alice));
    assert.deepEqual(decideReleaseControlLock(state, { ...ref, holder: alice, now: later(10) }), [
      released('L1', later(10)),
    ]);
    const after = given(taken('L1', alice), released('L1', later(10)));
    assert.deepEqual(decideTakeControlLock(after, command(bob, 'L2', later(11))), [
      taken('L2', bob, later(11)),
    ]);
  });

  it('decideReleaseControlLock refuses another holder and does nothing on a free channel', () => {
    assert.throws(
      () => decideReleaseControlLock(given(taken('L1', alice)), { ...ref, holder: bob, now }),
      lockedBy('alice', 'release'),
    );
    assert.deepEqual(decideReleaseControlLock(given(), { ...ref, holder: bob, now }), []);
  });

  it('control lock lets only one of two concurrent takers win on the same revision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-lock-'));
    const db = await openSqliteDatabase(join(dir, 'argus.db'));
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    const stream = controlLockStreamName(deviceId, channelId);
    const take = (holder: LockHolder, lockId: string) =>
      handleCommand(store, stream, foldControlLock, (state) =>
        decideTakeControlLock(state, command(holder, lockId)),
      );

    const results = await Promise.allSettled([take(alice, 'L1'), take(bob, 'L2')]);

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(isArgusError(lost[0]?.reason, errorCodes.CONFLICT));
    assert.equal((await store.readStream(stream)).length, 1);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
});
