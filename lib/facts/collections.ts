// Restore point collections by source VM. Over ARM the only way to find a VM's collections is to
// page through every collection of its subscription (200 a page); Resource Graph answers "the
// collections whose source is one of these VMs" in one query. The run knows its VMs before any
// diagnosis (discovery's candidates), so one query per subscription (per 100 VMs) answers them all.
import type { ArmContext } from '../arm/clients';
import { queryAll } from '../discover/graph';

/** A restore point collection whose properties.source.id is the VM (never matched by name). */
export interface RpcSummary { id: string; name: string; resourceGroup: string; sourceId: string }

/** VMs named in one query (keeps the query text to a few kilobytes, as discovery's follow-up does). */
export const VMS_PER_QUERY = 100;

/** Graph's page ceiling. */
const PAGE_SIZE = 1000;

const kqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The VM key collections are filed under: lower case, no trailing slash. */
export function sourceKey(vmId: string): string {
  return vmId.toLowerCase().replace(/\/+$/, '');
}

export function collectionsQuery(vmIds: string[]): string {
  return [
    'Resources',
    "| where type =~ 'microsoft.compute/restorepointcollections'",
    '| extend sourceId = tostring(properties.source.id)',
    `| where tolower(sourceId) in (${vmIds.map((v) => kqlString(sourceKey(v))).join(', ')})`,
    '| project id, name, sourceId',
  ].join('\n');
}

/** One collection as listed (ARM or Graph); undefined when it names no source. */
export function summaryOf(c: { id?: unknown; name?: unknown; sourceId?: unknown }): RpcSummary | undefined {
  if (typeof c.id !== 'string' || typeof c.name !== 'string' || typeof c.sourceId !== 'string' || !c.id || !c.name || !c.sourceId) return undefined;
  // From the id, in ARM's casing (Graph's resourceGroup column is lower case).
  const m = /\/resourceGroups\/([^/]+)\//i.exec(c.id);
  return { id: c.id, name: c.name, resourceGroup: m ? m[1] : '', sourceId: c.sourceId };
}

export function fileBySource(into: Map<string, RpcSummary[]>, c: RpcSummary): void {
  const key = sourceKey(c.sourceId);
  const list = into.get(key) ?? [];
  list.push(c);
  into.set(key, list);
}

/** The collections of the named VMs of one subscription, by source VM key. */
export async function collectionsOfVms(arm: ArmContext, subscriptionId: string, vmIds: string[]): Promise<Map<string, RpcSummary[]>> {
  const bySource = new Map<string, RpcSummary[]>();
  for (let i = 0; i < vmIds.length; i += VMS_PER_QUERY) {
    const rows = await queryAll(arm, [subscriptionId], collectionsQuery(vmIds.slice(i, i + VMS_PER_QUERY)), PAGE_SIZE);
    for (const r of rows) {
      const c = summaryOf(r);
      if (c) fileBySource(bySource, c);
    }
  }
  return bySource;
}
