/**
 * The control plane's read models: access keys and their token sessions, accounts and
 * device organisations. A projection of its own (own checkpoint), beside `read-models`.
 */
import type { Kysely } from 'kysely';

import type { AccessTokenEvent } from '../domain/access-token.ts';
import type { AccountEvent } from '../domain/account.ts';
import type { DeviceOrgEvent } from '../domain/device-org-tree.ts';
import type { EnterpriseStreamEvent } from '../domain/enterprise.ts';
import type { RecordedEvent } from '../event-store/event-store.ts';
import type { ControlPlaneTables } from '../read-models/control-plane-tables.ts';
import type { Database } from '../sql/database.ts';
import type { Projection } from './projection.ts';
import { alarmProjection } from './alarm-projection.ts';
import { intelligenceProjection } from './intelligence-projection.ts';
import { servicePackageProjection } from './package-projection.ts';
import { shareProjection } from './share-projection.ts';
import { readModelsProjection } from './read-models.ts';
import { subscriptionProjection } from './subscription-projection.ts';

type Trx = Kysely<Database & ControlPlaneTables>;
type Handled =
  | Exclude<EnterpriseStreamEvent, { type: 'EnterpriseCreated' }>
  | AccessTokenEvent
  | AccountEvent
  | DeviceOrgEvent;
type Handlers = {
  [T in Handled['type']]: (trx: Trx, data: Extract<Handled, { type: T }>['data']) => Promise<void>;
};

export const controlPlaneProjection: Projection = {
  name: 'control-plane',
  async apply(trx, event: RecordedEvent) {
    const handler = handlers[event.type as Handled['type']] as
      ((trx: Trx, data: unknown) => Promise<void>) | undefined;
    await handler?.(trx.withTables<ControlPlaneTables>(), event.data);
  },
};

/** The projections the API's read models need, in the order a runner applies them. */
export const apiProjections: readonly Projection[] = [
  readModelsProjection,
  controlPlaneProjection,
  subscriptionProjection,
  alarmProjection,
  servicePackageProjection,
  shareProjection,
  intelligenceProjection,
];

const handlers: Handlers = {
  async CredentialIssued(trx, data) {
    await trx
      .insertInto('access_keys')
      .values({ user_id: data.userId, ak: data.ak, sk_hash: data.skHash, created_at: data.at })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async CredentialDeleted(trx, data) {
    await trx
      .deleteFrom('access_keys')
      .where('user_id', '=', data.userId)
      .where('ak', '=', data.ak)
      .execute();
    // Revoking a pair revokes its tokens.
    await trx
      .updateTable('access_sessions')
      .set({ revoked_at: data.at })
      .where('user_id', '=', data.userId)
      .where('ak', '=', data.ak)
      .where('revoked_at', 'is', null)
      .execute();
  },

  async AccessTokenIssued(trx, data) {
    await trx
      .insertInto('access_sessions')
      .values({
        session_id: data.sessionId,
        user_id: data.userId,
        ak: data.ak,
        generation: 0,
        issued_at: data.at,
        expires_at: data.expiresAt,
        revoked_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async AccessTokenRefreshed(trx, data) {
    await trx
      .updateTable('access_sessions')
      .set({ generation: data.generation, expires_at: data.expiresAt })
      .where('session_id', '=', data.sessionId)
      .execute();
  },

  async AccessTokenRevoked(trx, data) {
    await trx
      .updateTable('access_sessions')
      .set({ revoked_at: data.at })
      .where('session_id', '=', data.sessionId)
      .execute();
  },

  async AccountCreated(trx, data) {
    await trx
      .insertInto('accounts')
      .values({
        login_name: data.loginName,
        user_id: data.userId,
        kind: data.kind,
        role: data.role,
        device_org_id: data.deviceOrgId,
        display_name: data.displayName,
        password_hash: data.passwordHash,
        created_at: data.at,
        updated_at: data.at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async AccountRoleChanged(trx, data) {
    await trx
      .updateTable('accounts')
      .set({ role: data.role, device_org_id: data.deviceOrgId, updated_at: data.at })
      .where('login_name', '=', data.loginName)
      .execute();
  },

  async AccountPasswordChanged(trx, data) {
    await trx
      .updateTable('accounts')
      .set({ password_hash: data.passwordHash, updated_at: data.at })
      .where('login_name', '=', data.loginName)
      .execute();
  },

  async AccountDeleted(trx, data) {
    await trx.deleteFrom('accounts').where('login_name', '=', data.loginName).execute();
  },

  async DeviceOrgCreated(trx, data) {
    const parent = await trx
      .selectFrom('device_orgs')
      .select('level')
      .where('user_id', '=', data.userId)
      .where('device_org_id', '=', data.parentOrgId)
      .executeTakeFirst();
    // The root `0` has no row: it is level 1.
    const parentLevel = parent?.level ?? 1;
    await trx
      .insertInto('device_orgs')
      .values({
        user_id: data.userId,
        device_org_id: data.deviceOrgId,
        parent_org_id: data.parentOrgId,
        device_org_name: data.name,
        level: Number(parentLevel) + 1,
        created_at: data.at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async DeviceOrgRenamed(trx, data) {
    await trx
      .updateTable('device_orgs')
      .set({ device_org_name: data.name })
      .where('user_id', '=', data.userId)
      .where('device_org_id', '=', data.deviceOrgId)
      .execute();
  },

  async DeviceOrgDeleted(trx, data) {
    await trx
      .deleteFrom('device_orgs')
      .where('user_id', '=', data.userId)
      .where('device_org_id', '=', data.deviceOrgId)
      .execute();
  },
};
