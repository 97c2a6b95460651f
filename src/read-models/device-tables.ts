/**
 * Kysely types of the tables schema/migrations/0007-device-management.ts adds: widen a `Db`
 * with `deviceTablesDb` to see them beside those of `Database`.
 */
import type { Db } from '../sql/database.ts';

// Type aliases, not interfaces: Kysely's withTables wants types with implicit index signatures.
/** Beside `devices`: a device without a row (added before 0007) is in `0` with no description. */
export type DeviceProfilesTable = {
  device_id: string;
  user_id: string;
  /** The organisation of its tenant the device belongs to; `0` is the root. */
  device_org_id: string;
  description: string;
};

/** Beside `channels`, which a new catalog rewrites: when each channel first appeared. */
export type ChannelProfilesTable = {
  device_id: string;
  channel_id: string;
  /** ISO 8601. */
  created_at: string;
};

/** The first answer to a batch add, kept for 24 h under its `Idempotency-Key`. */
export type IdempotentRequestsTable = {
  user_id: string;
  idempotency_key: string;
  /** `POST /v1/{user_id}/devices/gb/batch-add`: a key is bound to one route. */
  route: string;
  /** SHA-256 of the request body, hex. */
  body_hash: string;
  /** The JSON answered. */
  answer: string;
  created_at: string;
};

export type DeviceTables = {
  device_profiles: DeviceProfilesTable;
  channel_profiles: ChannelProfilesTable;
  idempotent_requests: IdempotentRequestsTable;
};

/** The database with the device columns of 0007 in view. */
export function deviceTablesDb(db: Db) {
  return db.withTables<DeviceTables>();
}
