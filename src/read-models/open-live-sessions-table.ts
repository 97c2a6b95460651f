/**
 * The `open_live_sessions` read model (schema/migrations/0014): the live sessions whose dialog
 * was recorded (LiveDialogEstablished) and whose end was not (LiveStreamStopped).
 */
import type { LiveDialogFacts } from '../domain/live-session.ts';
import type { Db } from '../sql/database.ts';

// Type aliases, not interfaces: Kysely's withTables wants types with implicit index signatures.
export type OpenLiveSessionsTable = {
  call_id: string;
  node_id: string;
  device_id: string;
  channel_id: string;
  /** The SSRC of `y=` (10 digits). */
  ssrc: string;
  /** UDP or TCP. */
  rtp_transport: string;
  /** The node's RTP port; 0 where the node connected out (active TCP). */
  rtp_port: number;
  /** The LiveDialogFacts as JSON. */
  dialog: string;
  established_at: string;
};

export type OpenLiveSessionsTables = {
  open_live_sessions: OpenLiveSessionsTable;
};

/**
 * The dialogs a media node recorded and never ended, oldest first.
 * @throws the database's error
 */
export async function openLiveSessionsOf(db: Db, nodeId: string): Promise<LiveDialogFacts[]> {
  const rows = await db
    .withTables<OpenLiveSessionsTables>()
    .selectFrom('open_live_sessions')
    .select('dialog')
    .where('node_id', '=', nodeId)
    .orderBy('established_at')
    .execute();
  return rows.map((row) => JSON.parse(row.dialog) as LiveDialogFacts);
}
