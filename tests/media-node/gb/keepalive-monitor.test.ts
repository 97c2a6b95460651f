import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { decideRegister } from '../../../src/domain/device.ts';
import { KeepaliveMonitor } from '../../../media-node/gb/keepalive-monitor.ts';
import type { Registration } from '../../../media-node/gb/device-registry.ts';
import type { SipPeer } from '../../../media-node/sip/sip-transport.ts';
import { gbHarness, type GbHarness } from './support.ts';

const deviceId = '34020000001320000001';
const first: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 5060 };
const rebound: SipPeer = { transport: 'UDP', address: '192.0.2.10', port: 41234 };
const tcp: SipPeer = { transport: 'TCP', address: '192.0.2.10', port: 50000 };

describe('KeepaliveMonitor', () => {
  let h: GbHarness;
  let monitor: KeepaliveMonitor;
  let registration: Registration;

  const registerFrom = async (peer: SipPeer) => {
    await h.commands.run(deviceId, (d) =>
      decideRegister(d, {
        nodeId: 'media-1',
        transport: peer.transport,
        remoteAddress: `${peer.address}:${peer.port}`,
        expires: 3600,
        at: h.now(),
      }),
    );
    registration = {
      deviceId,
      peer,
      expiresAt: h.now().getTime() + 3600_000,
      lastSeenAt: h.now().getTime(),
      online: true,
    };
    h.registry.set(registration);
  };

  beforeEach(async () => {
    h = await gbHarness();
    monitor = new KeepaliveMonitor({
      registry: h.registry,
      commands: h.commands,
      heartbeatSeconds: 20,
      misses: 3,
      logger: h.logger,
      now: h.now,
    });
    await h.addDevice(deviceId);
  });
  afterEach(() => h.close());

  it('moves the binding to where a keepalive came from (NAT rebinding), once', async () => {
    await registerFrom(first);
    await monitor.seen(registration, rebound);
    await monitor.seen(registration, rebound);
    assert.deepEqual(h.registry.get(deviceId)?.peer, rebound);
    const moved = (await h.events(deviceId)).filter((e) => e.type === 'DeviceAddressChanged');
    assert.deepEqual(
      moved.map((e) => e.data),
      [
        {
          deviceId,
          transport: 'UDP',
          remoteAddress: '192.0.2.10:41234',
          previous: 'UDP 192.0.2.10:5060',
          at: '2026-01-01T00:00:00.000Z',
        },
      ],
    );
    assert.equal((await h.device(deviceId)).binding, 'UDP 192.0.2.10:41234');
  });

  it('declares a device offline by missed keepalives and says so', async () => {
    await registerFrom(first);
    h.advance(61_000);
    await monitor.check();
    const device = await h.device(deviceId);
    assert.deepEqual(
      [device.state, device.accessState, device.accessReason],
      ['OFFLINE', 'NOT_CONNECTED', 'missed keepalives'],
    );
  });

  it('declares a TCP device offline when its connection closes; a keepalive revives', async () => {
    await registerFrom(tcp);
    await monitor.connectionClosed(first);
    assert.equal((await h.device(deviceId)).state, 'ONLINE', 'another peer closing: nothing');
    await monitor.connectionClosed(tcp);
    let device = await h.device(deviceId);
    assert.deepEqual([device.state, device.accessReason], ['OFFLINE', 'connection closed']);

    const reconnected: SipPeer = { ...tcp, port: 50001 };
    await monitor.seen(registration, reconnected);
    device = await h.device(deviceId);
    assert.deepEqual([device.state, device.accessState], ['ONLINE', 'CONNECTED']);
    assert.equal(device.binding, 'TCP 192.0.2.10:50001');
  });
});
