// Discovery through Azure Resource Graph: one query covers every vault of every subscription in scope,
// paged with $skipToken, instead of one REST listing per vault.
import type { ArmContext } from '../arm/clients';
import { parseJobId, parseSubscriptionId } from '../arm/ids';
import type { Scope } from '../scope';
import { reduceToLatestPerItem, type RawJob } from './jobs';
import type { DiscoverOptions, DiscoveryResult, DiscoveryScope } from './types';

/** Resource Graph's page ceiling. */
const PAGE_SIZE = 1000;

export function backupJobsQuery(since: Date): string {
  return [
    'RecoveryServicesResources',
    "| where type =~ 'microsoft.recoveryservices/vaults/backupjobs'",
    "| where properties.backupManagementType =~ 'AzureIaasVM' and properties.operation =~ 'Backup'",
    `| where todatetime(properties.startTime) >= datetime(${since.toISOString()})`,
    '| project id, name, subscriptionId, resourceGroup, properties',
  ].join('\n');
}

export async function queryBackupJobs(arm: ArmContext, subscriptions: string[], since: Date, onProgress?: (m: string) => void, pageSize = PAGE_SIZE): Promise<RawJob[]> {
  const query = backupJobsQuery(since);
  const out: RawJob[] = [];
  let skipToken: string | undefined;
  let pages = 0;
  do {
    const res = await arm.graph().resources({
      subscriptions,
      query,
      options: { resultFormat: 'objectArray', top: pageSize, ...(skipToken ? { skipToken } : {}) },
    });
    const rows = Array.isArray(res.data) ? (res.data as Record<string, unknown>[]) : [];
    for (const r of rows) {
      if (typeof r.id === 'string' && r.properties && typeof r.properties === 'object') {
        out.push({ id: r.id, properties: r.properties as Record<string, unknown> });
      }
    }
    skipToken = res.skipToken || undefined;
    pages++;
    if (onProgress && skipToken) onProgress(`Resource Graph: ${out.length} job(s) after ${pages} page(s)`);
  } while (skipToken);
  return out;
}

export async function discoverGraph(arm: ArmContext, scope: DiscoveryScope, opts: DiscoverOptions): Promise<DiscoveryResult> {
  const subs = (scope.subscriptions ?? []).map(parseSubscriptionId);
  if (subs.length === 0) throw new Error('Resource Graph discovery needs at least one subscription');
  const jobs = await queryBackupJobs(arm, subs, opts.since, opts.onProgress, opts.graphPageSize);
  // Resource Graph has no upper bound in the query; jobs that start after `now` belong to the next run.
  const until = opts.now.getTime();
  const inWindow = jobs.filter((j) => {
    const t = Date.parse(String(j.properties.startTime ?? ''));
    return !Number.isFinite(t) || t <= until;
  });
  // One query covers whole subscriptions; rows outside the resource-group scope are dropped unread further.
  const scoped = opts.scope ? inWindow.filter((j) => inScopeJob(j.id, opts.scope!)) : inWindow;
  return { ...reduceToLatestPerItem(scoped), path: 'graph' };
}

function inScopeJob(jobId: string, scope: Scope): boolean {
  try {
    return scope.contains(parseJobId(jobId));
  } catch {
    return true; // reduceToLatestPerItem reports ids it cannot read; scope is checked again per VM
  }
}
