/** Which log events become which messages, and the envelope they travel in. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DeviceEvent } from '../../../src/domain/device.ts';
import type { RecordedEvent } from '../../../src/event-store/event-store.ts';
import {
  envelope,
  messageOf,
  positionOfMessageId,
  testEnvelope,
} from '../../../src/fanout/messages.ts';
import { added, cameOnline, catalog, registered, wentOffline } from './support.ts';

const camera = '34020000001320000001';

function recorded(event: DeviceEvent, position = 7): RecordedEvent {
  return {
    id: `event-${position}`,
    type: event.type,
    data: { ...event.data },
    metadata: {},
    streamName: `device-${camera}`,
    revision: 0,
    globalPosition: position,
    recordedAt: '2024-05-01T08:00:00.000Z',
  };
}

describe('messageOf', () => {
  it('messageOf makes login of a registration and of a device back online', () => {
    for (const event of [registered(camera, 1), cameOnline(camera, 1)]) {
      assert.deepEqual(messageOf(recorded(event)), {
        messageType: 'device_status',
        deviceId: camera,
        data: {
          event_type: 'login',
          device_id: camera,
          device_state: 'ONLINE',
          occur_time: '2024-05-01T08:00:01.000Z',
        },
      });
    }
  });

  it('messageOf makes logout of an unregistration', () => {
    const event: DeviceEvent = {
      type: 'DeviceUnregistered',
      data: { deviceId: camera, at: '2024-05-01T08:00:05.000Z' },
    };
    assert.equal(messageOf(recorded(event))?.data['event_type'], 'logout');
  });

  it('messageOf makes offline_reason_notice with the reason of a device gone offline', () => {
    assert.deepEqual(messageOf(recorded(wentOffline(camera, 2)))?.data, {
      event_type: 'offline_reason_notice',
      device_id: camera,
      device_state: 'OFFLINE',
      reason: 'keepalive_timeout',
      occur_time: '2024-05-01T08:00:02.000Z',
    });
  });

  it('messageOf makes channel_state_notice of a catalog', () => {
    const channels = [
      { channelId: '34020000001320000011', name: 'Gate', status: 'ON' as const },
      { channelId: '34020000001320000012', name: 'Yard', status: 'OFF' as const },
    ];
    assert.deepEqual(messageOf(recorded(catalog(camera, channels)))?.data['channels'], [
      { channel_id: '34020000001320000011', channel_name: 'Gate', channel_state: 'ONLINE' },
      { channel_id: '34020000001320000012', channel_name: 'Yard', channel_state: 'OFFLINE' },
    ]);
  });

  it('messageOf makes device_unbind of a deleted device', () => {
    const event: DeviceEvent = {
      type: 'DeviceDeleted',
      data: { deviceId: camera, userId: '100000000000000001', at: '2024-05-01T08:00:09.000Z' },
    };
    assert.deepEqual(messageOf(recorded(event)), {
      messageType: 'device_unbind',
      deviceId: camera,
      data: { device_id: camera, occur_time: '2024-05-01T08:00:09.000Z' },
    });
  });

  it('messageOf ignores events that are not messages', () => {
    assert.equal(messageOf(recorded(added(camera))), undefined);
    const other = { ...recorded(registered(camera)), streamName: 'enterprise-1' };
    assert.equal(messageOf(other), undefined);
  });
});

describe('envelope', () => {
  it('envelope carries the global position as a string id and as the IVM number', () => {
    const message = messageOf(recorded(registered(camera)));
    assert.ok(message !== undefined);
    assert.deepEqual(envelope(42, message), {
      message_id: '42',
      ivm_message_id: 42,
      message_type: 'device_status',
      data: message.data,
      test: false,
    });
  });

  it('envelope leaves out the IVM number from 2^53 on', () => {
    const message = messageOf(recorded(registered(camera)));
    assert.ok(message !== undefined);
    assert.equal('ivm_message_id' in envelope(2 ** 53, message), false);
  });

  it('testEnvelope is marked test', () => {
    assert.deepEqual(testEnvelope('test-1', 'device_status'), {
      message_id: 'test-1',
      message_type: 'device_status',
      data: {},
      test: true,
    });
  });

  it('positionOfMessageId reads only the ids Argus gives', () => {
    assert.equal(positionOfMessageId('42'), 42);
    for (const bad of ['0', '-1', '4.2', '042', 'test-1', '99999999999999999999']) {
      assert.equal(positionOfMessageId(bad), undefined, bad);
    }
  });
});
