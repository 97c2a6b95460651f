/**
 * The `device_shares` read model: one row per live share. A revoked share is deleted; so are
 * the shares of a deleted device (a device added again, by anyone, starts unshared) and those
 * received by a deleted account.
 */
import type { Kysely } from 'kysely';

import type { DeviceShareEvent } from '../domain/device-share.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import { shareDb, type ShareTables } from '../read-models/share-tables.ts';
import type { Database } from '../sql/database.ts';
import type { Projection } from './projection.ts';

type Trx = Kysely<Database & ShareTables>;

/** The device and account events that end shares, as far as this projection reads them. */
type EndingEvent =
  | { type: 'DeviceDeleted'; data: { deviceId: string } }
  | { type: 'AccountDeleted'; data: { loginName: string } };

type Handled = DeviceShareEvent | EndingEvent;
type Handlers = {
  [T in Handled['type']]: (trx: Trx, data: Extract<Handled, { type: T }>['data']) => Promise<void>;
};

export const shareProjection: Projection = {
  name: 'device-shares',
  async apply(trx, event: RecordedEvent) {
    const handler = handlers[event.type as Handled['type']] as
      ((trx: Trx, data: unknown) => Promise<void>) | undefined;
    await handler?.(shareDb(trx), event.data);
  },
};

const handlers: Handlers = {
  async DeviceShared(trx, data) {
    const row = {
      owner_user_id: data.ownerUserId,
      grantee_user_id: data.granteeUserId,
      channel_id: data.channelId,
      permissions: data.permissions.join(','),
      expires_at: data.expiresAt,
      shared_at: data.at,
    };
    await trx
      .insertInto('device_shares')
      .values({ device_id: data.deviceId, grantee_login_name: data.granteeLoginName, ...row })
      .onConflict((oc) => oc.columns(['device_id', 'grantee_login_name']).doUpdateSet(row))
      .execute();
  },

  async DeviceShareRevoked(trx, data) {
    await trx
      .deleteFrom('device_shares')
      .where('device_id', '=', data.deviceId)
      .where('grantee_login_name', '=', data.granteeLoginName)
      .execute();
  },

  async DeviceDeleted(trx, data) {
    await trx.deleteFrom('device_shares').where('device_id', '=', data.deviceId).execute();
  },

  async AccountDeleted(trx, data) {
    await trx
      .deleteFrom('device_shares')
      .where('grantee_login_name', '=', data.loginName)
      .execute();
  },
};
