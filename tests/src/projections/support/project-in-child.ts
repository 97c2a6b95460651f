/**
 * A projection runner in its own process, as the API and the media node each run one: opens
 * the database at argv[2], prints `{"ready":true}`, waits for a line on stdin, catches up
 * with batches of argv[3] events, prints `{"applied":[positions]}` and exits.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { openSqliteDatabase } from '../../../../schema/sqlite-node.ts';
import { SqlEventStore } from '../../../../src/event-store/sql-event-store.ts';
import { ProjectionRunner } from '../../../../src/projections/projection-runner.ts';
import { countingProjection } from './counting-projection.ts';

const [, , path = '', batchSize = '1'] = process.argv;
const db = await openSqliteDatabase(path);
const store = new SqlEventStore({ db, dialect: 'sqlite' });
const applied: number[] = [];
const runner = new ProjectionRunner({
  db,
  dialect: 'sqlite',
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
