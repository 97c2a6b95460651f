/**
 * The event-store port: the only calls deciders, projections and reactors make. Streams are
 * named `<category>-<id>` (`device-34020000001320000001`, `enterprise-<user_id>`). Revisions
 * count from 0 within a stream; global positions count from 1 across the whole log and are
 * totally ordered by commit.
 */

/** What an append expects of the stream: optimistic concurrency (DESIGN.md). */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** An event to append. `id` makes appends idempotent: a repeated id is not stored twice. */
export interface NewEvent<T extends string = string, D = Record<string, unknown>> {
  readonly id?: string;
  readonly type: T;
  readonly data: D;
  readonly metadata?: Record<string, unknown>;
}

/** An event as stored. */
export interface RecordedEvent<T extends string = string, D = Record<string, unknown>> {
  readonly id: string;
  readonly type: T;
  readonly data: D;
  readonly metadata: Record<string, unknown>;
  readonly streamName: string;
  readonly revision: number;
  readonly globalPosition: number;
  readonly recordedAt: string;
}

export interface AppendResult {
  /** The stream's revision after the append (the last event's revision). */
  readonly nextExpectedRevision: number;
  /** The global position of the last event of the append (or of the stored duplicate). */
  readonly lastPosition: number;
}

export interface ReadStreamOptions {
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events strictly after this global position (0 reads from the start). */
  readonly after?: number;
  readonly maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this global position. */
  readonly after?: number;
  readonly signal?: AbortSignal;
}

export interface EventStore {
  /**
   * Appends events to a stream if its revision matches `expectedRevision`.
   * @throws ArgusError WRONG_EXPECTED_REVISION when it does not; CONFLICT when some but not
   * all of the event ids are already stored.
   */
  appendToStream(
    streamName: string,
    events: readonly NewEvent[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;

  /** Reads a stream forwards; an absent stream reads as no events. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** Reads the global log forwards, in commit order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** The global position of the newest event, 0 for an empty store. */
  headPosition(): Promise<number>;

  /**
   * Follows the global log: first what is stored after `after`, then each event appended
   * later, by this process or another, until the signal aborts.
   */
  subscribeToAll(options?: SubscribeOptions): AsyncIterable<RecordedEvent>;
}

/** Stream names of the aggregates (DESIGN.md). */
export const streamNames = {
  enterprise: (userId: string) => `enterprise-${userId}`,
  device: (deviceId: string) => `device-${deviceId}`,
  mediaNode: (nodeId: string) => `media-node-${nodeId}`,
  /** One live session (SIP Call-ID): its start, usage periods and stop, apart from the device
   * stream so that the device's commands never re-read traffic history. */
  liveSession: (callId: string) => `live-session-${callId}`,
} as const;
