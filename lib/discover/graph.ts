// Discovery through Azure Resource Graph: one query covers every vault of every subscription in scope.
// The reduction runs in the query (`summarize arg_max(...) by item`): one row per protected item whose
// latest failed backup falls in the window, instead of one row per job of every protected VM. Only
// items with a later running or successful job (a few) need a second, targeted query for that job.
import type { ArmContext } from '../arm/clients';
import { parseJobId, parseSubscriptionId } from '../arm/ids';
import type { Scope } from '../scope';
import { CLOCK_SKEW_MS, reduceToLatestPerItem, RUNNING_STATUSES, SUCCESS_STATUSES, type RawJob } from './jobs';
import type { DiscoverOptions, DiscoveryResult, DiscoveryScope } from './types';

/** Resource Graph's page ceiling. */
const PAGE_SIZE = 1000;
/** Items named in one follow-up query (keeps the query text to a few kilobytes). */
const ITEMS_PER_QUERY = 100;

/** A KQL string literal. */
export function kqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Job statuses as a KQL list of lower-case literals, for `status in` against a lower-cased status. */
export function kqlStatuses(statuses: readonly string[]): string {
  return `(${statuses.map((s) => kqlString(s.toLowerCase())).join(', ')})`;
}

/** A later job that makes a failure moot: running, or successful. */
const LATER = kqlStatuses([...RUNNING_STATUSES, ...SUCCESS_STATUSES]);

/** Azure VM backup jobs started in [since, now], with `startTime`, lower-case `status` and the `item` key (vault id | container). */
function jobsInWindow(since: Date, now: Date): string[] {
  return [
    'RecoveryServicesResources',
    "| where type =~ 'microsoft.recoveryservices/vaults/backupjobs'",
    "| where properties.backupManagementType =~ 'AzureIaasVM' and properties.operation =~ 'Backup'",
    '| extend startTime = todatetime(properties.startTime), status = tolower(tostring(properties.status))',
    `| where startTime between (datetime(${since.toISOString()}) .. datetime(${new Date(now.getTime() + CLOCK_SKEW_MS).toISOString()}))`,
    "| extend item = strcat(tostring(split(tolower(id), '/backupjobs/')[0]), '|', tolower(tostring(properties.containerName)))",
  ];
}

/**
 * Per protected item: its latest failed job (all columns) and the start of its latest running or
 * successful job (`laterAt`); items that never failed in the window are not returned.
 */
export function backupJobsQuery(since: Date, now: Date): string {
  return [
    ...jobsInWindow(since, now),
    "| extend failedAt = iff(status == 'failed', startTime, datetime(null))",
    `| summarize arg_max(failedAt, *), laterAt = maxif(startTime, status in ${LATER}) by item`,
    '| where isnotnull(failedAt)',
    '| project id, name, subscriptionId, resourceGroup, properties, item, failedAt, laterAt',
  ].join('\n');
}

/** The latest running job and the latest successful job of each named item (the jobs that make a failure moot). */
export function laterJobsQuery(since: Date, now: Date, items: string[]): string {
  return [
    ...jobsInWindow(since, now),
    `| where status in ${LATER}`,
    `| where item in (${items.map(kqlString).join(', ')})`,
    `| extend running = status in ${kqlStatuses(RUNNING_STATUSES)}`,
    '| summarize arg_max(startTime, *) by item, running',
    '| project id, name, properties',
  ].join('\n');
}

type Row = Record<string, unknown>;

export async function queryAll(arm: ArmContext, subscriptions: string[], query: string, pageSize: number, onPage?: (rows: number, pages: number) => void): Promise<Row[]> {
  const out: Row[] = [];
  let skipToken: string | undefined;
  let pages = 0;
  do {
    const res = await arm.graph().resources({
      subscriptions,
      query,
      options: { resultFormat: 'objectArray', top: pageSize, ...(skipToken ? { skipToken } : {}) },
    });
    if (Array.isArray(res.data)) out.push(...(res.data as Row[]));
    skipToken = res.skipToken || undefined;
    pages++;
    if (skipToken) onPage?.(out.length, pages);
  } while (skipToken);
  return out;
}

function toRawJob(r: Row): RawJob | undefined {
  return typeof r.id === 'string' && r.properties && typeof r.properties === 'object' ? { id: r.id, properties: r.properties as Record<string, unknown> } : undefined;
}

/** ISO strings and Dates alike; undefined when absent. */
function timeOf(v: unknown): number | undefined {
  const t = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * The jobs the reducer needs: each item's latest failed job, plus, for items whose later job may
 * make it moot (ties count: the reducer orders a running or successful job of the same second first),
 * that item's latest running and latest successful job.
 */
export async function queryBackupJobs(arm: ArmContext, subscriptions: string[], since: Date, now: Date, onProgress?: (m: string) => void, pageSize = PAGE_SIZE): Promise<RawJob[]> {
  const failed = await queryAll(arm, subscriptions, backupJobsQuery(since, now), pageSize, (n, p) => onProgress?.(`Resource Graph: ${n} failed item(s) after ${p} page(s)`));
  const moot = failed.filter((r) => {
    const later = timeOf(r.laterAt);
    const failedAt = timeOf(r.failedAt);
    return later !== undefined && failedAt !== undefined && later >= failedAt;
  });
  const items = [...new Set(moot.map((r) => String(r.item)))];
  const later: Row[] = [];
  for (let i = 0; i < items.length; i += ITEMS_PER_QUERY) {
    later.push(...(await queryAll(arm, subscriptions, laterJobsQuery(since, now, items.slice(i, i + ITEMS_PER_QUERY)), pageSize)));
  }
  return [...failed, ...later].map(toRawJob).filter((j): j is RawJob => j !== undefined);
}

export async function discoverGraph(arm: ArmContext, scope: DiscoveryScope, opts: DiscoverOptions): Promise<DiscoveryResult> {
  const subs = (scope.subscriptions ?? []).map(parseSubscriptionId);
  if (subs.length === 0) throw new Error('Resource Graph discovery needs at least one subscription');
  // The window's upper bound is in the query: jobs that start after `now` belong to the next run.
  const jobs = await queryBackupJobs(arm, subs, opts.since, opts.now, opts.onProgress, opts.graphPageSize);
  // One query covers whole subscriptions; rows outside the resource-group scope are dropped unread further.
  const scoped = opts.scope ? jobs.filter((j) => inScopeJob(j.id, opts.scope!)) : jobs;
  return { ...reduceToLatestPerItem(scoped), path: 'graph' };
}

function inScopeJob(jobId: string, scope: Scope): boolean {
  try {
    return scope.contains(parseJobId(jobId));
  } catch {
    return true; // reduceToLatestPerItem reports ids it cannot read; scope is checked again per VM
  }
}
