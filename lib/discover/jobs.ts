// Shared by both discovery paths: normalising a job's properties (SDK objects carry Dates, Resource Graph
// rows carry the raw REST strings) and reducing a vault's jobs to "the latest job per protected item".
import { parseVaultId, protectedItemId, vmBackupNames, vmId as buildVmId, vmOfContainerName } from '../arm/ids';
import type { Candidate, JobProperties, Skipped, DiscoveryNote } from './types';

export interface RawJob {
  /** ARM id of the job as the service returned it. */
  id: string;
  properties: Record<string, unknown>;
}

const KEPT = [
  'jobType', 'entityFriendlyName', 'backupManagementType', 'operation', 'status', 'startTime', 'endTime', 'duration',
  'activityId', 'containerName', 'virtualMachineVersion', 'isUserTriggered', 'errorDetails', 'extendedInfo',
] as const;

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Same shape from both paths: only the fields the engine reads, times as canonical ISO strings. */
export function normaliseJob(props: Record<string, unknown>): JobProperties {
  const out: Record<string, unknown> = {};
  for (const k of KEPT) {
    const v = props[k];
    if (v === undefined || v === null) continue;
    out[k] = normaliseValue(v);
  }
  return out as JobProperties;
}

function normaliseValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' && ISO_LIKE.test(v)) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? v : d.toISOString();
  }
  if (Array.isArray(v)) return v.map(normaliseValue);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) o[k] = normaliseValue(x);
    return o;
  }
  return v;
}

export function isVmBackupJob(p: JobProperties): boolean {
  return (p.operation ?? '').toLowerCase() === 'backup' && (p.backupManagementType ?? 'AzureIaasVM').toLowerCase() === 'azureiaasvm';
}

/** ARM's job filter wants `yyyy-MM-dd hh:mm:ss AM` (12-hour clock, UTC). */
export function formatJobFilterTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(h12)}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/**
 * How far the service's clock may run ahead of this host's. Every job listing reaches this far past
 * `now`: a backup the service dated a little ahead must still count as running or as the later
 * success that makes a failure moot, or a run would trigger the item a second time.
 */
export const CLOCK_SKEW_MS = 10 * 60_000;

export function jobListFilter(since: Date, now: Date): string {
  const until = new Date(now.getTime() + CLOCK_SKEW_MS);
  return `operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and startTime eq '${formatJobFilterTime(since)}' and endTime eq '${formatJobFilterTime(until)}'`;
}

function canonicalJobId(id: string): { jobId: string; vaultId: string; subscriptionId: string } | undefined {
  const i = id.toLowerCase().lastIndexOf('/backupjobs/');
  if (i < 0) return undefined;
  try {
    const vault = parseVaultId(id.slice(0, i));
    return { jobId: `${vault.id}/backupJobs/${id.slice(i + '/backupJobs/'.length)}`, vaultId: vault.id, subscriptionId: vault.subscriptionId };
  } catch {
    return undefined;
  }
}

const time = (p: JobProperties) => (p.startTime ? Date.parse(p.startTime) : 0);

export interface Reduced {
  candidates: Candidate[];
  skipped: Skipped[];
  notes: DiscoveryNote[];
}

/**
 * Groups jobs by protected item (vault + container, case-insensitive) and keeps, for each item that had a
 * failed backup, either the latest failed job (a candidate) or the reason it no longer matters.
 */
export function reduceToLatestPerItem(jobs: RawJob[]): Reduced {
  const groups = new Map<string, { vaultId: string; subscriptionId: string; container: string; jobs: { jobId: string; p: JobProperties }[] }>();
  const notes: DiscoveryNote[] = [];
  for (const raw of jobs) {
    const ids = canonicalJobId(raw.id);
    if (!ids) {
      notes.push({ jobId: raw.id, reason: 'job id is not a Recovery Services backup job id' });
      continue;
    }
    const p = normaliseJob(raw.properties);
    if (!isVmBackupJob(p)) continue;
    const container = (p.containerName ?? '').toLowerCase();
    if (!vmOfContainerName(container)) {
      notes.push({ jobId: ids.jobId, reason: `job has no Azure VM container name ('${p.containerName ?? ''}')` });
      continue;
    }
    const key = `${ids.vaultId.toLowerCase()}|${container}`;
    let g = groups.get(key);
    if (!g) {
      g = { vaultId: ids.vaultId, subscriptionId: ids.subscriptionId, container: p.containerName!, jobs: [] };
      groups.set(key, g);
    }
    g.jobs.push({ jobId: ids.jobId, p });
  }

  const candidates: Candidate[] = [];
  const skipped: Skipped[] = [];
  for (const g of groups.values()) {
    // Latest first; ties broken by status so an InProgress job wins over a Failed one of the same second.
    g.jobs.sort((a, b) => time(b.p) - time(a.p) || rank(a.p.status) - rank(b.p.status) || a.jobId.localeCompare(b.jobId));
    const latestFailedIdx = g.jobs.findIndex((j) => (j.p.status ?? '').toLowerCase() === 'failed');
    if (latestFailedIdx < 0) continue; // nothing failed for this item in the window
    const latestFailed = g.jobs[latestFailedIdx];
    const vmRef = vmOfContainerName(g.container)!;
    const vmId = buildVmId(g.subscriptionId, vmRef.resourceGroup, vmRef.name);
    const later = g.jobs.slice(0, latestFailedIdx);
    const running = later.find((j) => isRunning(j.p.status));
    const recovered = later.find((j) => isSuccess(j.p.status));
    if (running) {
      skipped.push({ vmId, jobId: latestFailed.jobId, reason: 'backup-in-progress', laterJobId: running.jobId });
      continue;
    }
    if (recovered) {
      skipped.push({ vmId, jobId: latestFailed.jobId, reason: 'already-recovered', laterJobId: recovered.jobId });
      continue;
    }
    const names = vmBackupNames(vmRef.resourceGroup, vmRef.name);
    candidates.push({
      vmId,
      jobId: latestFailed.jobId,
      vaultId: g.vaultId,
      protectedItemId: protectedItemId(g.vaultId, names.containerName, names.itemName),
      job: latestFailed.p,
      inProgress: false,
    });
  }
  candidates.sort((a, b) => a.vmId.localeCompare(b.vmId) || a.jobId.localeCompare(b.jobId));
  skipped.sort((a, b) => a.vmId.localeCompare(b.vmId));
  return { candidates, skipped, notes };
}

function rank(status: string | undefined): number {
  const s = (status ?? '').toLowerCase();
  if (isRunning(s)) return 0;
  if (isSuccess(s)) return 1;
  if (s === 'failed') return 2;
  return 3;
}

/** A backup job that still runs (it holds the snapshot extension and the collection), in the order a job goes through them. */
export const RUNNING_STATUSES = ['InProgress', 'Cancelling'] as const;
/** A backup job that made a restore point. */
export const SUCCESS_STATUSES = ['Completed', 'CompletedWithWarnings'] as const;
const RUNNING = new Set<string>(RUNNING_STATUSES.map((s) => s.toLowerCase()));
const SUCCESS = new Set<string>(SUCCESS_STATUSES.map((s) => s.toLowerCase()));

export function isRunning(status: string | undefined): boolean {
  return RUNNING.has((status ?? '').toLowerCase());
}

export function isSuccess(status: string | undefined): boolean {
  return SUCCESS.has((status ?? '').toLowerCase());
}
