/**
 * What the simulator reports, one JSON object per line on stdout, for tests and scripts to
 * follow. `event` names the step; the other fields depend on it.
 */
export type SimulatorEventName =
  | 'registered'
  | 'register_failed'
  | 'unregistered'
  | 'keepalive'
  | 'catalog_sent'
  | 'device_info_sent'
  | 'device_status_sent'
  | 'invite'
  /** An INVITE answered with an error status (e.g. a TCP offer under `--refuse-tcp`). */
  | 'invite_refused'
  | 'ack'
  | 'bye'
  | 'stream_started'
  | 'stream_stopped'
  /** The TCP media connection could not be opened, or the platform closed it. */
  | 'media_closed'
  /** Recordings listed for a RecordInfo query; INFO MANSRTSP taken; a playback's end told. */
  | 'records_sent'
  | 'playback_control'
  | 'media_status_sent'
  /** A DeviceControl PTZCmd decoded (movement, or a preset set/call/delete); GuardCmd taken. */
  | 'ptz'
  | 'preset'
  | 'guard'
  | 'presets_sent'
  /** A catalog SUBSCRIBE answered; a catalog change NOTIFY sent; an alarm sent, answered. */
  | 'catalog_subscribed'
  | 'catalog_notify_sent'
  | 'alarm_sent'
  | 'alarm_answered'
  | 'disconnected';

export interface SimulatorEvent {
  event: SimulatorEventName;
  status?: number;
  callId?: string;
  channelId?: string;
  [field: string]: unknown;
}

export type EmitEvent = (event: SimulatorEvent) => void;
