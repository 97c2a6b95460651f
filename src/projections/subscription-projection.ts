import type { Kysely } from 'kysely';

import type { SubscriptionEvent } from '../domain/subscription.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import { withFanoutTables, type FanoutDb } from '../fanout/fanout-tables.ts';
import type { Database } from '../sql/database.ts';
import type { Projection } from './projection.ts';

type Handlers = {
  [T in SubscriptionEvent['type']]: (
    trx: FanoutDb,
    data: Extract<SubscriptionEvent, { type: T }>['data'],
    position: number,
  ) => Promise<void>;
};

/**
 * Subscriptions as the API lists them, and the control part of their delivery progress:
 * where delivery starts, and the replays and re-registrations that move or reset it. The
 * progress row is written only for subscription events after its `control_position`, so a
 * rebuild of this read model neither resets delivery nor repeats a replay.
 */
export const subscriptionProjection: Projection = {
  name: 'subscriptions',
  async apply(trx: Kysely<Database>, event: RecordedEvent) {
    const handler = handlers[event.type as SubscriptionEvent['type']] as
      ((trx: FanoutDb, data: unknown, position: number) => Promise<void>) | undefined;
    await handler?.(withFanoutTables(trx), event.data, event.globalPosition);
  },
};

const handlers: Handlers = {
  async SubscriptionRegistered(trx, data, position) {
    const values = {
      callback_url: data.callbackUrl,
      signing_key: data.signingKey,
      key_source: data.keySource,
      updated_at: data.at,
    };
    await trx
      .insertInto('subscriptions')
      .values({
        subscription_id: data.subscriptionId,
        user_id: data.userId,
        subscription_type: data.subscriptionType,
        created_at: data.at,
        ...values,
      })
      .onConflict((oc) => oc.column('subscription_id').doUpdateSet(values))
      .execute();

    const inserted = await trx
      .insertInto('subscription_deliveries')
      .values({
        subscription_id: data.subscriptionId,
        user_id: data.userId,
        position: data.startAfter,
        epoch: 0,
        control_position: position,
        ...closedBreaker(data.at),
      })
      .onConflict((oc) => oc.column('subscription_id').doNothing())
      .executeTakeFirst();
    // A new URL or key was verified just now: deliver to it at once, from where delivery was.
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      await updateControl(trx, data.subscriptionId, position, closedBreaker(data.at));
    }
  },

  async SubscriptionRemoved(trx, data) {
    await trx
      .deleteFrom('subscriptions')
      .where('subscription_id', '=', data.subscriptionId)
      .execute();
    await trx
      .deleteFrom('subscription_deliveries')
      .where('subscription_id', '=', data.subscriptionId)
      .execute();
  },

  async SubscriptionReplayRequested(trx, data, position) {
    await updateControl(trx, data.subscriptionId, position, {
      position: data.fromPosition - 1,
      ...closedBreaker(data.at),
    });
  },
};

function closedBreaker(at: string) {
  return {
    attempts: 0,
    next_attempt_at: null,
    breaker_state: 'closed' as const,
    breaker_reason: null,
    breaker_opened_at: null,
    updated_at: at,
  };
}

/** Applies a control change once: bumps the epoch so a delivery in flight cannot undo it. */
async function updateControl(
  trx: FanoutDb,
  subscriptionId: string,
  position: number,
  changes: ReturnType<typeof closedBreaker> & { position?: number },
) {
  await trx
    .updateTable('subscription_deliveries')
    .set((eb) => ({ ...changes, epoch: eb('epoch', '+', 1), control_position: position }))
    .where('subscription_id', '=', subscriptionId)
    .where('control_position', '<', position)
    .execute();
}
