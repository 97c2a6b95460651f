import { sql, type Kysely } from 'kysely';

import { ArgusError, errorCodes } from '../errors.ts';
import type { Database, Db, SqlDialectKind } from './database.ts';

/**
 * Runs `work` in a transaction that holds the write lock from its first statement. SQLite's
 * default deferred transaction would read first and fail to upgrade when another process
 * wrote in between (SQLITE_BUSY_SNAPSHOT), so on SQLite the transaction begins IMMEDIATE and
 * the driver's busy timeout queues writers across processes; Postgres serialises appends with
 * a transaction-scoped advisory lock, so the global log commits in position order. D1 has no
 * interactive transactions, so a write there is refused rather than made without the
 * guarantees the event store and the projections promise.
 * @throws ArgusError UNAVAILABLE on D1
 */
export async function withWriteTransaction<T>(
  db: Db,
  dialect: SqlDialectKind,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (dialect === 'd1') {
    throw new ArgusError(
      errorCodes.UNAVAILABLE,
      'Cannot write on Cloudflare D1: it has no interactive transactions for appends',
    );
  }
  if (dialect === 'postgres') {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(2818100)`.execute(trx);
      return work(trx);
    });
  }
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}
