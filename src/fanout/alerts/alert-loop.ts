/**
 * The user-alert reactor. Like the delivery loop, it keeps per recipient the global position
 * read through, and reads the log after it: each `DeviceAlarmReceived` the recipient may see
 * goes through its throttle (alert-throttle.ts); then the clock closes windows that ended
 * with alarms held back. The alerts made and the new progress (position and open window) are
 * written in one transaction, so a restart neither alerts an alarm again nor loses one, and
 * the SSE stream and Web Push read the alerts from the `alerts` table.
 */
import type { AlarmEvent } from '../../domain/alarm.ts';
import type { EventStore, RecordedEvent } from '../../event-store/event-store.ts';
import type { Logger } from '../../logger.ts';
import type { Db, SqlDialectKind } from '../../sql/database.ts';
import { withWriteTransaction } from '../../sql/write-transaction.ts';
import { DeviceOwners } from '../device-owners.ts';
import { messageOf } from '../messages.ts';
import { alertBody } from './alert-body.ts';
import {
  effectiveAlertSettings,
  recipientExists,
  removeRecipient,
  type EffectiveAlertSettings,
} from './alert-recipients.ts';
import { AlertScope } from './alert-scope.ts';
import { withAlertTables, type AlertRecipientsTable } from './alert-tables.ts';
import {
  throttleAlarm,
  throttleTick,
  type ThrottledAlert,
  type ThrottleState,
} from './alert-throttle.ts';

/** Sends a recipient's new alerts on (Web Push); the loop records how far it got. */
export interface AlertPusher {
  /**
   * Pushes `alerts` (oldest first) to the recipient's subscriptions.
   * @returns the sequence number of the last alert handled (sent, or given up on)
   */
  push(
    recipient: AlertRecipientsTable,
    settings: EffectiveAlertSettings,
    alerts: readonly { alert_seq: number; body: string }[],
  ): Promise<number>;
}

export interface AlertLoopOptions {
  readonly db: Db;
  readonly dialect: SqlDialectKind;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly pusher?: AlertPusher;
  /** How long `run` waits between passes; 250 ms by default. */
  readonly pollIntervalMs?: number;
  /** Log events read per batch. */
  readonly batchSize?: number;
}

/** One recipient within a pass. */
interface Progress {
  readonly row: AlertRecipientsTable;
  readonly settings: EffectiveAlertSettings;
  state: ThrottleState;
  position: number;
  readonly alerts: ThrottledAlert[];
}

export class AlertLoop {
  readonly #options: AlertLoopOptions;
  readonly #now: () => Date;
  readonly #owners: DeviceOwners;

  constructor(options: AlertLoopOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#owners = new DeviceOwners(options.store);
  }

  /** Follows the log until the signal aborts. Errors are logged and the pass retried. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#options.pollIntervalMs ?? 250;
    while (!signal.aborted) {
      try {
        await this.runOnce();
      } catch (err) {
        this.#options.logger.error({ err }, 'alert pass failed');
      }
      await sleep(interval, signal);
    }
  }

  /** One pass: every recipient's alarms up to the head, its windows closed, its pushes sent. */
  async runOnce(): Promise<void> {
    const progresses = await this.#load();
    if (progresses.length === 0) return;
    const head = await this.#options.store.headPosition();
    await this.#readLog(progresses, head);

    const nowMs = this.#now().getTime();
    for (const progress of progresses) {
      progress.position = Math.max(progress.position, head);
      const step = throttleTick(progress.state, nowMs, progress.settings.windowMs);
      progress.state = step.state;
      if (step.alert !== undefined) progress.alerts.push(step.alert);
      await this.#save(progress);
    }
    if (this.#options.pusher !== undefined) await this.#push(progresses, this.#options.pusher);
  }

  async #load(): Promise<Progress[]> {
    const { db, store } = this.#options;
    const rows = await withAlertTables(db)
      .selectFrom('alert_recipients')
      .selectAll()
      .orderBy('recipient_id')
      .execute();
    const progresses: Progress[] = [];
    for (const raw of rows) {
      if (!(await recipientExists(db, raw))) {
        await removeRecipient(db, raw.recipient_id);
        this.#options.logger.info({ recipient: raw.recipient_id }, 'alert recipient removed');
        continue;
      }
      // pg returns bigint columns as strings.
      const row = { ...raw, position: Number(raw.position), pushed_seq: Number(raw.pushed_seq) };
      const settings = await effectiveAlertSettings(store, row.user_id, row.recipient);
      progresses.push({ row, settings, state: stateOf(row), position: row.position, alerts: [] });
    }
    return progresses;
  }

  /** Feeds each recipient the alarms after its position, up to `head`. */
  async #readLog(progresses: Progress[], head: number): Promise<void> {
    const scope = new AlertScope(this.#options.db, this.#owners);
    const batchSize = this.#options.batchSize ?? 500;
    let after = Math.min(...progresses.map((p) => p.position));
    while (after < head) {
      const events = await this.#options.store.readAll({ after, maxCount: batchSize });
      if (events.length === 0) return;
      for (const event of events) {
        if (event.globalPosition > head) return;
        await this.#feed(progresses, event, scope);
        after = event.globalPosition;
      }
    }
  }

  async #feed(progresses: Progress[], event: RecordedEvent, scope: AlertScope): Promise<void> {
    if (event.type !== 'DeviceAlarmReceived') return;
    const message = messageOf(event);
    if (message === undefined) return;
    const data = event.data as unknown as AlarmEvent['data'];
    const alarm = {
      deviceId: data.deviceId,
      atMs: Date.parse(data.receivedAt),
      data: message.data,
    };
    for (const progress of progresses) {
      if (progress.position >= event.globalPosition) continue;
      progress.position = event.globalPosition;
      if (!(await scope.sees(progress.row, data.deviceId, event.globalPosition))) continue;
      const step = throttleAlarm(progress.state, alarm, progress.settings.windowMs);
      progress.state = step.state;
      if (step.alert !== undefined) progress.alerts.push(step.alert);
    }
  }

  /**
   * Writes the alerts and the progress where the row is still at the position read, so a
   * second API process over the same database cannot alert the same alarms twice.
   */
  async #save(progress: Progress): Promise<void> {
    const { row, state } = progress;
    const unchanged =
      progress.position === row.position && progress.alerts.length === 0 && sameState(row, state);
    if (unchanged) return;
    const at = this.#now().toISOString();
    await withWriteTransaction(this.#options.db, this.#options.dialect, async (trx) => {
      const t = withAlertTables(trx);
      const result = await t
        .updateTable('alert_recipients')
        .set({ position: progress.position, ...columnsOf(state), updated_at: at })
        .where('recipient_id', '=', row.recipient_id)
        .where('position', '=', row.position)
        .where('held', '=', row.held)
        .where('window_end', row.window_end === null ? 'is' : '=', row.window_end)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0 || progress.alerts.length === 0) return;
      const rows = progress.alerts.map((alert) => {
        const alertId = crypto.randomUUID();
        const body = JSON.stringify(alertBody(alertId, alert));
        return { alert_id: alertId, recipient_id: row.recipient_id, user_id: row.user_id, body };
      });
      await t
        .insertInto('alerts')
        .values(rows.map((r) => ({ ...r, created_at: at })))
        .execute();
    });
  }

  async #push(progresses: readonly Progress[], pusher: AlertPusher): Promise<void> {
    const t = withAlertTables(this.#options.db);
    for (const { row, settings } of progresses) {
      const pending = await t
        .selectFrom('alerts')
        .select(['alert_seq', 'body'])
        .where('recipient_id', '=', row.recipient_id)
        .where('alert_seq', '>', row.pushed_seq)
        .orderBy('alert_seq')
        .limit(100)
        .execute();
      if (pending.length === 0) continue;
      const rows = pending.map((p) => ({ alert_seq: Number(p.alert_seq), body: p.body }));
      const through = settings.webPush
        ? await pusher.push(row, settings, rows)
        : (rows.at(-1)?.alert_seq ?? row.pushed_seq);
      await t
        .updateTable('alert_recipients')
        .set({ pushed_seq: through })
        .where('recipient_id', '=', row.recipient_id)
        .execute();
    }
  }
}

function stateOf(row: AlertRecipientsTable): ThrottleState {
  const windowEnd =
    row.window_end === null ? undefined : { windowEndMs: Date.parse(row.window_end) };
  const firstHeld = row.first_held === null ? undefined : { firstHeld: JSON.parse(row.first_held) };
  return {
    ...windowEnd,
    held: Number(row.held),
    heldByDevice: JSON.parse(row.held_by_device) as Record<string, number>,
    ...firstHeld,
  };
}

function columnsOf(state: ThrottleState) {
  return {
    window_end: state.windowEndMs === undefined ? null : new Date(state.windowEndMs).toISOString(),
    held: state.held,
    held_by_device: JSON.stringify(state.heldByDevice),
    first_held: state.firstHeld === undefined ? null : JSON.stringify(state.firstHeld),
  };
}

function sameState(row: AlertRecipientsTable, state: ThrottleState): boolean {
  const columns = columnsOf(state);
  return (
    columns.window_end === row.window_end &&
    columns.held === Number(row.held) &&
    columns.held_by_device === row.held_by_device &&
    columns.first_held === row.first_held
  );
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
