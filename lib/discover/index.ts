// One interface over both discovery paths. Resource Graph answers a many-vault scope in a handful of
// queries; a single vault, VM or job is cheaper and fresher over REST.
import type { ArmContext } from '../arm/clients';
import { sameId } from '../arm/ids';
import { discoverGraph } from './graph';
import { discoverRest } from './rest';
import type { DiscoverOptions, DiscoveryResult, DiscoveryScope } from './types';

export type { Candidate, DiscoveryResult, DiscoveryScope, DiscoverOptions, Skipped, DiscoveryNote, JobProperties } from './types';
export { findVaultOfVm, listVaults, listVaultJobs } from './rest';
export { backupJobsQuery } from './graph';
export { needsJobDetails, readJobDetails } from './details';
export { formatJobFilterTime, jobListFilter, reduceToLatestPerItem, normaliseJob } from './jobs';

export function defaultPath(scope: DiscoveryScope): 'rest' | 'graph' {
  if (scope.jobId || scope.vmId || scope.vaultId) return 'rest';
  return 'graph';
}

export async function discoverFailures(arm: ArmContext, scope: DiscoveryScope, opts: DiscoverOptions): Promise<DiscoveryResult> {
  if (scope.jobId && scope.vmId) return discoverJobOfVm(arm, scope.jobId, scope.vmId, opts);
  const path = opts.path ?? defaultPath(scope);
  if (path === 'graph' && (scope.jobId || scope.vmId || scope.vaultId)) {
    // Resource Graph lags ARM by minutes; a targeted scope must see the job as it is now.
    return discoverRest(arm, scope, opts);
  }
  return path === 'graph' ? discoverGraph(arm, scope, opts) : discoverRest(arm, scope, opts);
}

/**
 * A job named together with its VM (an alert, a hint): the two must agree. A job of another VM is an
 * ambiguous target, so nothing is a candidate and the note says why: report, do nothing.
 */
async function discoverJobOfVm(arm: ArmContext, jobId: string, vmId: string, opts: DiscoverOptions): Promise<DiscoveryResult> {
  const found = await discoverRest(arm, { jobId }, opts);
  const other = (c: { vmId: string }) => !sameId(c.vmId, vmId);
  const strays = [...found.candidates, ...found.skipped].filter(other);
  if (strays.length === 0) return found;
  return {
    ...found,
    candidates: found.candidates.filter((c) => !other(c)),
    skipped: found.skipped.filter((s) => !other(s)),
    notes: [...found.notes, ...strays.map((c) => ({ jobId, vmId, reason: `ambiguous target: job ${jobId} belongs to ${c.vmId}, not to ${vmId}` }))],
  };
}
