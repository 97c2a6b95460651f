import { ArgusError, errorCodes } from '../errors.ts';
import type { Database, Db, SqlDialectKind } from '../sql/database.ts';
import { withWriteTransaction } from '../sql/write-transaction.ts';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from './event-store.ts';
import type { Kysely, Selectable } from 'kysely';
import type { EventsTable } from '../sql/database.ts';

export interface SqlEventStoreOptions {
  readonly db: Db;
  readonly dialect: SqlDialectKind;
  /** How often a follower looks for events appended by other processes. */
  readonly pollIntervalMs?: number;
  /** Clock for `recordedAt`; tests inject one. */
  readonly now?: () => Date;
}

const readBatchSize = 500;

/**
 * The event store on SQL through Kysely (SQLite embedded, Postgres). One `events` table holds
 * the global log; the unique (stream_name, stream_revision) index backs optimistic
 * concurrency and the unique event_id backs idempotence.
 */
export class SqlEventStore implements EventStore {
  readonly #db: Db;
  readonly #dialect: SqlDialectKind;
  readonly #pollIntervalMs: number;
  readonly #now: () => Date;
  readonly #wakers = new Set<() => void>();

  constructor(options: SqlEventStoreOptions) {
    this.#db = options.db;
    this.#dialect = options.dialect;
    this.#pollIntervalMs = options.pollIntervalMs ?? 200;
    this.#now = options.now ?? (() => new Date());
  }

  async appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    const withIds = events.map((event) => ({ ...event, id: event.id ?? crypto.randomUUID() }));

    const result = await withWriteTransaction(this.#db, this.#dialect, async (trx) => {
      const duplicate = await findStoredDuplicates(trx, streamName, withIds);
      if (duplicate !== undefined) return duplicate;

      const current = await currentRevision(trx, streamName);
      checkExpectedRevision(streamName, expected, current);
      return insertEvents(trx, streamName, current, withIds, this.#now().toISOString());
    });

    this.#wakeFollowers();
    return result;
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('stream_name', '=', streamName)
      .where('stream_revision', '>=', options.fromRevision ?? 0)
      .orderBy('stream_revision')
      .limit(options.maxCount ?? Number.MAX_SAFE_INTEGER)
      .execute();
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('global_position', '>', options.after ?? 0)
      .orderBy('global_position')
      .limit(options.maxCount ?? readBatchSize)
      .execute();
    return rows.map(toRecordedEvent);
  }

  async headPosition(): Promise<number> {
    const row = await this.#db
      .selectFrom('events')
      .select((eb) => eb.fn.max('global_position').as('head'))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  async *subscribeToAll(options: SubscribeOptions = {}): AsyncIterable<RecordedEvent> {
    let after = options.after ?? 0;
    const signal = options.signal;
    const aborted = () => signal?.aborted === true;
    while (!aborted()) {
      const batch = await this.readAll({ after, maxCount: readBatchSize });
      for (const event of batch) {
        if (aborted()) return;
        yield event;
        after = event.globalPosition;
      }
      if (batch.length < readBatchSize) await this.#waitForAppend(signal);
    }
  }

  /** Resolves on an append in this process, after the poll interval, or on abort. */
  #waitForAppend(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.#pollIntervalMs);
      this.#wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #wakeFollowers(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}

type EventWithId = NewEvent & { readonly id: string };

/** An append whose every event id is already stored in the stream succeeds without writing. */
async function findStoredDuplicates(
  trx: Kysely<Database>,
  streamName: string,
  events: readonly EventWithId[],
): Promise<AppendResult | undefined> {
  if (events.length === 0) return undefined;
  const stored = await trx
    .selectFrom('events')
    .select(['event_id', 'stream_name', 'stream_revision', 'global_position'])
    .where(
      'event_id',
      'in',
      events.map((event) => event.id),
    )
    .execute();
  if (stored.length === 0) return undefined;

  const sameStream = stored.every((row) => row.stream_name === streamName);
  if (stored.length !== events.length || !sameStream) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot append to stream ${streamName}: ` +
        `${stored.length} of ${events.length} event ids are already stored`,
      { streamName },
    );
  }
  const last = stored.reduce((a, b) => (a.global_position > b.global_position ? a : b));
  return {
    nextExpectedRevision: Number(last.stream_revision),
    lastPosition: Number(last.global_position),
  };
}

/** The stream's current revision, -1 where it has no events. */
async function currentRevision(trx: Kysely<Database>, streamName: string): Promise<number> {
  const row = await trx
    .selectFrom('events')
    .select((eb) => eb.fn.max('stream_revision').as('revision'))
    .where('stream_name', '=', streamName)
    .executeTakeFirst();
  return row?.revision === null || row?.revision === undefined ? -1 : Number(row.revision);
}

function checkExpectedRevision(
  streamName: string,
  expected: ExpectedRevision,
  current: number,
): void {
  const matches =
    expected === 'any' ||
    (expected === 'no_stream' && current === -1) ||
    (expected === 'stream_exists' && current >= 0) ||
    expected === current;
  if (matches) return;

  const actual = current === -1 ? 'no stream' : String(current);
  throw new ArgusError(
    errorCodes.WRONG_EXPECTED_REVISION,
    `Cannot append to stream ${streamName}: expected revision ${expected}, actual ${actual}`,
    { streamName, expectedRevision: expected, actualRevision: current },
  );
}

async function insertEvents(
  trx: Kysely<Database>,
  streamName: string,
  current: number,
  events: readonly EventWithId[],
  recordedAt: string,
): Promise<AppendResult> {
  if (events.length === 0) {
    return { nextExpectedRevision: current, lastPosition: 0 };
  }
  const rows = events.map((event, index) => ({
    event_id: event.id,
    stream_name: streamName,
    stream_revision: current + 1 + index,
    event_type: event.type,
    data: JSON.stringify(event.data),
    metadata: JSON.stringify(event.metadata ?? {}),
    recorded_at: recordedAt,
  }));
  const inserted = await trx
    .insertInto('events')
    .values(rows)
    .returning('global_position')
    .execute();
  const lastPosition = Math.max(...inserted.map((row) => Number(row.global_position)));
  return { nextExpectedRevision: current + events.length, lastPosition };
}

function toRecordedEvent(row: Selectable<EventsTable>): RecordedEvent {
  return {
    id: row.event_id,
    type: row.event_type,
    data: JSON.parse(row.data) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    streamName: row.stream_name,
    revision: Number(row.stream_revision),
    globalPosition: Number(row.global_position),
    recordedAt: row.recorded_at,
  };
}
