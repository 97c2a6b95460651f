/**
 * The Server-Sent Events stream of an enterprise's messages (WHATWG HTML §9.2), Web Streams
 * only. Each event's `id` is the global position of its log event, so a client that
 * reconnects with `Last-Event-ID` resumes exactly after the last event it received, across
 * restarts of the API: no gap, no duplicate. Comments keep idle connections open.
 */
import type { MessageType } from '../domain/subscription.ts';
import type { EventStore, RecordedEvent } from '../event-store/event-store.ts';
import type { DataflowGate } from './dataflow-gate.ts';
import type { DeviceOwners } from './device-owners.ts';
import { envelope, messageOf } from './messages.ts';

export interface EventStreamOptions {
  readonly store: EventStore;
  readonly owners: DeviceOwners;
  /** Which messages the tenant's service packages let out. */
  readonly gate: DataflowGate;
  readonly userId: string;
  /** The message types to send. */
  readonly types: ReadonlySet<MessageType>;
  /** Send messages of events strictly after this global position. */
  readonly after: number;
  /** Interval of the keep-alive comments. */
  readonly heartbeatMs: number;
  /** The reconnection delay suggested to the client (`retry:`). */
  readonly retryMs: number;
}

const encoder = new TextEncoder();

/** The stream; it follows the log until the client goes away. */
export function eventStream(options: EventStreamOptions): ReadableStream<Uint8Array> {
  const stop = new AbortController();
  const events = options.store
    .subscribeToAll({ after: options.after, signal: stop.signal })
    [Symbol.asyncIterator]();
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
        let frame: string | undefined;
        try {
          frame = await nextFrame(events, options);
        } catch (error) {
          // The client sees the stream end and reconnects with its Last-Event-ID.
          clearInterval(heartbeat);
          controller.error(error);
          return;
        }
        if (frame === undefined) {
          clearInterval(heartbeat);
          if (!stop.signal.aborted) controller.close();
          return;
        }
        controller.enqueue(encoder.encode(frame));
      },
      cancel() {
        clearInterval(heartbeat);
        stop.abort();
      },
    },
    // One frame queued at a time: the log is read only as fast as the client reads.
    { highWaterMark: 1 },
  );
}

/** The next frame for this client, undefined once the log is no longer followed. */
async function nextFrame(
  events: AsyncIterator<RecordedEvent>,
  options: EventStreamOptions,
): Promise<string | undefined> {
  for (;;) {
    const next = await events.next();
    if (next.done === true) return undefined;
    const frame = await frameOf(next.value, options);
    if (frame !== undefined) return frame;
  }
}

async function frameOf(event: RecordedEvent, options: EventStreamOptions) {
  const message = messageOf(event);
  if (message === undefined || !options.types.has(message.messageType)) return undefined;
  const owner = await options.owners.ownerAt(message.deviceId, event.globalPosition);
  if (owner !== options.userId) return undefined;
  if (!(await options.gate.admits(owner, message, event.recordedAt))) return undefined;
  // JSON.stringify leaves no raw newline, so the data fits one `data:` line.
  const data = JSON.stringify(envelope(event.globalPosition, message));
  return `id: ${event.globalPosition}\ndata: ${data}\n\n`;
}
