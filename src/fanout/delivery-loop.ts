/**
 * The webhook reactor. The event log is the outbox: each subscription keeps, in SQL, the
 * global position it has delivered through, and the loop reads the log after it, posts each
 * message of the subscription's type about a device of its enterprise, and advances the
 * position only once the receiver answered 200. So delivery is at least once (a crash between
 * the answer and the write repeats one message, with the same `message_id`), and in log
 * order, hence in order per device: a failing message holds back those after it.
 *
 * Progress is kept in the `subscription_deliveries` table rather than as events: it changes
 * on every delivered message, and events for it would double the log that every loop reads
 * and feed back into it. Registrations and replays, which change it by intent, are events.
 */
import type { Insertable } from 'kysely';

import { messageTypeOf, type MessageType, type SubscriptionType } from '../domain/subscription.ts';
import type { EventStore, RecordedEvent } from '../event-store/event-store.ts';
import type { Logger } from '../logger.ts';
import type { Db, SqlDialectKind } from '../sql/database.ts';
import { withWriteTransaction } from '../sql/write-transaction.ts';
import {
  admit,
  afterFailure,
  afterSuccess,
  defaultDeliveryPolicy,
  type DeliveryPolicy,
} from './delivery-policy.ts';
import { DataflowGate } from './dataflow-gate.ts';
import { DeviceOwners } from './device-owners.ts';
import {
  withFanoutTables,
  type SubscriptionDeliveriesTable,
  type SubscriptionDeliveryLogTable,
} from './fanout-tables.ts';
import { envelope, messageId, messageOf } from './messages.ts';
import { postMessage, type Fetch, type PostOutcome } from './post-message.ts';
import { signedHeaders } from './signature.ts';

export interface DeliveryLoopOptions {
  readonly db: Db;
  readonly dialect: SqlDialectKind;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly fetch?: Fetch;
  readonly now?: () => Date;
  readonly policy?: Partial<DeliveryPolicy>;
  /** How long `run` waits between passes. */
  readonly pollIntervalMs?: number;
}

/** A subscription with its delivery progress, as one pass reads it. */
type Target = SubscriptionDeliveriesTable & {
  callback_url: string;
  signing_key: string;
  key_source: string;
  subscription_type: string;
};

/** Batches one subscription may take in one pass, so one backlog does not hold the others. */
const maxBatchesPerPass = 10;

export class DeliveryLoop {
  readonly #options: DeliveryLoopOptions;
  readonly #policy: DeliveryPolicy;
  readonly #fetch: Fetch;
  readonly #now: () => Date;
  readonly #owners: DeviceOwners;
  readonly #gate: DataflowGate;

  constructor(options: DeliveryLoopOptions) {
    this.#options = options;
    this.#policy = { ...defaultDeliveryPolicy, ...options.policy };
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? (() => new Date());
    this.#owners = new DeviceOwners(options.store);
    this.#gate = new DataflowGate(options.db);
  }

  /** Follows the log until the signal aborts. Errors are logged and the pass retried. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#options.pollIntervalMs ?? 250;
    while (!signal.aborted) {
      try {
        await this.runOnce(signal);
      } catch (err) {
        this.#options.logger.error({ err }, 'delivery pass failed');
      }
      await sleep(interval, signal);
    }
  }

  /** One pass: every subscription that is due gets what the log holds for it, in order. */
  async runOnce(signal?: AbortSignal): Promise<void> {
    const targets = await this.#targets();
    await Promise.all(targets.map((target) => this.#deliver(target, signal)));
  }

  async #targets(): Promise<Target[]> {
    const rows = await withFanoutTables(this.#options.db)
      .selectFrom('subscription_deliveries as d')
      .innerJoin('subscriptions as s', 's.subscription_id', 'd.subscription_id')
      .selectAll('d')
      .select(['s.callback_url', 's.signing_key', 's.key_source', 's.subscription_type'])
      .orderBy('d.subscription_id')
      .execute();
    // pg returns bigint columns as strings.
    return rows.map((row) => ({
      ...row,
      position: Number(row.position),
      epoch: Number(row.epoch),
      attempts: Number(row.attempts),
    }));
  }

  async #deliver(row: Target, signal: AbortSignal | undefined): Promise<void> {
    let target = row;
    const admission = admit(target, this.#now(), this.#policy);
    if (admission === 'wait') return;
    if (admission === 'probe' && target.breaker_state === 'open') {
      const halfOpen = { ...target, breaker_state: 'half_open' as const };
      if (!(await this.#save(target, { breaker_state: 'half_open' }))) return;
      target = halfOpen;
    }

    const wanted = messageTypeOf[target.subscription_type as SubscriptionType];
    for (let batch = 0; batch < maxBatchesPerPass && signal?.aborted !== true; batch++) {
      const events = await this.#options.store.readAll({
        after: target.position,
        maxCount: this.#policy.batchSize,
      });
      const step = await this.#deliverBatch(target, events, wanted, signal);
      if (step === undefined) return;
      target = step;
      if (events.length < this.#policy.batchSize) return;
    }
  }

  /**
   * Posts the batch's messages for the subscription in order, stopping at the first failure.
   * @returns the progress reached, undefined where delivery stopped
   */
  async #deliverBatch(
    target: Target,
    events: readonly RecordedEvent[],
    wanted: MessageType,
    signal: AbortSignal | undefined,
  ): Promise<Target | undefined> {
    let current = target;
    let skippedTo = current.position;
    for (const event of events) {
      if (signal?.aborted === true) break;
      const message = messageOf(event);
      const owner =
        message?.messageType === wanted
          ? await this.#owners.ownerAt(message.deviceId, event.globalPosition)
          : undefined;
      if (
        message === undefined ||
        owner !== current.user_id ||
        !(await this.#gate.admits(owner, message, event.recordedAt))
      ) {
        skippedTo = event.globalPosition;
        continue;
      }

      const body = JSON.stringify(envelope(event.globalPosition, message));
      const outcome = await this.#post(current, body);
      const next = await this.#record(current, event.globalPosition, wanted, outcome);
      if (next === undefined) return undefined;
      current = next;
      skippedTo = current.position;
    }
    if (skippedTo > current.position) {
      if (!(await this.#save(current, { position: skippedTo }))) return undefined;
      current = { ...current, position: skippedTo };
    }
    return current;
  }

  async #post(target: Target, body: string): Promise<PostOutcome> {
    return postMessage({
      fetch: this.#fetch,
      url: target.callback_url,
      body,
      headers: await signedHeaders(
        {
          callbackUrl: target.callback_url,
          signingKey: target.signing_key,
          keySource: target.key_source,
        },
        body,
        this.#now(),
      ),
      timeoutMs: this.#policy.timeoutMs,
    });
  }

  /**
   * Stores an attempt's outcome and logs it.
   * @returns the progress after a delivered message; undefined after a failure, or where a
   * replay or re-registration changed the progress meanwhile
   */
  async #record(
    target: Target,
    position: number,
    messageType: MessageType,
    outcome: PostOutcome,
  ): Promise<Target | undefined> {
    const now = this.#now();
    const probe = target.breaker_state === 'half_open';
    const id = messageId(position);
    const changes = outcome.ok
      ? { ...afterSuccess(), position }
      : afterFailure(target, { messageId: id, reason: outcome.reason, probe }, now, this.#policy);
    const log = {
      subscription_id: target.subscription_id,
      user_id: target.user_id,
      message_id: id,
      message_type: messageType,
      attempt: target.attempts + 1,
      outcome: outcome.ok ? ('delivered' as const) : ('failed' as const),
      http_status: outcome.status ?? null,
      detail: outcome.ok ? null : outcome.reason,
      at: now.toISOString(),
    };
    const saved = await this.#save(target, changes, log);
    this.#logTransition(target, changes);
    return saved && outcome.ok ? { ...target, ...changes } : undefined;
  }

  #logTransition(
    target: Target,
    changes: { breaker_state: string; breaker_reason?: string | null },
  ) {
    if (changes.breaker_state === target.breaker_state) return;
    const fields = { subscriptionId: target.subscription_id, reason: changes.breaker_reason };
    if (changes.breaker_state === 'open') this.#options.logger.warn(fields, 'delivery paused');
    else this.#options.logger.info(fields, 'delivery resumed');
  }

  /**
   * Writes progress (and a log line) where the row's epoch is still the one read.
   * @returns false where a replay or re-registration bumped the epoch meanwhile
   */
  async #save(
    target: Target,
    changes: Partial<SubscriptionDeliveriesTable>,
    log?: Insertable<SubscriptionDeliveryLogTable>,
  ): Promise<boolean> {
    const { db, dialect } = this.#options;
    const updatedAt = this.#now().toISOString();
    return withWriteTransaction(db, dialect, async (trx) => {
      const t = withFanoutTables(trx);
      const result = await t
        .updateTable('subscription_deliveries')
        .set({ ...changes, updated_at: updatedAt })
        .where('subscription_id', '=', target.subscription_id)
        .where('epoch', '=', target.epoch)
        .executeTakeFirst();
      const applied = Number(result.numUpdatedRows) > 0;
      if (applied && log !== undefined) {
        await t.insertInto('subscription_delivery_log').values(log).execute();
      }
      return applied;
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
