/**
 * The `open_live_sessions` read model: a row from a session's LiveDialogEstablished until its
 * LiveStreamStopped. A projection of its own (own checkpoint), run by the media nodes, which
 * read it at start to end what a crash left open (media-node/gb/dialog-recovery.ts).
 */
import type { Kysely } from 'kysely';

import type { DeviceEvent } from '../domain/device.ts';
import type { LiveDialogFacts } from '../domain/live-session.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import type { OpenLiveSessionsTables } from '../read-models/open-live-sessions-table.ts';
import type { Database } from '../sql/database.ts';
import type { Projection } from './projection.ts';

type Trx = Kysely<Database & OpenLiveSessionsTables>;
type Stopped = Extract<DeviceEvent, { type: 'LiveStreamStopped' }>['data'];

export const openLiveSessionsProjection: Projection = {
  name: 'open-live-sessions',
  async apply(trx, event: RecordedEvent) {
    const tables = trx.withTables<OpenLiveSessionsTables>();
    if (event.type === 'LiveDialogEstablished') {
      await opened(tables, event.data as unknown as LiveDialogFacts);
    }
    if (event.type === 'LiveStreamStopped') await stopped(tables, event.data as Stopped);
  },
};

async function opened(trx: Trx, dialog: LiveDialogFacts): Promise<void> {
  await trx
    .insertInto('open_live_sessions')
    .values({
      call_id: dialog.callId,
      node_id: dialog.nodeId,
      device_id: dialog.deviceId,
      channel_id: dialog.channelId,
      ssrc: dialog.ssrc,
      rtp_transport: dialog.rtp.transport,
      rtp_port: dialog.rtp.localPort,
      dialog: JSON.stringify(dialog),
      established_at: dialog.at,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

async function stopped(trx: Trx, data: Stopped): Promise<void> {
  await trx.deleteFrom('open_live_sessions').where('call_id', '=', data.callId).execute();
}
