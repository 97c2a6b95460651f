/**
 * Why a device is or is not connected, as specifications: given the device's events, an
 * access attempt, an address change or a catalog gives the events to append.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decideAccessAttempt,
  decideAddDevice,
  decideAddressChange,
  decideCatalog,
  decideRegister,
  foldDevice,
  initialDevice,
  type DeviceEvent,
} from '../../../src/domain/device.ts';
import { errorCodes, isArgusError } from '../../../src/errors.ts';

const deviceId = '34020000001320000001';
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();
const later = (ms: number) => new Date(at.getTime() + ms);

const added: DeviceEvent = {
  type: 'DeviceAdded',
  data: { deviceId, userId: '100000000000000001', name: 'Gate', password: 'pw', at: iso },
};
const registered: DeviceEvent = {
  type: 'DeviceRegistered',
  data: {
    deviceId,
    nodeId: 'media-1',
    transport: 'UDP',
    remoteAddress: '10.0.0.5:5060',
    expires: 3600,
    at: iso,
  },
};
const given = (...events: DeviceEvent[]) => foldDevice(deviceId, events);
const wrongPassword = { state: 'AUTHENTICATION_FAILED' as const, reason: 'wrong password', at };

describe('device access state', () => {
  it('a device added is NOT_CONNECTED: nothing received', () => {
    const device = given(added);
    assert.deepEqual(
      [device.accessState, device.accessReason, device.lastAttemptAt],
      ['NOT_CONNECTED', 'nothing received', undefined],
    );
  });

  it('decideAddDevice records algorithm and user name only where they are not the defaults', () => {
    const command = { userId: 'u', name: 'n', password: 'p', at };
    const plain = decideAddDevice(initialDevice(deviceId), { ...command, algorithm: 'MD5' });
    assert.deepEqual(Object.keys(plain[0]?.data ?? {}).sort(), [
      'at',
      'deviceId',
      'name',
      'password',
      'userId',
    ]);
    const events = decideAddDevice(initialDevice(deviceId), {
      ...command,
      algorithm: 'SHA-256',
      username: 'admin',
    });
    const device = given(...events);
    assert.deepEqual([device.algorithm, device.username], ['SHA-256', 'admin']);
    assert.deepEqual([given(...plain).algorithm, given(...plain).username], ['MD5', deviceId]);
  });

  it('decideAccessAttempt records a wrong password, the same again only after a minute', () => {
    const first = decideAccessAttempt(given(added), wrongPassword);
    assert.deepEqual(first, [
      {
        type: 'DeviceAccessStateChanged',
        data: { deviceId, state: 'AUTHENTICATION_FAILED', reason: 'wrong password', at: iso },
      },
    ]);
    const soon = { ...wrongPassword, at: later(59_999) };
    assert.deepEqual(decideAccessAttempt(given(added, ...first), soon), []);
    const minute = { ...wrongPassword, at: later(60_000) };
    assert.equal(decideAccessAttempt(given(added, ...first), minute).length, 1);
  });

  it('decideAccessAttempt records a change of reason or a lockout at once', () => {
    const first = decideAccessAttempt(given(added), wrongPassword);
    const other = { ...wrongPassword, reason: 'wrong user name', at: later(1) };
    assert.equal(decideAccessAttempt(given(added, ...first), other).length, 1);
    const locked = { ...wrongPassword, lockedUntil: later(300_000), at: later(1) };
    const events = decideAccessAttempt(given(added, ...first), locked);
    assert.equal(
      events[0]?.type === 'DeviceAccessStateChanged' && events[0].data.lockedUntil,
      later(300_000).toISOString(),
    );
    assert.equal(given(added, ...first, ...events).lockedUntil, later(300_000).toISOString());
  });

  it('decideAccessAttempt records no missing credentials for an online device (a refresh)', () => {
    const challenged = { state: 'NO_AUTHENTICATION_INFO' as const, reason: 'challenged', at };
    assert.deepEqual(decideAccessAttempt(given(added, registered), challenged), []);
    assert.equal(decideAccessAttempt(given(added), challenged).length, 1);
    const failed = given(added, ...decideAccessAttempt(given(added), wrongPassword));
    assert.deepEqual(decideAccessAttempt(failed, challenged), [], 'the retry of a failure');
  });

  it('decideAccessAttempt refuses an unknown device with NOT_FOUND', () => {
    assert.throws(
      () => decideAccessAttempt(given(), wrongPassword),
      (error) => isArgusError(error, errorCodes.NOT_FOUND),
    );
  });

  it('a registration makes the device CONNECTED, even a refresh after refused attempts', () => {
    const command = {
      nodeId: 'media-1',
      transport: 'UDP' as const,
      remoteAddress: '10.0.0.5:5060',
      expires: 3600,
      at,
    };
    assert.equal(given(added, registered).accessState, 'CONNECTED');
    const failed = decideAccessAttempt(given(added, registered), wrongPassword);
    const events = decideRegister(given(added, registered, ...failed), command);
    assert.equal(events.length, 1);
    assert.equal(given(added, registered, ...failed, ...events).accessState, 'CONNECTED');
  });

  it('decideCatalog turns CATALOG_ERROR back into CONNECTED, even with the same catalog', () => {
    const error = { state: 'CATALOG_ERROR' as const, reason: 'catalog query failed', at };
    const failed = decideAccessAttempt(given(added, registered), error);
    const events = decideCatalog(given(added, registered, ...failed), { channels: [], at });
    assert.deepEqual(events, [
      {
        type: 'DeviceAccessStateChanged',
        data: { deviceId, state: 'CONNECTED', reason: 'catalog received', at: iso },
      },
    ]);
  });

  it('offline events say why: missed keepalives, expiry, connection closed, unregistered', () => {
    const offline = (reason: 'keepalive_timeout' | 'registration_expired' | 'connection_closed') =>
      given(added, registered, { type: 'DeviceWentOffline', data: { deviceId, reason, at: iso } });
    assert.equal(offline('keepalive_timeout').accessReason, 'missed keepalives');
    assert.equal(offline('registration_expired').accessReason, 'registration expired');
    assert.equal(offline('connection_closed').accessReason, 'connection closed');
    const unregistered = given(added, registered, {
      type: 'DeviceUnregistered',
      data: { deviceId, at: iso },
    });
    assert.deepEqual(
      [unregistered.accessState, unregistered.accessReason],
      ['NOT_CONNECTED', 'unregistered'],
    );
  });

  it('decideAddressChange records a new address of an online device, once', () => {
    const command = { transport: 'UDP' as const, remoteAddress: '10.0.0.5:40000', at };
    const events = decideAddressChange(given(added, registered), command);
    assert.deepEqual(events, [
      {
        type: 'DeviceAddressChanged',
        data: {
          deviceId,
          transport: 'UDP',
          remoteAddress: '10.0.0.5:40000',
          previous: 'UDP 10.0.0.5:5060',
          at: iso,
        },
      },
    ]);
    assert.deepEqual(decideAddressChange(given(added, registered, ...events), command), []);
    assert.deepEqual(decideAddressChange(given(added), command), [], 'not online');
  });
});
