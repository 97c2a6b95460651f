/**
 * Kysely table types for the event store and the read models. The SQL lives in
 * schema/migrations; these types mirror it. JSON is stored as text so that SQLite, D1 and
 * Postgres share one shape.
 */
import type { Generated, Kysely } from 'kysely';

export interface EventsTable {
  global_position: Generated<number>;
  event_id: string;
  stream_name: string;
  stream_revision: number;
  event_type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

export interface ProjectionCheckpointsTable {
  projection_name: string;
  position: number;
  updated_at: string;
}

export interface EnterprisesTable {
  user_id: string;
  name: string;
  created_at: string;
}

export interface CredentialsTable {
  ak: string;
  user_id: string;
  sk_hash: string;
  created_at: string;
}

export interface DevicesTable {
  device_id: string;
  user_id: string;
  device_name: string;
  device_state: string;
  access_protocol: string;
  channel_total: number;
  media_node_id: string | null;
  remote_address: string | null;
  transport: string | null;
  registered_at: string | null;
  state_changed_at: string;
  created_at: string;
}

export interface ChannelsTable {
  device_id: string;
  channel_id: string;
  user_id: string;
  channel_name: string;
  channel_state: string;
  /** The status the device's catalog gives (ON/OFF); channel_state also follows the device. */
  catalog_status: string;
  manufacturer: string | null;
  model: string | null;
  parent_id: string | null;
  updated_at: string;
}

export interface MediaNodesTable {
  node_id: string;
  http_url: string;
  https_url: string | null;
  sip_host: string;
  sip_port: number;
  started_at: string;
}

export interface PlatformSettingsTable {
  name: string;
  value: string;
}

/** One direction of one usage period of a live call (schema/migrations/0004). */
export interface StreamUsageTable {
  call_id: string;
  period_from: string;
  period_to: string;
  /** `IN` (from the device, protocol `RTP`) or `OUT` (to viewers of `protocol`). */
  direction: 'IN' | 'OUT';
  /** `RTP`, `HTTP_FLV`, `WS_FLV` or `HTTP_HLS`. */
  protocol: string;
  user_id: string;
  device_id: string;
  channel_id: string;
  bytes: number;
  /** IN: the period's length; OUT: viewer-seconds summed over the protocol's viewers. */
  seconds: number;
  viewers: number;
}

export interface Database {
  events: EventsTable;
  projection_checkpoints: ProjectionCheckpointsTable;
  enterprises: EnterprisesTable;
  credentials: CredentialsTable;
  devices: DevicesTable;
  channels: ChannelsTable;
  media_nodes: MediaNodesTable;
  platform_settings: PlatformSettingsTable;
  stream_usage: StreamUsageTable;
}

export type Db = Kysely<Database>;

/**
 * Which SQL engine a Kysely instance talks to: the few statements that differ branch on it.
 * D1 is SQLite without interactive transactions.
 */
export type SqlDialectKind = 'sqlite' | 'postgres' | 'd1';
