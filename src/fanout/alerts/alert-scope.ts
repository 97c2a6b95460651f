/**
 * Which alarms a recipient may see: those of its tenant's devices (the owner when the alarm
 * was recorded), and for a department manager only devices of their department and below, as
 * the devices are organised when the alarm is read. One instance serves one pass of the
 * loop: organisations and devices are read once per pass.
 */
import { rootOrgId } from '../../domain/device-org-tree.ts';
import { orgIdsWithin } from '../../read-models/control-plane-queries.ts';
import { findDevice } from '../../read-models/queries.ts';
import type { Db } from '../../sql/database.ts';
import type { DeviceOwners } from '../device-owners.ts';

export interface ScopedRecipient {
  readonly user_id: string;
  readonly role: string;
  readonly device_org_id: string;
}

export class AlertScope {
  readonly #db: Db;
  readonly #owners: DeviceOwners;
  readonly #orgsWithin = new Map<string, Promise<ReadonlySet<string>>>();
  readonly #deviceOrgs = new Map<string, Promise<string | undefined>>();

  constructor(db: Db, owners: DeviceOwners) {
    this.#db = db;
    this.#owners = owners;
  }

  /** True where the alarm of `deviceId` at global `position` is for `recipient`. */
  async sees(recipient: ScopedRecipient, deviceId: string, position: number): Promise<boolean> {
    if ((await this.#owners.ownerAt(deviceId, position)) !== recipient.user_id) return false;
    const department = recipient.device_org_id;
    if (recipient.role !== 'DEPARTMENT_MANAGER' || department === rootOrgId) return true;
    const orgs = await this.#within(recipient.user_id, department);
    const deviceOrg = await this.#deviceOrg(recipient.user_id, deviceId);
    return deviceOrg !== undefined && orgs.has(deviceOrg);
  }

  #within(userId: string, deviceOrgId: string): Promise<ReadonlySet<string>> {
    const key = `${userId}/${deviceOrgId}`;
    let orgs = this.#orgsWithin.get(key);
    if (orgs === undefined) {
      orgs = orgIdsWithin(this.#db, userId, deviceOrgId).then((ids) => new Set(ids));
      this.#orgsWithin.set(key, orgs);
    }
    return orgs;
  }

  #deviceOrg(userId: string, deviceId: string): Promise<string | undefined> {
    const key = `${userId}/${deviceId}`;
    let org = this.#deviceOrgs.get(key);
    if (org === undefined) {
      org = findDevice(this.#db, userId, deviceId).then((device) => device?.device_org_id);
      this.#deviceOrgs.set(key, org);
    }
    return org;
  }
}
