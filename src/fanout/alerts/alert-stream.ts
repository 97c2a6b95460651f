/**
 * A recipient's alerts as Server-Sent Events (WHATWG HTML §9.2), Web Streams only: each
 * alert of the `alerts` table once, in order, with its sequence number as `id`, so a client
 * reconnecting with `Last-Event-ID` misses none and gets none twice. The table is polled:
 * alerts are at most one per window, so a short poll costs little.
 */
import type { Db } from '../../sql/database.ts';
import { withAlertTables } from './alert-tables.ts';

export interface AlertStreamOptions {
  readonly db: Db;
  readonly recipientId: string;
  /** Send alerts with a sequence number above this one. */
  readonly after: number;
  readonly pollIntervalMs: number;
  /** Interval of the keep-alive comments. */
  readonly heartbeatMs: number;
  /** The reconnection delay suggested to the client (`retry:`). */
  readonly retryMs: number;
}

const encoder = new TextEncoder();

/** The newest alert's sequence number of a recipient, 0 where it has none. */
export async function lastAlertSeq(db: Db, recipientId: string): Promise<number> {
  const row = await withAlertTables(db)
    .selectFrom('alerts')
    .select((eb) => eb.fn.max('alert_seq').as('last'))
    .where('recipient_id', '=', recipientId)
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}

/** The stream; it follows the table until the client goes away. */
export function alertStream(options: AlertStreamOptions): ReadableStream<Uint8Array> {
  const stop = new AbortController();
  let after = options.after;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(`retry: ${options.retryMs}\n\n`));
        heartbeat = setInterval(() => {
          controller.enqueue(encoder.encode(': heartbeat\n\n'));
        }, options.heartbeatMs);
      },
      async pull(controller) {
        try {
          const frames = await nextFrames(options, after, stop.signal);
          if (frames === undefined) return;
          after = frames.last;
          controller.enqueue(encoder.encode(frames.text));
        } catch (error) {
          // The client sees the stream end and reconnects with its Last-Event-ID.
          clearInterval(heartbeat);
          controller.error(error);
        }
      },
      cancel() {
        clearInterval(heartbeat);
        stop.abort();
      },
    },
    { highWaterMark: 1 },
  );
}

/** The next alerts after `after`, waiting for some; undefined once the client left. */
async function nextFrames(options: AlertStreamOptions, after: number, signal: AbortSignal) {
  while (!signal.aborted) {
    const rows = await withAlertTables(options.db)
      .selectFrom('alerts')
      .select(['alert_seq', 'body'])
      .where('recipient_id', '=', options.recipientId)
      .where('alert_seq', '>', after)
      .orderBy('alert_seq')
      .limit(100)
      .execute();
    if (rows.length > 0) {
      // The body is JSON from JSON.stringify: no raw newline, so one `data:` line each.
      const text = rows.map((row) => `id: ${row.alert_seq}\ndata: ${row.body}\n\n`).join('');
      return { text, last: Number(rows.at(-1)?.alert_seq ?? after) };
    }
    await sleep(options.pollIntervalMs, signal);
  }
  return undefined;
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
