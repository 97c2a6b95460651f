/** Which organisation each device is in, for narrowing pictures to a department. */
import { deviceTablesDb } from '../../read-models/device-tables.ts';
import type { Db } from '../../sql/database.ts';

/** The organisation of each of `deviceIds` that has a profile; others are in the root `0`. */
export async function orgIdsOfDevices(
  db: Db,
  deviceIds: readonly string[],
): Promise<Map<string, string>> {
  if (deviceIds.length === 0) return new Map();
  const rows = await deviceTablesDb(db)
    .selectFrom('device_profiles')
    .select(['device_id', 'device_org_id'])
    .where('device_id', 'in', [...new Set(deviceIds)])
    .execute();
  return new Map(rows.map((row) => [row.device_id, row.device_org_id]));
}
