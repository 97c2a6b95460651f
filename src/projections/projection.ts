import type { Kysely } from 'kysely';

import type { RecordedEvent } from '../event-store/event-store.ts';
import type { Database } from '../sql/database.ts';

/**
 * A projection keeps read-model tables from the global log. `apply` runs inside the runner's
 * write transaction, together with the checkpoint update, so it must only write through `trx`
 * and must ignore event types it does not handle.
 */
export interface Projection {
  readonly name: string;
  apply(trx: Kysely<Database>, event: RecordedEvent): Promise<void>;
}
