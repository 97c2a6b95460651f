/**
 * Who receives alerts. A console user becomes a recipient when they first open the alert
 * stream or store a push subscription; from then on the alert loop follows the log for them,
 * starting at the head at that moment (older alarms are not alerted), whether they are
 * connected or not, so Web Push reaches them and the throttle keeps its window.
 */
import type { Principal } from '../../auth/permissions.ts';
import {
  defaultAlertWindowS,
  foldAlertSettings,
  tenantAlertSettingsStream,
  userAlertSettingsStream,
  type AlertSettings,
  type AlertSettingsEvent,
} from '../../domain/alert-settings.ts';
import { asDomainEvent } from '../../domain/command-handler.ts';
import type { EventStore } from '../../event-store/event-store.ts';
import { findAccount } from '../../read-models/control-plane-queries.ts';
import { findCredential } from '../../read-models/queries.ts';
import type { Db } from '../../sql/database.ts';
import { withAlertTables } from './alert-tables.ts';

/** The recipient name of a caller: its login name, or `ak:<AK>` for an AK/SK token. */
export function recipientOf(principal: Principal): string {
  return principal.loginName ?? `ak:${principal.ak ?? ''}`;
}

/** The key of a recipient's row and alerts. */
export function recipientId(userId: string, recipient: string): string {
  return `${userId}/${recipient}`;
}

/**
 * Makes the caller a recipient (from the log's head) where it is not one yet, and records its
 * current role and department, which decide whose alarms it gets.
 * @returns the recipient id
 */
export async function ensureRecipient(
  db: Db,
  store: EventStore,
  principal: Principal,
  now: Date,
): Promise<string> {
  const recipient = recipientOf(principal);
  const id = recipientId(principal.userId, recipient);
  const at = now.toISOString();
  const scope = { role: principal.role, device_org_id: principal.deviceOrgId, updated_at: at };
  const position = await store.headPosition();
  await withAlertTables(db)
    .insertInto('alert_recipients')
    .values({
      recipient_id: id,
      user_id: principal.userId,
      recipient,
      ...scope,
      position,
      window_end: null,
      held: 0,
      held_by_device: '{}',
      first_held: null,
      pushed_seq: 0,
      created_at: at,
    })
    .onConflict((oc) => oc.column('recipient_id').doUpdateSet(scope))
    .execute();
  return id;
}

/** What applies to a recipient: its own settings, else the tenant default, else 20 s. */
export interface EffectiveAlertSettings {
  readonly windowMs: number;
  readonly webPush: boolean;
  readonly pushSubscriptions: AlertSettings['pushSubscriptions'];
}

/** Reads a recipient's settings and the tenant default from their streams. */
export async function effectiveAlertSettings(
  store: EventStore,
  userId: string,
  recipient: string,
): Promise<EffectiveAlertSettings> {
  const own = await readAlertSettings(store, userId, userAlertSettingsStream(recipient));
  const tenant = await readAlertSettings(store, userId, tenantAlertSettingsStream(userId));
  const windowS = own.alertWindowS ?? tenant.alertWindowS ?? defaultAlertWindowS;
  return {
    windowMs: windowS * 1000,
    webPush: own.webPush,
    pushSubscriptions: own.pushSubscriptions,
  };
}

/** The settings folded from one settings stream. */
export async function readAlertSettings(
  store: EventStore,
  userId: string,
  streamName: string,
): Promise<AlertSettings> {
  const events = await store.readStream(streamName);
  return foldAlertSettings(userId, events.map(asDomainEvent<AlertSettingsEvent>));
}

/**
 * True while the recipient's account (or AK) still exists in its tenant. A deleted user gets
 * no more alerts, above all no more Web Push to the browsers they had subscribed.
 */
export async function recipientExists(
  db: Db,
  row: { user_id: string; recipient: string },
): Promise<boolean> {
  if (row.recipient.startsWith('ak:')) {
    return (await findCredential(db, row.user_id, row.recipient.slice(3))) !== undefined;
  }
  const account = await findAccount(db, row.recipient);
  return account !== undefined && account.user_id === row.user_id;
}

/** Stops alerting a recipient: its row and its alerts go. */
export async function removeRecipient(db: Db, recipientId: string): Promise<void> {
  const t = withAlertTables(db);
  await t.deleteFrom('alerts').where('recipient_id', '=', recipientId).execute();
  await t.deleteFrom('alert_recipients').where('recipient_id', '=', recipientId).execute();
}
