/**
 * The read-models projection, also noting each global position it applies in a table whose
 * primary key makes a second application of the same event fail: exactly-once made visible.
 */
import { sql, type Kysely } from 'kysely';

import type { Projection } from '../../../../src/projections/projection.ts';
import { readModelsProjection } from '../../../../src/projections/read-models.ts';
import type { Database } from '../../../../src/sql/database.ts';

/** Creates the table that notes applied positions; call once per database. */
export async function createAppliedTable(db: Kysely<Database>): Promise<void> {
  await sql`create table if not exists applied_positions (
    global_position integer primary key
  )`.execute(db);
}

/** The global positions applied, in order. */
export async function appliedPositions(db: Kysely<Database>): Promise<number[]> {
  const { rows } = await sql<{ global_position: number }>`
    select global_position from applied_positions order by global_position
  `.execute(db);
  return rows.map((row) => Number(row.global_position));
}

/** `readModelsProjection` under its own name, noting positions; `onApply` sees each event. */
export function countingProjection(onApply: (position: number) => void = () => {}): Projection {
  return {
    name: readModelsProjection.name,
    async apply(trx, event) {
      const position = event.globalPosition;
      await sql`insert into applied_positions (global_position) values (${position})`.execute(trx);
      await readModelsProjection.apply(trx, event);
      onApply(position);
    },
  };
}
