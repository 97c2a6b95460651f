import { errorCodes, isArgusError } from '../errors.ts';
import type { AppendResult, EventStore, RecordedEvent } from '../event-store/event-store.ts';

export interface DomainEvent {
  readonly type: string;
  readonly data: object;
}

export interface CommandOutcome<E> {
  readonly events: E[];
  /** Where the append landed; undefined where the decider returned no events. */
  readonly append: AppendResult | undefined;
}

/**
 * Read → decide → append with the expected revision. A concurrent writer makes the append
 * fail with WRONG_EXPECTED_REVISION; the command is then decided again on the fresh state,
 * a few times at most.
 */
export async function handleCommand<S, E extends DomainEvent>(
  store: EventStore,
  streamName: string,
  fold: (events: E[]) => S,
  decide: (state: S) => E[],
  attempts = 5,
): Promise<CommandOutcome<E>> {
  for (let attempt = 1; ; attempt++) {
    const recorded = await store.readStream(streamName);
    const events = decide(fold(recorded.map(asDomainEvent<E>)));
    if (events.length === 0) return { events, append: undefined };

    const expectedRevision = recorded.length === 0 ? 'no_stream' : recorded.length - 1;
    try {
      const append = await store.appendToStream(
        streamName,
        events.map((event) => ({ type: event.type, data: { ...event.data } })),
        { expectedRevision },
      );
      return { events, append };
    } catch (error) {
      if (attempt >= attempts || !isArgusError(error, errorCodes.WRONG_EXPECTED_REVISION)) {
        throw error;
      }
    }
  }
}

/** The stored form of a domain event, typed by its stream's union. */
export function asDomainEvent<E extends DomainEvent>(event: RecordedEvent): E {
  return { type: event.type, data: event.data } as unknown as E;
}
