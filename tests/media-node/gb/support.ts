/**
 * A media node's GB/T 28181 pieces on a real SQLite event store in memory, with a transport
 * that keeps what is sent and a clock the test moves.
 */
import { openSqliteDatabase } from '../../../schema/sqlite-node.ts';
import {
  decideAddDevice,
  foldDevice,
  type Device,
  type DeviceEvent,
  type DigestAlgorithm,
} from '../../../src/domain/device.ts';
import { streamNames } from '../../../src/event-store/event-store.ts';
import { SqlEventStore } from '../../../src/event-store/sql-event-store.ts';
import { DeviceCommands } from '../../../media-node/gb/device-commands.ts';
import { DeviceRegistry } from '../../../media-node/gb/device-registry.ts';
import type { SipMessage, SipResponse } from '../../../media-node/formats/sip-message.ts';
import type { SipPeer, SipTransport } from '../../../media-node/sip/sip-transport.ts';
import { recordingLogger } from '../support/recording-logger.ts';

export const userId = '100000000000000001';

export interface Sent {
  readonly peer: SipPeer;
  readonly message: SipMessage;
}

export async function gbHarness(start = new Date('2026-01-01T00:00:00Z')) {
  const db = await openSqliteDatabase(':memory:');
  const store = new SqlEventStore({ db, dialect: 'sqlite' });
  const commands = new DeviceCommands(store);
  const sent: Sent[] = [];
  const transport = {
    send: (peer: SipPeer, message: SipMessage) => sent.push({ peer, message }) > 0,
  } as unknown as SipTransport;
  let clock = start.getTime();

  return {
    db,
    store,
    commands,
    sent,
    transport,
    registry: new DeviceRegistry(),
    logger: recordingLogger(),
    now: () => new Date(clock),
    advance: (ms: number) => {
      clock += ms;
    },
    /** The last response sent. */
    lastResponse: () => sent.at(-1)?.message as SipResponse | undefined,
    async addDevice(
      deviceId: string,
      options: { password?: string; algorithm?: DigestAlgorithm; username?: string } = {},
    ): Promise<void> {
      await commands.run(deviceId, (d) =>
        decideAddDevice(d, {
          userId,
          name: 'Camera',
          password: options.password ?? '12345678',
          algorithm: options.algorithm,
          username: options.username,
          at: new Date(clock),
        }),
      );
    },
    /** The events of the device's stream, by type. */
    async eventTypes(deviceId: string): Promise<string[]> {
      const events = await store.readStream(streamNames.device(deviceId));
      return events.map((e) => e.type);
    },
    async events(deviceId: string): Promise<DeviceEvent[]> {
      const events = await store.readStream(streamNames.device(deviceId));
      return events.map((e) => ({ type: e.type, data: e.data }) as DeviceEvent);
    },
    async device(deviceId: string): Promise<Device> {
      const events = await store.readStream(streamNames.device(deviceId));
      return foldDevice(
        deviceId,
        events.map((e) => ({ type: e.type, data: e.data }) as DeviceEvent),
      );
    },
    close: () => db.destroy(),
  };
}

export type GbHarness = Awaited<ReturnType<typeof gbHarness>>;
