/**
 * Kysely types of the control-plane read models (schema/migrations/0006-control-plane.ts).
 * Kept beside, not inside, `Database`: queries and the projection widen a `Db` with
 * `withTables<ControlPlaneTables>()`.
 */
import type { Db } from '../sql/database.ts';

export type AccessKeysTable = {
  user_id: string;
  ak: string;
  sk_hash: string;
  created_at: string;
};

/** One access token slot of an AK: the token a login issued, as refreshed since. */
export type AccessSessionsTable = {
  session_id: string;
  user_id: string;
  ak: string;
  /** Bumped by each refresh; only the token of the current generation is accepted. */
  generation: number;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
};

export type AccountsTable = {
  login_name: string;
  /** The enterprise, or for a personal account its own user ID. */
  user_id: string;
  kind: 'ENTERPRISE' | 'PERSONAL';
  role: string;
  device_org_id: string;
  display_name: string;
  password_hash: string;
  created_at: string;
  updated_at: string;
};

export type DeviceOrgsTable = {
  user_id: string;
  device_org_id: string;
  parent_org_id: string;
  device_org_name: string;
  /** The root organisation `0` is level 1, its children level 2, … (at most maxOrgLevels). */
  level: number;
  created_at: string;
};

export type ControlPlaneTables = {
  access_keys: AccessKeysTable;
  access_sessions: AccessSessionsTable;
  accounts: AccountsTable;
  device_orgs: DeviceOrgsTable;
};

/** The database with the control-plane tables in view. */
export function controlPlaneDb(db: Db) {
  return db.withTables<ControlPlaneTables>();
}
