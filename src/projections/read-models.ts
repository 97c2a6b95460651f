import type { Kysely } from 'kysely';

import { offlineReasons, type DeviceEvent, type GbAccessState } from '../domain/device.ts';
import type { EnterpriseEvent } from '../domain/enterprise.ts';
import type { MediaNodeEvent } from '../domain/media-node.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import type { DeviceAccessTables } from '../read-models/device-access-table.ts';
import type { DeviceTables } from '../read-models/device-tables.ts';
import type { Database } from '../sql/database.ts';
import type { Projection } from './projection.ts';
import { streamUsageRows } from './stream-usage-rows.ts';

type Handled = DeviceEvent | EnterpriseEvent | MediaNodeEvent;
type Handlers = {
  [T in Handled['type']]: (
    trx: Kysely<Database>,
    data: Extract<Handled, { type: T }>['data'],
  ) => Promise<void>;
};

/**
 * Enterprises, credentials, devices, channels, media nodes and live stream usage, as the API
 * queries them.
 */
export const readModelsProjection: Projection = {
  name: 'read-models',
  async apply(trx, event: RecordedEvent) {
    const handler = handlers[event.type as Handled['type']] as
      ((trx: Kysely<Database>, data: unknown) => Promise<void>) | undefined;
    await handler?.(trx, event.data);
  },
};

const handlers: Handlers = {
  async EnterpriseCreated(trx, data) {
    await trx
      .insertInto('enterprises')
      .values({ user_id: data.userId, name: data.name, created_at: data.at })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async CredentialIssued(trx, data) {
    await trx
      .insertInto('credentials')
      .values({ ak: data.ak, user_id: data.userId, sk_hash: data.skHash, created_at: data.at })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async DeviceAdded(trx, data) {
    await trx
      .insertInto('devices')
      .values({
        device_id: data.deviceId,
        user_id: data.userId,
        device_name: data.name,
        device_state: 'UNREGISTERED',
        access_protocol: 'GB28181',
        channel_total: 0,
        media_node_id: null,
        remote_address: null,
        transport: null,
        registered_at: null,
        state_changed_at: data.at,
        created_at: data.at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const profile = { device_org_id: data.deviceOrgId ?? '0', description: data.description ?? '' };
    await trx
      .withTables<DeviceTables>()
      .insertInto('device_profiles')
      .values({ device_id: data.deviceId, user_id: data.userId, ...profile })
      .onConflict((oc) => oc.column('device_id').doUpdateSet({ user_id: data.userId, ...profile }))
      .execute();
    await setAccess(trx, data.deviceId, { state: 'NOT_CONNECTED', reason: 'nothing received' });
  },

  async DeviceEdited(trx, data) {
    await trx
      .updateTable('devices')
      .set({ device_name: data.name })
      .where('device_id', '=', data.deviceId)
      .execute();
    await setProfile(trx, data, { description: data.description });
  },

  // The read models keep no credentials: the media node reads them from the device's stream.
  async DeviceCredentialsChanged() {},

  async DeviceMoved(trx, data) {
    await setProfile(trx, data, { device_org_id: data.toOrgId });
  },

  async DeviceDeleted(trx, data) {
    const own = trx.withTables<DeviceTables & DeviceAccessTables>();
    for (const table of ['channels', 'channel_profiles', 'device_profiles'] as const) {
      await own.deleteFrom(table).where('device_id', '=', data.deviceId).execute();
    }
    await own.deleteFrom('device_access').where('device_id', '=', data.deviceId).execute();
    await trx.deleteFrom('devices').where('device_id', '=', data.deviceId).execute();
  },

  async DeviceRegistered(trx, data) {
    await setDeviceState(trx, data.deviceId, 'ONLINE', data.at);
    await trx
      .updateTable('devices')
      .set({
        device_state: 'ONLINE',
        media_node_id: data.nodeId,
        remote_address: data.remoteAddress,
        transport: data.transport,
        registered_at: data.at,
        state_changed_at: data.at,
      })
      .where('device_id', '=', data.deviceId)
      .execute();
    await setAccess(trx, data.deviceId, { state: 'CONNECTED', reason: 'registered', at: data.at });
  },

  async DeviceCameOnline(trx, data) {
    await setDeviceState(trx, data.deviceId, 'ONLINE', data.at);
    const reason = 'keepalive received';
    await setAccess(trx, data.deviceId, { state: 'CONNECTED', reason, at: data.at });
  },

  async DeviceUnregistered(trx, data) {
    await setDeviceState(trx, data.deviceId, 'OFFLINE', data.at);
    const reason = 'unregistered';
    await setAccess(trx, data.deviceId, { state: 'NOT_CONNECTED', reason, at: data.at });
  },

  async DeviceWentOffline(trx, data) {
    await setDeviceState(trx, data.deviceId, 'OFFLINE', data.at);
    const reason = offlineReasons[data.reason];
    await setAccess(trx, data.deviceId, { state: 'NOT_CONNECTED', reason, at: data.at });
  },

  async DeviceAccessStateChanged(trx, data) {
    await setAccess(trx, data.deviceId, data);
  },

  async DeviceAddressChanged(trx, data) {
    await trx
      .updateTable('devices')
      .set({ remote_address: data.remoteAddress, transport: data.transport })
      .where('device_id', '=', data.deviceId)
      .execute();
  },

  async DeviceCatalogUpdated(trx, data) {
    const device = await trx
      .selectFrom('devices')
      .select(['user_id', 'device_state'])
      .where('device_id', '=', data.deviceId)
      .executeTakeFirst();
    if (device === undefined) return;

    await trx.deleteFrom('channels').where('device_id', '=', data.deviceId).execute();
    for (const channel of data.channels) {
      await trx
        .insertInto('channels')
        .values({
          device_id: data.deviceId,
          channel_id: channel.channelId,
          user_id: device.user_id,
          channel_name: channel.name,
          channel_state: channelState(device.device_state, channel.status),
          catalog_status: channel.status,
          manufacturer: channel.manufacturer ?? null,
          model: channel.model ?? null,
          parent_id: channel.parentId ?? null,
          updated_at: data.at,
        })
        .execute();
    }
    await keepChannelProfiles(trx, data);
    await trx
      .updateTable('devices')
      .set({ channel_total: data.channels.length })
      .where('device_id', '=', data.deviceId)
      .execute();
  },

  async LiveStreamStarted() {},

  async LiveStreamStopped() {},

  async StreamUsageRecorded(trx, data) {
    const device = await trx
      .selectFrom('devices')
      .select('user_id')
      .where('device_id', '=', data.deviceId)
      .executeTakeFirst();
    if (device === undefined) return;
    await trx
      .insertInto('stream_usage')
      .values(streamUsageRows(data, device.user_id))
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async MediaNodeStarted(trx, data) {
    const values = {
      http_url: data.httpUrl,
      https_url: data.httpsUrl ?? null,
      sip_host: data.sipHost,
      sip_port: data.sipPort,
      started_at: data.at,
    };
    await trx
      .insertInto('media_nodes')
      .values({ node_id: data.nodeId, ...values })
      .onConflict((oc) => oc.column('node_id').doUpdateSet(values))
      .execute();
  },
};

/** Changes a device's profile row; a device added before the table existed gets one. */
async function setProfile(
  trx: Kysely<Database>,
  data: { deviceId: string; userId: string },
  change: { device_org_id: string } | { description: string },
) {
  await trx
    .withTables<DeviceTables>()
    .insertInto('device_profiles')
    .values({
      device_id: data.deviceId,
      user_id: data.userId,
      device_org_id: '0',
      description: '',
      ...change,
    })
    .onConflict((oc) => oc.column('device_id').doUpdateSet(change))
    .execute();
}

/** A channel keeps the time it first appeared through every later catalog that lists it. */
async function keepChannelProfiles(
  trx: Kysely<Database>,
  data: { deviceId: string; channels: readonly { channelId: string }[]; at: string },
) {
  const own = trx.withTables<DeviceTables>();
  const listed = data.channels.map((c) => c.channelId);
  await own
    .deleteFrom('channel_profiles')
    .where('device_id', '=', data.deviceId)
    .where('channel_id', 'not in', listed.length === 0 ? [''] : listed)
    .execute();
  for (const channelId of listed) {
    await own
      .insertInto('channel_profiles')
      .values({ device_id: data.deviceId, channel_id: channelId, created_at: data.at })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** Upserts the device's access row: devices added before the table existed get one too. */
async function setAccess(
  trx: Kysely<Database>,
  deviceId: string,
  access: { state: GbAccessState; reason: string; at?: string; lockedUntil?: string },
) {
  const values = {
    gb_access_state: access.state,
    gb_access_reason: access.reason,
    gb_last_attempt_at: access.at ?? null,
    gb_locked_until: access.lockedUntil ?? null,
  };
  await trx
    .withTables<DeviceAccessTables>()
    .insertInto('device_access')
    .values({ device_id: deviceId, ...values })
    .onConflict((oc) => oc.column('device_id').doUpdateSet(values))
    .execute();
}

/** A channel is online while its device is and the device reports it ON. */
function channelState(deviceState: string, status: string): 'ONLINE' | 'OFFLINE' {
  return deviceState === 'ONLINE' && status.toUpperCase() !== 'OFF' ? 'ONLINE' : 'OFFLINE';
}

async function setDeviceState(
  trx: Kysely<Database>,
  deviceId: string,
  state: 'ONLINE' | 'OFFLINE',
  at: string,
) {
  await trx
    .updateTable('devices')
    .set({ device_state: state, state_changed_at: at })
    .where('device_id', '=', deviceId)
    .execute();
  // Channels follow their device: offline with it, back to their catalog status with it.
  await trx
    .updateTable('channels')
    .set((eb) => ({
      channel_state:
        state === 'OFFLINE'
          ? 'OFFLINE'
          : eb.case().when('catalog_status', '=', 'OFF').then('OFFLINE').else('ONLINE').end(),
      updated_at: at,
    }))
    .where('device_id', '=', deviceId)
    .execute();
}
