/**
 * Which role may do what. Routes name the action they perform; a caller whose role lacks it
 * is refused before the route runs. An enterprise's AK/SK acts as its administrator.
 */
import type { Role } from '../domain/account.ts';

export const actions = [
  'credentials.manage',
  'accounts.manage',
  'orgs.manage',
  'orgs.read',
  'devices.manage',
  'devices.read',
  'live.watch',
  'messages.manage',
  'packages.manage',
  'packages.read',
  'usage.read',
  'ptz.control',
] as const;
export type Action = (typeof actions)[number];

const reader: readonly Action[] = ['orgs.read', 'devices.read', 'live.watch'];
/** Service packages and usage: a personal account manages its own, as an administrator does. */
const packageActions: readonly Action[] = ['packages.manage', 'packages.read', 'usage.read'];

const grants: Readonly<Record<Role, readonly Action[]>> = {
  ENTERPRISE_ADMIN: actions,
  // Within their department: accounts.manage and orgs.manage are narrowed by the routes.
  // PTZ moves the camera for every viewer and recording: not for read-only common users.
  DEPARTMENT_MANAGER: [
    ...reader,
    'accounts.manage',
    'orgs.manage',
    'devices.manage',
    'ptz.control',
  ],
  COMMON_USER: reader,
  PERSONAL: [...reader, 'orgs.manage', 'devices.manage', ...packageActions, 'ptz.control'],
};

/** True where `role` may perform `action`. */
export function can(role: Role, action: Action): boolean {
  return grants[role].includes(action);
}

/** Who is calling: the tenant, the role, and the account or AK the token was issued for. */
export interface Principal {
  readonly userId: string;
  readonly role: Role;
  /** The account of a password login; undefined for an AK/SK. */
  readonly loginName?: string;
  readonly ak?: string;
  /** A department manager's department (device organisation); `0` for the whole tenant. */
  readonly deviceOrgId: string;
}
