import type { Kysely } from 'kysely';

import type { EventStore } from '../event-store/event-store.ts';
import type { Database, Db, SqlDialectKind } from '../sql/database.ts';
import { withWriteTransaction } from '../sql/write-transaction.ts';
import type { Projection } from './projection.ts';

export interface ProjectionRunnerOptions {
  readonly db: Db;
  readonly dialect: SqlDialectKind;
  readonly store: EventStore;
  readonly projections: readonly Projection[];
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Applies the global log to projections. Each batch is applied and its checkpoint advanced
 * in one write transaction, re-reading the checkpoint inside it, so any number of runners
 * (the API and every media node) can run at once and a crash neither skips nor repeats an
 * event.
 */
export class ProjectionRunner {
  readonly #options: ProjectionRunnerOptions;
  #position = 0;

  constructor(options: ProjectionRunnerOptions) {
    this.#options = options;
  }

  /** The lowest checkpoint among the projections this runner has seen applied. */
  get position(): number {
    return this.#position;
  }

  /**
   * Applies everything stored now, by this runner or another. Returns the position reached.
   * @throws the projection's error, after rolling back the batch it failed in
   */
  async catchUp(): Promise<number> {
    for (;;) {
      const steps = await Promise.all(this.#options.projections.map((p) => this.#step(p)));
      this.#position = Math.min(...steps.map((step) => step.position));
      // A batch another runner applied first applies nothing here, yet more may follow it.
      if (steps.every((step) => step.read === 0)) return this.#position;
    }
  }

  /**
   * Resolves true once the read models include the event at `position`, false where
   * `timeoutMs` passes first (another process holding the write lock, say).
   */
  async waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#position < position) {
      await this.catchUp();
      if (this.#position >= position) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** Follows the log until the signal aborts. Errors are reported and retried. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.#options.pollIntervalMs ?? 100;
    while (!signal.aborted) {
      try {
        await this.catchUp();
      } catch (error) {
        this.#options.onError?.(error);
      }
      await sleep(interval, signal);
    }
  }

  /**
   * Reads a batch after the last checkpoint, then applies, inside the write transaction, the
   * part of it that is still after the checkpoint: another runner may have advanced it
   * meanwhile. Events are read outside the transaction since the store need not be this
   * database.
   */
  async #step(projection: Projection): Promise<{ position: number; read: number }> {
    const { db, dialect, store } = this.#options;
    const seen = await readCheckpoint(db, projection.name);
    const batch = await store.readAll({ after: seen, maxCount: this.#options.batchSize ?? 200 });
    if (batch.length === 0) return { position: seen, read: 0 };

    return withWriteTransaction(db, dialect, async (trx) => {
      const from = await readCheckpoint(trx, projection.name);
      const events = batch.filter((event) => event.globalPosition > from);
      for (const event of events) await projection.apply(trx, event);

      const position = Math.max(from, batch.at(-1)?.globalPosition ?? from);
      if (position > from) await writeCheckpoint(trx, projection.name, position);
      return { position, read: batch.length };
    });
  }
}

async function readCheckpoint(trx: Kysely<Database>, name: string): Promise<number> {
  const row = await trx
    .selectFrom('projection_checkpoints')
    .select('position')
    .where('projection_name', '=', name)
    .executeTakeFirst();
  return Number(row?.position ?? 0);
}

async function writeCheckpoint(trx: Kysely<Database>, name: string, position: number) {
  await trx
    .insertInto('projection_checkpoints')
    .values({ projection_name: name, position, updated_at: new Date().toISOString() })
    .onConflict((oc) =>
      oc.column('projection_name').doUpdateSet({ position, updated_at: new Date().toISOString() }),
    )
    .execute();
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
