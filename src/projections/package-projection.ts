/**
 * The service-package read models: packages with their quota and expiry, and the live
 * bindings of channels to them. A binding ends when the tenant unbinds it, and also, here,
 * when its device is deleted or its channel leaves the device's catalog: the package's stream
 * records that release (`PackageChannelUnbound`, reason `released`) with the next command on
 * the package, which reads the released bindings from these rows.
 */
import type { Kysely } from 'kysely';

import type { ChannelInfo } from '../domain/device.ts';
import type { ServicePackageEvent } from '../domain/service-package.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import { packageDb, type PackageTables } from '../read-models/package-tables.ts';
import type { Database } from '../sql/database.ts';
import type { Projection } from './projection.ts';

type Trx = Kysely<Database & PackageTables>;

/** The device events that release bindings, as far as this projection reads them. */
type ReleasingEvent =
  | { type: 'DeviceDeleted'; data: { deviceId: string } }
  | { type: 'DeviceCatalogUpdated'; data: { deviceId: string; channels: ChannelInfo[] } };

type Handled = ServicePackageEvent | ReleasingEvent;
type Handlers = {
  [T in Handled['type']]: (trx: Trx, data: Extract<Handled, { type: T }>['data']) => Promise<void>;
};

export const servicePackageProjection: Projection = {
  name: 'service-packages',
  async apply(trx, event: RecordedEvent) {
    const handler = handlers[event.type as Handled['type']] as
      ((trx: Trx, data: unknown) => Promise<void>) | undefined;
    await handler?.(packageDb(trx), event.data);
  },
};

const handlers: Handlers = {
  async ServicePackageGranted(trx, data) {
    await trx
      .insertInto('service_packages')
      .values({
        resource_id: data.resourceId,
        user_id: data.userId,
        resource_type: data.resourceType,
        name: data.name,
        channel_quota: data.channelQuota,
        expires_at: data.expiresAt ?? null,
        granted_at: data.at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async PackageChannelBound(trx, data) {
    await trx
      .insertInto('package_channels')
      .values({
        resource_id: data.resourceId,
        user_id: data.userId,
        device_id: data.deviceId,
        channel_id: data.channelId,
        bound_at: data.at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async PackageChannelUnbound(trx, data) {
    await trx
      .deleteFrom('package_channels')
      .where('resource_id', '=', data.resourceId)
      .where('device_id', '=', data.deviceId)
      .where('channel_id', '=', data.channelId)
      .execute();
  },

  async DeviceDeleted(trx, data) {
    await trx.deleteFrom('package_channels').where('device_id', '=', data.deviceId).execute();
  },

  async DeviceCatalogUpdated(trx, data) {
    const listed = data.channels.map((channel) => channel.channelId);
    let query = trx.deleteFrom('package_channels').where('device_id', '=', data.deviceId);
    if (listed.length > 0) query = query.where('channel_id', 'not in', listed);
    await query.execute();
  },
};
