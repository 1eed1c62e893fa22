// Resource Graph rows that name a VM as their source (restore point collections, protected items),
// for many VMs in one query. The query names the VMs by name only (a few bytes each, so its text stays
// a few kilobytes for hundreds of VMs across subscriptions); a row is kept only when its full source
// id is one of the VMs: a namesake VM in another group or subscription is dropped, never matched.
import type { ArmContext } from '../arm/clients';
import { kqlString, queryAll } from '../discover/graph';

/** VM names in one query. */
export const VMS_PER_QUERY = 500;

/** Graph's page ceiling. */
const PAGE_SIZE = 1000;

/** The key a VM's rows are filed under: its id in lower case, no trailing slash. */
export function sourceKey(vmId: string): string {
  return vmId.toLowerCase().replace(/\/+$/, '');
}

/** The VM name of a VM id, lower case (the last segment). */
export function vmNameOf(vmId: string): string {
  const key = sourceKey(vmId);
  return key.slice(key.lastIndexOf('/') + 1);
}

/**
 * KQL lines that keep rows whose `sourceId` column (a VM id) names one of these VMs by name:
 * '/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/virtualMachines/{name}', segment 8.
 */
export function sourceNameFilter(vmIds: string[]): string[] {
  const names = [...new Set(vmIds.map(vmNameOf))];
  return [
    "| extend sourceName = tolower(tostring(split(sourceId, '/')[8]))",
    `| where sourceName in (${names.map(kqlString).join(', ')})`,
  ];
}

/**
 * Rows of `query(chunk)` over `subscriptionIds` whose `sourceId` is one of `vmIds` (full id, any
 * casing), chunked by VMS_PER_QUERY; the chunks are queried in parallel (every VM that needs the
 * answer waits for this one read: a few queries at 100,000 VMs).
 */
export async function rowsOfSourceVms(arm: ArmContext, subscriptionIds: string[], vmIds: string[], query: (chunk: string[]) => string): Promise<Record<string, unknown>[]> {
  const wanted = new Set(vmIds.map(sourceKey));
  const chunks: string[][] = [];
  for (let i = 0; i < vmIds.length; i += VMS_PER_QUERY) chunks.push(vmIds.slice(i, i + VMS_PER_QUERY));
  const answers = await Promise.all(chunks.map((chunk) => queryAll(arm, subscriptionIds, query(chunk), PAGE_SIZE)));
  return answers.flat().filter((r) => typeof r.sourceId === 'string' && wanted.has(sourceKey(r.sourceId)));
}
