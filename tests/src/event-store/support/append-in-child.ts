/**
 * A writer in its own process with its own pool, as the API and each media node are: opens
 * the Postgres database at argv[2], prints `{"ready":true}`, waits for a line on stdin, then
 * argv[3] times reads the `counter-1` stream, decides the next value and appends it with the
 * expected revision it read (retrying on WRONG_EXPECTED_REVISION), and also appends to a stream
 * of its own; prints `{"appended":n,"conflicts":n}` and exits.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { openPostgresDatabase } from '../../../../schema/postgres-node.ts';
import { errorCodes, isArgusError } from '../../../../src/errors.ts';
import { SqlEventStore } from '../../../../src/event-store/sql-event-store.ts';

const [, , url = '', count = '1', writer = 'w'] = process.argv;
const db = await openPostgresDatabase(url, { maxConnections: 4 });
const store = new SqlEventStore({ db, dialect: 'postgres' });

const lines = createInterface({ input: process.stdin });
console.log(JSON.stringify({ ready: true }));
await once(lines, 'line');
lines.close();

let conflicts = 0;
for (let n = 0; n < Number(count); n++) {
  for (;;) {
    const events = await store.readStream('counter-1');
    const last = events.at(-1);
    const value = Number(last?.data['value'] ?? 0) + 1;
    try {
      await store.appendToStream('counter-1', [{ type: 'Counted', data: { value, writer } }], {
        expectedRevision: last?.revision ?? 'no_stream',
      });
      break;
    } catch (error) {
      if (!isArgusError(error, errorCodes.WRONG_EXPECTED_REVISION)) throw error;
      conflicts++;
    }
  }
  await store.appendToStream(`writer-${writer}`, [{ type: 'Wrote', data: { n } }]);
}
console.log(JSON.stringify({ appended: Number(count), conflicts }));
await db.destroy();
