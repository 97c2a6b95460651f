/**
 * Kysely types of the service-package read models (schema/migrations/0008-service-packages.ts),
 * kept beside `Database` and widened in with `withTables<PackageTables>()`.
 */
import type { Kysely } from 'kysely';

// Type aliases, not interfaces: Kysely's withTables wants types with implicit index signatures.
export type ServicePackagesTable = {
  resource_id: string;
  user_id: string;
  /** MANAGE, NORMAL, MOTION or DATAFLOW. */
  resource_type: string;
  name: string;
  channel_quota: number;
  /** ISO 8601; null where the package does not expire. */
  expires_at: string | null;
  granted_at: string;
};

/** A live binding: released and unbound ones are deleted. */
export type PackageChannelsTable = {
  resource_id: string;
  user_id: string;
  device_id: string;
  channel_id: string;
  bound_at: string;
};

export type PackageTables = {
  service_packages: ServicePackagesTable;
  package_channels: PackageChannelsTable;
};

/** The database (or a transaction) with the package tables in view. */
export function packageDb<DB>(db: Kysely<DB>): Kysely<DB & PackageTables> {
  return db.withTables<PackageTables>();
}
