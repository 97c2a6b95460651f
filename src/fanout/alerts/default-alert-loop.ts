import { SqlEventStore } from '../../event-store/sql-event-store.ts';
import type { Logger } from '../../logger.ts';
import type { Db, SqlDialectKind } from '../../sql/database.ts';
import { AlertLoop } from './alert-loop.ts';
import { PushSender } from './push-sender.ts';
import { loadVapidKeys } from './vapid-keys.ts';

/** The VAPID contact where none is configured (RFC 8292 §2.1). */
export const defaultVapidSubject = 'mailto:argus@localhost';

/**
 * The alert loop as a runtime entry starts it: over the SQL event store, sending Web Push
 * with the installation's VAPID keys.
 */
export function alertLoop(options: {
  db: Db;
  dialect: SqlDialectKind;
  logger: Logger;
  vapidSubject?: string;
}): AlertLoop {
  const { db, dialect, logger } = options;
  const store = new SqlEventStore({ db, dialect });
  let keys: ReturnType<typeof loadVapidKeys> | undefined;
  const pusher = new PushSender({
    store,
    logger,
    keys: () => (keys ??= loadVapidKeys(db)),
    subject: options.vapidSubject ?? defaultVapidSubject,
  });
  return new AlertLoop({ db, dialect, store, logger, pusher });
}
