/**
 * The service-package decider as specifications: given the events of a package's stream, a
 * command gives the events to append or a typed error; and two binds racing on the stream of
 * a real SQLite event store, of which only the quota's worth is appended.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import { handleCommand } from '../../../src/domain/command-handler.ts';
import {
  decideBatch,
  decideBindChannel,
  decideGrantPackage,
  decideRelease,
  decideUnbindChannel,
  foldServicePackage,
  servicePackageStreamName,
  type ServicePackageEvent,
} from '../../../src/domain/service-package.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';

const userId = '100000000000000001';
const otherUserId = '100000000000000002';
const resourceId = 'pkg-1';
const deviceId = '34020000001320000001';
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();
const channel = (n: number) => ({
  deviceId,
  channelId: `340200000013100000${String(n).padStart(2, '0')}`,
});

const granted = (quota: number, expiresAt?: string): ServicePackageEvent => ({
  type: 'ServicePackageGranted',
  data: {
    resourceId,
    userId,
    resourceType: 'MANAGE',
    name: 'Gate cameras',
    channelQuota: quota,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    at: iso,
  },
});
const bound = (n: number): ServicePackageEvent => ({
  type: 'PackageChannelBound',
  data: { resourceId, userId, ...channel(n), at: iso },
});
const unbound = (n: number, reason: 'unbound' | 'released' = 'unbound'): ServicePackageEvent => ({
  type: 'PackageChannelUnbound',
  data: { resourceId, userId, ...channel(n), reason, at: iso },
});

const given = (...events: ServicePackageEvent[]) => foldServicePackage(resourceId, events);
const bind = (n: number, when = at, tenant = userId) => ({
  userId: tenant,
  channel: channel(n),
  at: when,
});

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('decideGrantPackage', () => {
  it('decideGrantPackage records a package with its quota and expiry', () => {
    const expiresAt = new Date('2025-05-01T00:00:00.000Z');
    const events = decideGrantPackage(given(), {
      userId,
      resourceType: 'MANAGE',
      name: 'Gate cameras',
      channelQuota: 2,
      expiresAt,
      at,
    });
    assert.deepEqual(events, [granted(2, expiresAt.toISOString())]);
  });

  it('decideGrantPackage refuses a quota of 0 and an expiry before the grant', () => {
    const command = { userId, resourceType: 'MANAGE' as const, name: 'x', at };
    assert.throws(
      () => decideGrantPackage(given(), { ...command, channelQuota: 0 }),
      rejectsWith(errorCodes.VALIDATION, /^Cannot grant package: channel quota must be 1 to/),
    );
    assert.throws(
      () => decideGrantPackage(given(), { ...command, channelQuota: 1, expiresAt: at }),
      rejectsWith(errorCodes.VALIDATION, /would expire before it is granted/),
    );
  });

  it('decideGrantPackage refuses a resource ID granted already with CONFLICT', () => {
    const command = { userId, resourceType: 'NORMAL' as const, name: 'x', channelQuota: 1, at };
    assert.throws(
      () => decideGrantPackage(given(granted(1)), command),
      rejectsWith(errorCodes.CONFLICT, /^Cannot grant package: resource pkg-1 exists$/),
    );
  });
});

describe('decideBindChannel', () => {
  it('decideBindChannel binds up to the quota: the last channel the quota allows', () => {
    assert.deepEqual(decideBindChannel(given(granted(2), bound(1)), bind(2)), [bound(2)]);
  });

  it('decideBindChannel refuses one channel past the quota, naming the package and limit', () => {
    assert.throws(
      () => decideBindChannel(given(granted(2), bound(1), bound(2)), bind(3)),
      rejectsWith(
        errorCodes.CONFLICT,
        new RegExp(
          String.raw`^Cannot bind channel 34020000001310000003: ` +
            String.raw`MANAGE package "Gate cameras" \(resource pkg-1\) allows 2 channels$`,
        ),
      ),
    );
  });

  it('decideBindChannel counts no unbound or released channel against the quota', () => {
    const state = given(granted(2), bound(1), bound(2), unbound(1), unbound(2, 'released'));
    assert.deepEqual(decideBindChannel(state, bind(3)), [bound(3)]);
  });

  it('decideBindChannel binds a bound channel again as nothing', () => {
    assert.deepEqual(decideBindChannel(given(granted(1), bound(1)), bind(1)), []);
  });

  it('decideBindChannel refuses an expired package, and binds until the instant before', () => {
    const expiresAt = '2024-06-01T00:00:00.000Z';
    const state = given(granted(5, expiresAt));
    const before = new Date(Date.parse(expiresAt) - 1);
    assert.deepEqual(decideBindChannel(state, bind(1, before)).length, 1);
    assert.throws(
      () => decideBindChannel(state, bind(1, new Date(expiresAt))),
      rejectsWith(errorCodes.CONFLICT, /Gate cameras.*expired at 2024-06-01T00:00:00.000Z$/),
    );
  });

  it("decideBindChannel reads another tenant's package as absent", () => {
    assert.throws(
      () => decideBindChannel(given(granted(5)), bind(1, at, otherUserId)),
      rejectsWith(errorCodes.NOT_FOUND, /no resource pkg-1 in 100000000000000002$/),
    );
    assert.throws(
      () => decideBindChannel(given(), bind(1)),
      rejectsWith(errorCodes.NOT_FOUND, /no resource pkg-1/),
    );
  });
});

describe('decideUnbindChannel and decideRelease', () => {
  it('decideUnbindChannel unbinds a bound channel and refuses one not bound', () => {
    const state = given(granted(2), bound(1));
    assert.deepEqual(decideUnbindChannel(state, bind(1)), [unbound(1)]);
    assert.throws(
      () => decideUnbindChannel(state, bind(2)),
      rejectsWith(errorCodes.NOT_FOUND, /^Cannot unbind channel 34020000001310000002: not bound/),
    );
  });

  it('decideRelease ends the bindings whose channel or device is gone, and no others', () => {
    const state = given(granted(3), bound(1), bound(2));
    const released = [`${deviceId}/${channel(2).channelId}`, `${deviceId}/not-bound`];
    assert.deepEqual(decideRelease(state, { released, at }), [unbound(2, 'released')]);
  });
});

describe('decideBatch', () => {
  it('decideBatch binds a batch in order: items past the quota fail alone', () => {
    const { events, errors } = decideBatch(given(granted(2)), [1, 2, 3, 1], (state, n) =>
      decideBindChannel(state, bind(n)),
    );
    assert.deepEqual(events, [bound(1), bound(2)]);
    assert.deepEqual([...errors.keys()], [3]);
    assert.ok(isArgusError(errors.get(3), errorCodes.CONFLICT));
  });
});

describe('binds racing on one package stream', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  async function storeWithPackage(quota: number) {
    const dir = mkdtempSync(join(tmpdir(), 'argus-pkg-'));
    dirs.push(dir);
    const db = await openSqliteDatabase(join(dir, 'argus.db'));
    const store = new SqlEventStore({ db, dialect: 'sqlite' });
    const stream = servicePackageStreamName(resourceId);
    await store.appendToStream(stream, [
      { type: 'ServicePackageGranted', data: granted(quota).data },
    ]);
    return { store, stream };
  }

  it('two appends decided on the same revision: the second is refused by the store', async () => {
    const { store, stream } = await storeWithPackage(2);
    const recorded = await store.readStream(stream);
    const state = given(granted(2));
    const first = decideBindChannel(state, bind(1));
    const second = decideBindChannel(state, bind(2));
    const append = (events: ServicePackageEvent[]) =>
      store.appendToStream(
        stream,
        events.map((e) => ({ type: e.type, data: { ...e.data } })),
        { expectedRevision: recorded.length - 1 },
      );

    const outcomes = await Promise.allSettled([append(first), append(second)]);

    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected');
    assert.ok(isArgusError(refused?.reason, errorCodes.WRONG_EXPECTED_REVISION));
  });

  it('concurrent binds of three channels on a quota of 1: one bound, two refused', async () => {
    const { store, stream } = await storeWithPackage(1);
    const bindOn = (n: number) =>
      handleCommand(
        store,
        stream,
        (events: ServicePackageEvent[]) => foldServicePackage(resourceId, events),
        (state) => decideBindChannel(state, bind(n)),
      );

    const outcomes = await Promise.allSettled([bindOn(1), bindOn(2), bindOn(3)]);

    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      assert.ok(isArgusError(outcome.reason, errorCodes.CONFLICT), String(outcome.reason));
      assert.match((outcome.reason as Error).message, /allows 1 channel$/);
    }
    const final = foldServicePackage(
      resourceId,
      (await store.readStream(stream)).map(
        (e) => ({ type: e.type, data: e.data }) as ServicePackageEvent,
      ),
    );
    assert.equal(final.bindings.size, 1);
  });
});
