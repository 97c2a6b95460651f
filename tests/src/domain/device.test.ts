/**
 * The device decider as specifications: given the events of a device's stream, a command
 * gives the events to append, none, or a typed error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decideAddDevice,
  decideCatalog,
  decideKeepalive,
  decideOffline,
  decideRegister,
  decideStreamUsage,
  decideUnregister,
  foldDevice,
  type ChannelInfo,
  type DeviceEvent,
} from '../../../src/domain/device.ts';
import { errorCodes, isArgusError, type ErrorCode } from '../../../src/errors.ts';

const deviceId = '34020000001320000001';
const at = new Date('2024-05-01T08:00:00.000Z');
const iso = at.toISOString();

const added: DeviceEvent = {
  type: 'DeviceAdded',
  data: { deviceId, userId: '100000000000000001', name: 'Gate', password: '12345678', at: iso },
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
const wentOffline: DeviceEvent = {
  type: 'DeviceWentOffline',
  data: { deviceId, reason: 'keepalive_timeout', at: iso },
};
const unregistered: DeviceEvent = { type: 'DeviceUnregistered', data: { deviceId, at: iso } };

const frontDoor: ChannelInfo = {
  channelId: '34020000001320000011',
  name: 'Front door',
  status: 'ON',
};
const yard: ChannelInfo = {
  channelId: '34020000001320000012',
  name: 'Yard',
  status: 'OFF',
  manufacturer: 'Hikvision',
};

/** The device after `events`. */
const given = (...events: DeviceEvent[]) => foldDevice(deviceId, events);

const registerCommand = {
  nodeId: 'media-1',
  transport: 'UDP' as const,
  remoteAddress: '10.0.0.5:5060',
  expires: 3600,
  at,
};

function rejectsWith(code: ErrorCode, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isArgusError(error, code), String(error));
    assert.match(error.message, message);
    return true;
  };
}

describe('decideAddDevice', () => {
  it('decideAddDevice records a new device', () => {
    const command = { userId: '100000000000000001', name: 'Gate', password: '12345678', at };

    assert.deepEqual(decideAddDevice(given(), command), [added]);
  });

  it('decideAddDevice refuses a device added already with CONFLICT', () => {
    const command = { userId: '100000000000000001', name: 'Again', password: 'x', at };

    assert.throws(
      () => decideAddDevice(given(added), command),
      rejectsWith(errorCodes.CONFLICT, /^Cannot add device: 34020000001320000001 exists$/),
    );
  });
});

describe('decideRegister', () => {
  it('decideRegister refuses an unknown device with NOT_FOUND', () => {
    assert.throws(
      () => decideRegister(given(), registerCommand),
      rejectsWith(errorCodes.NOT_FOUND, /^Cannot find device: 34020000001320000001$/),
    );
  });

  it('decideRegister records the first registration of an added device', () => {
    assert.deepEqual(decideRegister(given(added), registerCommand), [registered]);
  });

  it('decideRegister records nothing for a refresh of the same binding while online', () => {
    assert.deepEqual(decideRegister(given(added, registered), registerCommand), []);
  });

  it('decideRegister records a registration from a new address', () => {
    const moved = { ...registerCommand, remoteAddress: '10.0.0.6:5060' };

    const events = decideRegister(given(added, registered), moved);

    assert.deepEqual(
      events.map((e) => [e.type, 'remoteAddress' in e.data && e.data.remoteAddress]),
      [['DeviceRegistered', '10.0.0.6:5060']],
    );
  });

  it('decideRegister records a registration over another transport or node', () => {
    const device = given(added, registered);

    assert.equal(decideRegister(device, { ...registerCommand, transport: 'TCP' }).length, 1);
    assert.equal(decideRegister(device, { ...registerCommand, nodeId: 'media-2' }).length, 1);
  });

  it('decideRegister records the same binding again once the device went offline', () => {
    assert.deepEqual(decideRegister(given(added, registered, wentOffline), registerCommand), [
      registered,
    ]);
  });
});

describe('decideUnregister', () => {
  it('decideUnregister records an online device unregistering', () => {
    assert.deepEqual(decideUnregister(given(added, registered), at), [unregistered]);
  });

  it('decideUnregister records nothing for a device that is not online', () => {
    assert.deepEqual(decideUnregister(given(added), at), []);
    assert.deepEqual(decideUnregister(given(added, registered, wentOffline), at), []);
    assert.deepEqual(decideUnregister(given(added, registered, unregistered), at), []);
  });

  it('decideUnregister refuses an unknown device with NOT_FOUND', () => {
    assert.throws(() => decideUnregister(given(), at), rejectsWith(errorCodes.NOT_FOUND, /./));
  });
});

describe('decideKeepalive', () => {
  it('decideKeepalive brings an offline device back online', () => {
    assert.deepEqual(decideKeepalive(given(added, registered, wentOffline), at), [
      { type: 'DeviceCameOnline', data: { deviceId, at: iso } },
    ]);
  });

  it('decideKeepalive records nothing for an online device', () => {
    assert.deepEqual(decideKeepalive(given(added, registered), at), []);
  });

  it('decideKeepalive records nothing for a device that never registered', () => {
    assert.deepEqual(decideKeepalive(given(added), at), []);
  });

  it('decideKeepalive refuses an unknown device with NOT_FOUND', () => {
    assert.throws(() => decideKeepalive(given(), at), rejectsWith(errorCodes.NOT_FOUND, /./));
  });
});

describe('decideOffline', () => {
  const timeout = { reason: 'keepalive_timeout' as const, at };

  it('decideOffline records an online device going offline with its reason', () => {
    const command = { reason: 'registration_expired' as const, at };

    assert.deepEqual(decideOffline(given(added, registered), command), [
      { type: 'DeviceWentOffline', data: { deviceId, reason: 'registration_expired', at: iso } },
    ]);
  });

  it('decideOffline records one event when told twice', () => {
    const first = decideOffline(given(added, registered), timeout);
    const second = decideOffline(given(added, registered, ...first), timeout);

    assert.equal(first.length, 1);
    assert.deepEqual(second, []);
  });

  it('decideOffline records nothing for a device that never registered', () => {
    assert.deepEqual(decideOffline(given(added), timeout), []);
  });

  it('decideOffline refuses an unknown device with NOT_FOUND', () => {
    assert.throws(() => decideOffline(given(), timeout), rejectsWith(errorCodes.NOT_FOUND, /./));
  });
});

describe('decideCatalog', () => {
  const catalogOf = (channels: ChannelInfo[]): DeviceEvent => ({
    type: 'DeviceCatalogUpdated',
    data: { deviceId, channels, at: iso },
  });

  it('decideCatalog records a first catalog sorted by channel ID', () => {
    assert.deepEqual(decideCatalog(given(added, registered), { channels: [yard, frontDoor], at }), [
      catalogOf([frontDoor, yard]),
    ]);
  });

  it('decideCatalog records nothing for an unchanged catalog', () => {
    const device = given(added, registered, catalogOf([frontDoor, yard]));

    assert.deepEqual(decideCatalog(device, { channels: [frontDoor, yard], at }), []);
  });

  it('decideCatalog records nothing for the same channels listed in another order', () => {
    const device = given(added, registered, catalogOf([frontDoor, yard]));

    assert.deepEqual(decideCatalog(device, { channels: [yard, frontDoor], at }), []);
  });

  it('decideCatalog records nothing for the same channels with fields reordered', () => {
    const device = given(added, registered, catalogOf([frontDoor, yard]));
    const reordered: ChannelInfo = {
      manufacturer: 'Hikvision',
      status: 'OFF',
      name: 'Yard',
      channelId: yard.channelId,
    };

    assert.deepEqual(decideCatalog(device, { channels: [frontDoor, reordered], at }), []);
  });

  it('decideCatalog records a channel whose status changed', () => {
    const device = given(added, registered, catalogOf([frontDoor, yard]));
    const yardOn: ChannelInfo = { ...yard, status: 'ON' };

    assert.deepEqual(decideCatalog(device, { channels: [frontDoor, yardOn], at }), [
      catalogOf([frontDoor, yardOn]),
    ]);
  });

  it('decideCatalog records a catalog that lost a channel', () => {
    const device = given(added, registered, catalogOf([frontDoor, yard]));

    assert.deepEqual(decideCatalog(device, { channels: [frontDoor], at }), [
      catalogOf([frontDoor]),
    ]);
  });

  it('decideCatalog refuses an unknown device with NOT_FOUND', () => {
    assert.throws(
      () => decideCatalog(given(), { channels: [frontDoor], at }),
      rejectsWith(errorCodes.NOT_FOUND, /./),
    );
  });
});

describe('foldDevice', () => {
  it('foldDevice follows the device through its states', () => {
    assert.equal(given().exists, false);
    assert.equal(given(added).state, 'UNREGISTERED');
    assert.equal(given(added, registered).state, 'ONLINE');
    assert.equal(given(added, registered).binding, 'UDP 10.0.0.5:5060');
    assert.equal(given(added, registered, wentOffline).state, 'OFFLINE');
    assert.equal(given(added, registered, unregistered).state, 'OFFLINE');
  });
});

describe('decideStreamUsage', () => {
  const usage = {
    deviceId,
    channelId: '34020000001310000001',
    callId: 'call-1',
    bytesIn: 1000,
    viewers: [{ protocol: 'HTTP_FLV' as const, bytesOut: 900, seconds: 60 }],
    from: iso,
    to: '2024-05-01T08:01:00.000Z',
  };

  it('decideStreamUsage records the measured usage as it is, changing no state', () => {
    const device = given(added, registered);
    assert.deepEqual(decideStreamUsage(usage), [{ type: 'StreamUsageRecorded', data: usage }]);
    assert.deepEqual(
      given(added, registered, { type: 'StreamUsageRecorded', data: usage }),
      device,
    );
  });

  it('decideStreamUsage records nothing for a period in which nothing flowed', () => {
    const idle = { ...usage, bytesIn: 0, viewers: [{ ...usage.viewers[0]!, bytesOut: 0 }] };
    assert.deepEqual(decideStreamUsage(idle), []);
  });
});
