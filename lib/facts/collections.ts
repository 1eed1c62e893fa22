// Restore point collections by source VM. Over ARM the only way to find a VM's collections is to
// page through every collection of its subscription (200 a page); Resource Graph answers "the
// collections whose source is one of these VMs" in one query. The run knows its VMs before any
// diagnosis (discovery's candidates), so one query over all their subscriptions answers them all.
import type { ArmContext } from '../arm/clients';
import { queryAll } from '../discover/graph';

/** A restore point collection whose properties.source.id is the VM (never matched by name). */
export interface RpcSummary { id: string; name: string; resourceGroup: string; sourceId: string }

/**
 * VM names in one query. The query names VMs by name only (a few bytes each, so the text stays a
 * few kilobytes for hundreds of VMs across subscriptions); the full source id is matched here.
 */
export const VMS_PER_QUERY = 500;

/** Graph's page ceiling. */
const PAGE_SIZE = 1000;

const kqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The VM key collections are filed under: lower case, no trailing slash. */
export function sourceKey(vmId: string): string {
  return vmId.toLowerCase().replace(/\/+$/, '');
}

/** The VM name of a VM id, lower case (the last segment). */
function vmNameOf(vmId: string): string {
  const key = sourceKey(vmId);
  return key.slice(key.lastIndexOf('/') + 1);
}

/**
 * Collections whose source VM has one of these names, in any group or subscription of the query's
 * scope: a superset of the VMs' own collections, which collectionsOfVms keeps by full source id.
 */
export function collectionsQuery(vmIds: string[]): string {
  const names = [...new Set(vmIds.map(vmNameOf))];
  return [
    'Resources',
    "| where type =~ 'microsoft.compute/restorepointcollections'",
    '| extend sourceId = tostring(properties.source.id)',
    // '/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/virtualMachines/{name}': segment 8.
    "| extend sourceName = tolower(tostring(split(sourceId, '/')[8]))",
    `| where sourceName in (${names.map(kqlString).join(', ')})`,
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
  const wanted = new Set(vmIds.map(sourceKey));
  const bySource = new Map<string, RpcSummary[]>();
  const chunks: string[][] = [];
  for (let i = 0; i < vmIds.length; i += VMS_PER_QUERY) chunks.push(vmIds.slice(i, i + VMS_PER_QUERY));
  // In parallel: every VM needing its collections waits for this one read (a few queries at 100,000 VMs).
  const answers = await Promise.all(chunks.map((chunk) => queryAll(arm, subscriptionIds, collectionsQuery(chunk), PAGE_SIZE)));
  for (const r of answers.flat()) {
    const c = summaryOf(r);
    if (c && wanted.has(sourceKey(c.sourceId))) fileBySource(bySource, c);
  }
  return bySource;
}
