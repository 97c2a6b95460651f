/**
 * Kysely types of the device-share read model (schema/migrations/0015-device-shares.ts), kept
 * beside `Database` and widened in with `withTables<ShareTables>()`.
 */
import type { Kysely } from 'kysely';

// A type alias, not an interface: Kysely's withTables wants implicit index signatures.
export type DeviceSharesTable = {
  device_id: string;
  grantee_login_name: string;
  grantee_user_id: string;
  owner_user_id: string;
  /** One channel; null for the whole device. */
  channel_id: string | null;
  /** Comma-separated: live, playback, ptz, talk. */
  permissions: string;
  /** ISO 8601; null where the share does not expire. */
  expires_at: string | null;
  shared_at: string;
};

export type ShareTables = { device_shares: DeviceSharesTable };

/** The database (or a transaction) with the share table in view. */
export function shareDb<DB>(db: Kysely<DB>): Kysely<DB & ShareTables> {
  return db.withTables<ShareTables>();
}
