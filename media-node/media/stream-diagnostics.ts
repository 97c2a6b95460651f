/**
 * What a live stream looks like from inside the node: its counters (RTP, TCP framing, PS
 * demux) and the times of its first RTP packet, first keyframe and first byte to a viewer.
 * Served on `GET /streams` (diagnostics-route.ts), and compared interval by interval so that
 * a stream in trouble gets one summarised log line per interval, never one per packet.
 */

/** Running totals since the stream started. */
export interface StreamCounters {
  readonly packets: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly lost: number;
  readonly reordered: number;
  readonly duplicates: number;
  readonly malformed: number;
  /** Packets of another SSRC or source address, dropped. */
  readonly foreign: number;
  readonly ssrcChanges: number;
  /** RFC 4571 framing lost and found again (RTP over TCP only). */
  readonly resyncs: number;
  /** Bytes the RFC 4571 framer discarded while resynchronising. */
  readonly framingSkippedBytes: number;
  /** Bytes the PS demuxer discarded looking for a start code. */
  readonly psSkippedBytes: number;
  /** Frames the PS demuxer dropped (broken by a loss, oversized, truncated). */
  readonly psDroppedFrames: number;
}

/** One live stream as `GET /streams` lists it; times ISO 8601. */
export interface StreamDiagnostics {
  readonly deviceId: string;
  readonly channelId: string;
  readonly callId: string | undefined;
  readonly transport: 'UDP' | 'TCP';
  readonly ssrc: number | undefined;
  readonly viewers: number;
  readonly startedAt: string;
  readonly firstRtpAt: string | undefined;
  readonly firstKeyframeAt: string | undefined;
  readonly firstViewerByteAt: string | undefined;
  readonly counters: StreamCounters;
}

/** The counters whose growth means something went wrong in the stream. */
const TROUBLE: readonly (keyof StreamCounters)[] = [
  'lost',
  'malformed',
  'ssrcChanges',
  'resyncs',
  'framingSkippedBytes',
  'psSkippedBytes',
  'psDroppedFrames',
];

/**
 * How much each trouble counter grew from `before` to `now`, only those that grew; undefined
 * where none did.
 */
export function troubleSince(
  before: StreamCounters | undefined,
  now: StreamCounters,
): Partial<Record<keyof StreamCounters, number>> | undefined {
  const grown: Partial<Record<keyof StreamCounters, number>> = {};
  for (const key of TROUBLE) {
    const delta = now[key] - (before?.[key] ?? 0);
    if (delta > 0) grown[key] = delta;
  }
  return Object.keys(grown).length === 0 ? undefined : grown;
}

/** A time in ms since epoch as ISO 8601; undefined stays undefined. */
export function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
