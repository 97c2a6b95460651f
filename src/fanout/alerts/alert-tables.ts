/**
 * Kysely table types of user alerts (schema/migrations/0016-alerts.ts), added to a `Db` with
 * `withAlertTables` so the shared `Database` type stays as it is.
 */
import type { Generated, Kysely } from 'kysely';

import type { Database } from '../../sql/database.ts';

// Type aliases, not interfaces: Kysely's withTables wants types with implicit index signatures.
/** A user who receives alerts, with the throttle's progress: reactor state, not a read model. */
export type AlertRecipientsTable = {
  /** `<user_id>/<recipient>`. */
  recipient_id: string;
  user_id: string;
  /** The login name, or `ak:<AK>` for an enterprise's AK/SK. */
  recipient: string;
  role: string;
  /** A department manager's department; `0` for the whole tenant. */
  device_org_id: string;
  /** The global position read through. */
  position: number;
  /** End of the open window, ISO 8601; null before the first alert. */
  window_end: string | null;
  held: number;
  /** JSON: alarms held back per device. */
  held_by_device: string;
  /** JSON: the first alarm held back. */
  first_held: string | null;
  /** The last alert sent as Web Push (or skipped: no push for this user). */
  pushed_seq: number;
  created_at: string;
  updated_at: string;
};

export type AlertsTable = {
  alert_seq: Generated<number>;
  alert_id: string;
  recipient_id: string;
  user_id: string;
  /** JSON: the alert as the stream and Web Push send it. */
  body: string;
  created_at: string;
};

export type AlertTables = {
  alert_recipients: AlertRecipientsTable;
  alerts: AlertsTable;
};

export type AlertDb = Kysely<Database & AlertTables>;

/** The same connection (or transaction), typed with the alert tables. */
export function withAlertTables(db: Kysely<Database>): AlertDb {
  return db.withTables<AlertTables>();
}
