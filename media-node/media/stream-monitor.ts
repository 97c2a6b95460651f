/**
 * The metering and diagnostics of one live session: a UsageMeter for its traffic, and the
 * counters and first-event times `GET /streams` shows. The session takes usage periods and
 * trouble summaries from it; it reads the ingest, receiver and hub, and changes none of them.
 */
import type { StreamUsage } from '../../src/domain/device.ts';
import type { LiveStream } from './live-stream.ts';
import type { RtpIngest } from './rtp-ingest.ts';
import type { RtpReceiver } from './rtp-receiver.ts';
import {
  isoTime,
  troubleSince,
  type StreamCounters,
  type StreamDiagnostics,
} from './stream-diagnostics.ts';
import { UsageMeter } from './usage-meter.ts';

/** The parts of a live session the monitor reads. */
export interface MonitoredSession {
  readonly deviceId: string;
  readonly channelId: string;
  readonly transport: 'UDP' | 'TCP';
  readonly hub: LiveStream;
  readonly ingest?: RtpIngest;
  readonly receiver?: RtpReceiver;
  readonly dialog?: { readonly callId: string };
  readonly startedAt: number;
}

export class StreamMonitor {
  readonly meter: UsageMeter;
  readonly #session: MonitoredSession;
  #reported: StreamCounters | undefined;

  constructor(session: MonitoredSession, now: () => number) {
    this.#session = session;
    this.meter = new UsageMeter({ now, bytesIn: () => session.ingest?.stats.bytes ?? 0 });
  }

  /** The usage since the last call, for the event; undefined where nothing flowed. */
  takeUsage(): StreamUsage | undefined {
    const { deviceId, channelId, dialog } = this.#session;
    const period = this.meter.take();
    if (period === undefined || dialog === undefined) return undefined;
    const { bytesIn, viewers, from, to } = period;
    return {
      deviceId,
      channelId,
      callId: dialog.callId,
      bytesIn,
      viewers,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    };
  }

  /** Trouble counters grown since the last call, or undefined where nothing went wrong. */
  takeTrouble(): ReturnType<typeof troubleSince> {
    const now = this.counters();
    const grown = troubleSince(this.#reported, now);
    this.#reported = now;
    return grown;
  }

  counters(): StreamCounters {
    const { ingest, receiver } = this.#session;
    const rtp = ingest?.stats;
    const framing = receiver?.stats() ?? {};
    return {
      packets: rtp?.packets ?? 0,
      bytesIn: rtp?.bytes ?? 0,
      bytesOut: this.meter.bytesOut,
      lost: rtp?.lost ?? 0,
      reordered: rtp?.reordered ?? 0,
      duplicates: rtp?.duplicates ?? 0,
      malformed: rtp?.malformed ?? 0,
      foreign: rtp?.foreign ?? 0,
      ssrcChanges: rtp?.ssrcChanges ?? 0,
      resyncs: framing['resyncs'] ?? 0,
      framingSkippedBytes: framing['skippedBytes'] ?? 0,
      psSkippedBytes: ingest?.demuxStats.skippedBytes ?? 0,
      psDroppedFrames: ingest?.demuxStats.droppedFrames ?? 0,
    };
  }

  diagnostics(): StreamDiagnostics {
    const { deviceId, channelId, transport, hub, ingest, dialog, startedAt } = this.#session;
    return {
      deviceId,
      channelId,
      callId: dialog?.callId,
      transport,
      ssrc: ingest?.ssrc,
      viewers: hub.viewerCount,
      startedAt: new Date(startedAt).toISOString(),
      firstRtpAt: isoTime(ingest?.firstPacketAt),
      firstKeyframeAt: isoTime(hub.firstKeyframeAt),
      firstViewerByteAt: isoTime(this.meter.firstByteOutAt),
      counters: this.counters(),
    };
  }
}
