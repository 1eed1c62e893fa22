// Restore point collections by source VM. Over ARM the only way to find a VM's collections is to
// page through every collection of its subscription (200 a page); Resource Graph answers "the
// collections whose source is one of these VMs" in one query. The run knows its VMs before any
// diagnosis (discovery's candidates), so one query over all their subscriptions answers them all.
import type { ArmContext } from '../arm/clients';
import { rowsOfSourceVms, sourceKey, sourceNameFilter } from './graph-by-vm';

export { sourceKey } from './graph-by-vm';

/** A restore point collection whose properties.source.id is the VM (never matched by name). */
export interface RpcSummary { id: string; name: string; resourceGroup: string; sourceId: string }

/**
 * Collections whose source VM has one of these names, in any group or subscription of the query's
 * scope: a superset of the VMs' own collections, which collectionsOfVms keeps by full source id.
 */
export function collectionsQuery(vmIds: string[]): string {
  return [
    'Resources',
    "| where type =~ 'microsoft.compute/restorepointcollections'",
    '| extend sourceId = tostring(properties.source.id)',
    ...sourceNameFilter(vmIds),
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

/**
 * The collections of the named VMs (of any of `subscriptionIds`), by source VM key. A row whose
 * source is not one of the VMs (a namesake elsewhere) is dropped: VMs are matched by full id only.
 */
export async function collectionsOfVms(arm: ArmContext, subscriptionIds: string[], vmIds: string[]): Promise<Map<string, RpcSummary[]>> {
  const bySource = new Map<string, RpcSummary[]>();
  for (const r of await rowsOfSourceVms(arm, subscriptionIds, vmIds, collectionsQuery)) {
    const c = summaryOf(r);
    if (c) fileBySource(bySource, c);
  }
  return bySource;
}
