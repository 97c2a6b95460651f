/**
 * The device organisations of a tenant (enterprise or personal account): stream
 * `device-org-tree-<user_id>`. The root organisation has `device_org_id` 0 and always exists;
 * the others are numbered 1, 2, … in order of creation and never reused. An enterprise's
 * departments are these organisations: a department manager manages one and what lies below.
 * The whole tree is one stream because its rules (depth, sibling names, no deleting a parent)
 * span many nodes.
 */
import { ArgusError, errorCodes } from '../errors.ts';

/** The root organisation's ID (Huawei IVM northbound API). */
export const rootOrgId = '0';

/** How deep the tree may be, counting the root as level 1. */
export const maxOrgLevels = 9;

export type DeviceOrgEvent =
  | {
      type: 'DeviceOrgCreated';
      data: { userId: string; deviceOrgId: string; parentOrgId: string; name: string; at: string };
    }
  | {
      type: 'DeviceOrgRenamed';
      data: { userId: string; deviceOrgId: string; name: string; at: string };
    }
  | { type: 'DeviceOrgDeleted'; data: { userId: string; deviceOrgId: string; at: string } };

export interface DeviceOrg {
  readonly deviceOrgId: string;
  readonly parentOrgId: string;
  readonly name: string;
  /** The root is level 1. */
  readonly level: number;
}

export interface DeviceOrgTree {
  readonly userId: string;
  /** The organisations below the root, by ID. */
  readonly orgs: ReadonlyMap<string, DeviceOrg>;
  readonly lastId: number;
}

export function deviceOrgTreeStreamName(userId: string): string {
  return `device-org-tree-${userId}`;
}

export function evolveDeviceOrgTree(tree: DeviceOrgTree, event: DeviceOrgEvent): DeviceOrgTree {
  const orgs = new Map(tree.orgs);
  const { deviceOrgId } = event.data;
  switch (event.type) {
    case 'DeviceOrgCreated': {
      const { parentOrgId, name } = event.data;
      orgs.set(deviceOrgId, {
        deviceOrgId,
        parentOrgId,
        name,
        level: levelOf(tree, parentOrgId) + 1,
      });
      return { ...tree, orgs, lastId: Math.max(tree.lastId, Number(deviceOrgId)) };
    }
    case 'DeviceOrgRenamed': {
      const org = orgs.get(deviceOrgId);
      if (org !== undefined) orgs.set(deviceOrgId, { ...org, name: event.data.name });
      return { ...tree, orgs };
    }
    case 'DeviceOrgDeleted':
      orgs.delete(deviceOrgId);
      return { ...tree, orgs };
  }
}

export function foldDeviceOrgTree(
  userId: string,
  events: readonly DeviceOrgEvent[],
): DeviceOrgTree {
  return events.reduce(evolveDeviceOrgTree, { userId, orgs: new Map(), lastId: 0 });
}

/** The level of an organisation: 1 for the root, 0 for one not in the tree. */
export function levelOf(tree: DeviceOrgTree, deviceOrgId: string): number {
  if (deviceOrgId === rootOrgId) return 1;
  return tree.orgs.get(deviceOrgId)?.level ?? 0;
}

/** True where `deviceOrgId` is `ancestorId` or lies below it. */
export function isWithin(tree: DeviceOrgTree, deviceOrgId: string, ancestorId: string): boolean {
  for (let id: string | undefined = deviceOrgId; id !== undefined;) {
    if (id === ancestorId) return true;
    id = id === rootOrgId ? undefined : tree.orgs.get(id)?.parentOrgId;
  }
  return false;
}

/**
 * Creates an organisation under `parentOrgId`, numbered after the last one created.
 * @throws ArgusError NOT_FOUND where the parent does not exist; CONFLICT where the new one
 * would be deeper than `maxOrgLevels` or a sibling has its name
 */
export function decideCreateDeviceOrg(
  tree: DeviceOrgTree,
  command: { parentOrgId: string; name: string; at: Date },
): DeviceOrgEvent[] {
  const parentLevel = levelOf(tree, command.parentOrgId);
  if (parentLevel === 0) {
    throw new ArgusError(
      errorCodes.NOT_FOUND,
      `Cannot create device organisation: no parent organisation ${command.parentOrgId}`,
    );
  }
  if (parentLevel >= maxOrgLevels) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot create device organisation: the tree is at most ${maxOrgLevels} levels deep`,
      { limit: maxOrgLevels },
    );
  }
  assertNameFree(tree, command.parentOrgId, command.name, 'create device organisation');
  return [
    {
      type: 'DeviceOrgCreated',
      data: {
        userId: tree.userId,
        deviceOrgId: String(tree.lastId + 1),
        parentOrgId: command.parentOrgId,
        name: command.name,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Renames an organisation; the same name again changes nothing.
 * @throws ArgusError NOT_FOUND where it does not exist; CONFLICT for the root or where a
 * sibling has the name
 */
export function decideRenameDeviceOrg(
  tree: DeviceOrgTree,
  command: { deviceOrgId: string; name: string; at: Date },
): DeviceOrgEvent[] {
  const org = existing(tree, command.deviceOrgId, 'rename device organisation');
  if (org.name === command.name) return [];
  assertNameFree(tree, org.parentOrgId, command.name, 'rename device organisation');
  return [
    {
      type: 'DeviceOrgRenamed',
      data: {
        userId: tree.userId,
        deviceOrgId: org.deviceOrgId,
        name: command.name,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Deletes an empty organisation. `members` counts what the read models hold in it (devices,
 * users), which this stream does not know.
 * @throws ArgusError NOT_FOUND where it does not exist; CONFLICT for the root, or while it has
 * sub-organisations or members
 */
export function decideDeleteDeviceOrg(
  tree: DeviceOrgTree,
  command: { deviceOrgId: string; members: { devices: number; users: number }; at: Date },
): DeviceOrgEvent[] {
  const org = existing(tree, command.deviceOrgId, 'delete device organisation');
  const children = [...tree.orgs.values()].filter((o) => o.parentOrgId === org.deviceOrgId);
  const { devices, users } = command.members;
  const holds = [
    children.length > 0 ? `${children.length} sub-organisations` : '',
    devices > 0 ? `${devices} devices` : '',
    users > 0 ? `${users} users` : '',
  ].filter((part) => part !== '');
  if (holds.length > 0) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot delete device organisation ${org.deviceOrgId}: it holds ${holds.join(', ')}`,
    );
  }
  return [
    {
      type: 'DeviceOrgDeleted',
      data: { userId: tree.userId, deviceOrgId: org.deviceOrgId, at: command.at.toISOString() },
    },
  ];
}

function existing(tree: DeviceOrgTree, deviceOrgId: string, action: string): DeviceOrg {
  if (deviceOrgId === rootOrgId) {
    throw new ArgusError(errorCodes.CONFLICT, `Cannot ${action}: 0 is the root organisation`);
  }
  const org = tree.orgs.get(deviceOrgId);
  if (org === undefined) {
    throw new ArgusError(errorCodes.NOT_FOUND, `Cannot ${action}: no organisation ${deviceOrgId}`);
  }
  return org;
}

function assertNameFree(tree: DeviceOrgTree, parentOrgId: string, name: string, action: string) {
  const taken = [...tree.orgs.values()].some(
    (o) => o.parentOrgId === parentOrgId && o.name === name,
  );
  if (taken) {
    throw new ArgusError(
      errorCodes.CONFLICT,
      `Cannot ${action}: organisation ${parentOrgId} has a sub-organisation named ${name}`,
    );
  }
}
