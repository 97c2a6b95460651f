/** The device organisation tree as the API shows it, built from `device_orgs` rows. */

export interface OrgRow {
  readonly device_org_id: string;
  readonly parent_org_id: string;
  readonly device_org_name: string;
  readonly level: number;
}

export interface OrgNode {
  readonly device_org_id: string;
  readonly device_org_name: string;
  readonly parent_org_id: string;
  readonly level: number;
  readonly children: OrgNode[];
}

/**
 * The organisations below the root as nested nodes. With `nameContains`, only those whose
 * name contains it (case-insensitively) and their ancestors, so each match shows where it is.
 */
export function orgTreeView(rows: readonly OrgRow[], nameContains?: string): OrgNode[] {
  const byId = new Map(rows.map((row) => [row.device_org_id, row]));
  const keep = new Set<string>();
  const needle = nameContains?.toLowerCase();
  for (const row of rows) {
    if (needle !== undefined && !row.device_org_name.toLowerCase().includes(needle)) continue;
    for (let r: OrgRow | undefined = row; r !== undefined && !keep.has(r.device_org_id);) {
      keep.add(r.device_org_id);
      r = byId.get(r.parent_org_id);
    }
  }

  const nodes = new Map<string, OrgNode>();
  for (const row of rows) {
    if (!keep.has(row.device_org_id)) continue;
    const { device_org_id, device_org_name, parent_org_id } = row;
    nodes.set(device_org_id, {
      device_org_id,
      device_org_name,
      parent_org_id,
      level: Number(row.level),
      children: [],
    });
  }
  const roots: OrgNode[] = [];
  for (const node of nodes.values()) {
    const parent = nodes.get(node.parent_org_id);
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
  }
  return roots;
}
