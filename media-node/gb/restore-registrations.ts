/**
 * After a restart, the devices this node served are still registered as far as they know:
 * take them back from the read model, as last seen now, so that their keepalives are
 * accepted and silence makes them offline as usual.
 */
import type { Db } from '../../src/sql/database.ts';
import type { DeviceRegistry } from './device-registry.ts';

/** Registrations taken back are trusted for this long at most before a new REGISTER. */
const restoredLifetimeMs = 3600_000;

export async function restoreRegistrations(
  db: Db,
  registry: DeviceRegistry,
  nodeId: string,
  now: Date,
): Promise<number> {
  const rows = await db
    .selectFrom('devices')
    .select(['device_id', 'remote_address', 'transport'])
    .where('media_node_id', '=', nodeId)
    .where('device_state', '=', 'ONLINE')
    .execute();

  let restored = 0;
  for (const row of rows) {
    const match = /^(.*):(\d+)$/.exec(row.remote_address ?? '');
    if (match === null || row.transport !== 'UDP') continue; // a TCP device must reconnect
    registry.set({
      deviceId: row.device_id,
      peer: { transport: 'UDP', address: match[1] ?? '', port: Number(match[2]) },
      expiresAt: now.getTime() + restoredLifetimeMs,
      lastSeenAt: now.getTime(),
      online: true,
    });
    restored++;
  }
  return restored;
}
