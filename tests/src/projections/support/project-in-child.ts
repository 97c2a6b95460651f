/**
 * A projection runner in its own process, as the API and the media node each run one: opens
 * the database at argv[2] (a SQLite file or a Postgres URL), prints `{"ready":true}`, waits
 * for a line on stdin, catches up with batches of argv[3] events, prints
 * `{"applied":[positions]}` and exits.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { SqlEventStore } from '../../../../src/event-store/sql-event-store.ts';
import { ProjectionRunner } from '../../../../src/projections/projection-runner.ts';
import { dialectOf, openTestDatabase } from '../../../support/sql-engines.ts';
import { countingProjection } from './counting-projection.ts';

const [, , location = '', batchSize = '1'] = process.argv;
const db = await openTestDatabase(location);
const dialect = dialectOf(location);
const store = new SqlEventStore({ db, dialect });
const applied: number[] = [];
const runner = new ProjectionRunner({
  db,
  dialect,
  store,
  projections: [countingProjection((position) => applied.push(position))],
  batchSize: Number(batchSize),
});

const lines = createInterface({ input: process.stdin });
console.log(JSON.stringify({ ready: true }));
await once(lines, 'line');
lines.close();

await runner.catchUp();
console.log(JSON.stringify({ applied }));
await db.destroy();
