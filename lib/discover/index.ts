// One interface over both discovery paths. Resource Graph answers a many-vault scope in a handful of
// queries; a single vault, VM or job is cheaper and fresher over REST.
import type { ArmContext } from '../arm/clients';
import { discoverGraph } from './graph';
import { discoverRest } from './rest';
import type { DiscoverOptions, DiscoveryResult, DiscoveryScope } from './types';

export type { Candidate, DiscoveryResult, DiscoveryScope, DiscoverOptions, Skipped, DiscoveryNote, JobProperties } from './types';
export { findVaultOfVm, listVaults, listVaultJobs } from './rest';
export { backupJobsQuery } from './graph';
export { formatJobFilterTime, jobListFilter, reduceToLatestPerItem, normaliseJob } from './jobs';

export function defaultPath(scope: DiscoveryScope): 'rest' | 'graph' {
  if (scope.jobId || scope.vmId || scope.vaultId) return 'rest';
  return 'graph';
}

export async function discoverFailures(arm: ArmContext, scope: DiscoveryScope, opts: DiscoverOptions): Promise<DiscoveryResult> {
  const path = opts.path ?? defaultPath(scope);
  if (path === 'graph' && (scope.jobId || scope.vmId || scope.vaultId)) {
    // Resource Graph lags ARM by minutes; a targeted scope must see the job as it is now.
    return discoverRest(arm, scope, opts);
  }
  return path === 'graph' ? discoverGraph(arm, scope, opts) : discoverRest(arm, scope, opts);
}
