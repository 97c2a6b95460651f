/**
 * Kysely table types of the fanout (schema/migrations/0020-subscriptions.ts). They are added
 * to a `Db` with `withFanoutTables`, so the shared `Database` type stays as it is.
 */
import type { Generated, Kysely } from 'kysely';

import type { Database } from '../sql/database.ts';

/** A subscription as the API and the delivery loop read it (a read model). */
export interface SubscriptionsTable {
  subscription_id: string;
  user_id: string;
  subscription_type: string;
  callback_url: string;
  /** The HMAC key: the caller's `auth_key` or the secret generated at registration. */
  signing_key: string;
  key_source: string;
  created_at: string;
  updated_at: string;
}

/** Circuit breaker states (closed: delivering; open: paused; half_open: one probe). */
export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Delivery progress of one subscription. Not a read model: a rebuild of the projection keeps
 * it (rows are created once and `control_position` skips subscription events applied already).
 */
export interface SubscriptionDeliveriesTable {
  subscription_id: string;
  user_id: string;
  /** The global position delivered through (or skipped as not for this subscription). */
  position: number;
  /** Bumped by a re-registration or a replay, so that a delivery in flight cannot undo it. */
  epoch: number;
  /** The global position of the last subscription event applied to this row. */
  control_position: number;
  /** Consecutive failed attempts at the next message. */
  attempts: number;
  next_attempt_at: string | null;
  breaker_state: BreakerState;
  breaker_reason: string | null;
  breaker_opened_at: string | null;
  updated_at: string;
}

/** What became of one attempt at one message. */
export type DeliveryOutcome = 'delivered' | 'failed';

export interface SubscriptionDeliveryLogTable {
  log_id: Generated<number>;
  subscription_id: string;
  user_id: string;
  message_id: string;
  message_type: string;
  attempt: number;
  outcome: DeliveryOutcome;
  http_status: number | null;
  detail: string | null;
  at: string;
}

export type FanoutTables = {
  subscriptions: SubscriptionsTable;
  subscription_deliveries: SubscriptionDeliveriesTable;
  subscription_delivery_log: SubscriptionDeliveryLogTable;
};

export type FanoutDb = Kysely<Database & FanoutTables>;

/** The same connection (or transaction), typed with the fanout tables. */
export function withFanoutTables(db: Kysely<Database>): FanoutDb {
  return db.withTables<FanoutTables>();
}
