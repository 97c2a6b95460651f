/**
 * One live session (stream `live-session-<callId>`): the dialog the media node opened with the
 * device, the session's start, usage periods and end. The dialog facts are what a media node
 * needs to end the session after a restart (RFC 3261 §12: Call-ID, both tags, the remote
 * target; GB/T 28181-2016 §9.2: the SSRC of `y=` and where the RTP went). Deciders touch no
 * storage.
 */
import type { DeviceEvent } from './device.ts';

/** Where the device's SIP was reached when the INVITE was answered. */
export interface RecordedSipPeer {
  readonly transport: 'UDP' | 'TCP';
  readonly address: string;
  readonly port: number;
}

/** How the device sends RTP to the node (GB/T 28181-2016 §F; RFC 4571, RFC 4145). */
export interface RecordedRtpBinding {
  readonly transport: 'UDP' | 'TCP';
  /** The node's TCP role; absent for UDP. */
  readonly setup?: 'active' | 'passive';
  /** The node's port the device sends to; 0 where the node connects out (active TCP). */
  readonly localPort: number;
}

/** The dialog of an answered live INVITE, as recorded. */
export interface LiveDialogFacts {
  readonly callId: string;
  readonly deviceId: string;
  readonly channelId: string;
  /** The media node that holds the dialog (ARGUS_MEDIA_NODE_ID). */
  readonly nodeId: string;
  /** The From header of the INVITE, with the node's tag. */
  readonly from: string;
  /** The To header of the 200 OK, with the device's tag. */
  readonly to: string;
  readonly fromTag: string;
  readonly toTag: string;
  /** The 200's Contact URI: requests within the dialog go there (RFC 3261 §12.1.2). */
  readonly remoteTarget: string;
  /** A CSeq above every request the node sent in this dialog: a later BYE may use it. */
  readonly cseq: number;
  readonly device: RecordedSipPeer;
  /** The SSRC of `y=` (10 digits). */
  readonly ssrc: string;
  readonly rtp: RecordedRtpBinding;
  readonly at: string;
}

export type LiveDialogEvent = { type: 'LiveDialogEstablished'; data: LiveDialogFacts };

type SessionDeviceEvent = Extract<
  DeviceEvent,
  { type: 'LiveStreamStarted' | 'LiveStreamStopped' | 'StreamUsageRecorded' }
>;

/** Every event of a `live-session-<callId>` stream. */
export type LiveSessionEvent = LiveDialogEvent | SessionDeviceEvent;

/**
 * Why a live session ended, as LiveStreamStopped records it. `node_restarted`: the node that
 * held it stopped without ending it and found it open when it started again.
 */
export const liveStopReasons = {
  noViewers: 'no_viewers',
  deviceBye: 'device_bye',
  shutdown: 'shutdown',
  noMedia: 'no_media',
  mediaStopped: 'media_stopped',
  connectionClosed: 'rtp_connection_closed',
  startFailed: 'start_failed',
  nodeRestarted: 'node_restarted',
} as const;

export interface LiveSession {
  readonly dialog: LiveDialogFacts | undefined;
  readonly started: boolean;
  /** The reason of its LiveStreamStopped, undefined while open. */
  readonly stoppedReason: string | undefined;
}

export function foldLiveSession(events: readonly LiveSessionEvent[]): LiveSession {
  let session: LiveSession = { dialog: undefined, started: false, stoppedReason: undefined };
  for (const event of events) {
    if (event.type === 'LiveDialogEstablished') session = { ...session, dialog: event.data };
    if (event.type === 'LiveStreamStarted') session = { ...session, started: true };
    if (event.type === 'LiveStreamStopped') {
      session = { ...session, stoppedReason: event.data.reason };
    }
  }
  return session;
}

/**
 * Ends a session whose dialog was recorded: LiveStreamStopped with `reason`. A session that
 * ended already, or of which no dialog was recorded, gives no event (ending is idempotent, so
 * two processes ending the same session append one end).
 */
export function decideEndLiveSession(
  session: LiveSession,
  command: { reason: string; at: Date },
): SessionDeviceEvent[] {
  const { dialog } = session;
  if (dialog === undefined || session.stoppedReason !== undefined) return [];
  return [
    {
      type: 'LiveStreamStopped',
      data: {
        deviceId: dialog.deviceId,
        channelId: dialog.channelId,
        callId: dialog.callId,
        reason: command.reason,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * The `tag` parameter of a From or To header value, '' where it has none. A parameter inside
 * `<…>` belongs to the URI, not to the header (RFC 3261 §20.20).
 */
export function tagOf(header: string): string {
  const params = header.slice(header.lastIndexOf('>') + 1);
  return /;\s*tag=([^;\s]+)/i.exec(params)?.[1] ?? '';
}
