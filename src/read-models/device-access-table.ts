/**
 * The `device_access` read model (schema/migrations/0010): why each device is or is not
 * connected. Kept apart from `devices` so the columns of either can change alone.
 */
import type { Db } from '../sql/database.ts';

// Type aliases, not interfaces: Kysely's withTables wants types with implicit index signatures.
export type DeviceAccessTable = {
  device_id: string;
  /** NOT_CONNECTED, NO_AUTHENTICATION_INFO, AUTHENTICATION_FAILED, CATALOG_ERROR, CONNECTED. */
  gb_access_state: string;
  gb_access_reason: string;
  /** ISO 8601; null before anything was received. */
  gb_last_attempt_at: string | null;
  /** ISO 8601; registrations from the failing source are refused until then. */
  gb_locked_until: string | null;
};

export type DeviceAccessTables = {
  device_access: DeviceAccessTable;
};

/** The database with `device_access` in view. */
export function deviceAccessDb(db: Db) {
  return db.withTables<DeviceAccessTables>();
}
