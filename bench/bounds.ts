// The least number of ARM requests a run could make for the work it found, and a digest of what a run
// proposed or wrote, so `npm run bench` can say how far the engine is from the minimum and prove that
// a change made it cheaper without changing what it does. The request model is in bench/README.md.

import { createHash } from 'node:crypto';
import { catalogueEntry } from '../lib/catalogue';
import { diagnoseOptionsFor } from '../lib/engine';
import type { PlanItem, RunReport } from '../lib/types';

const SUBSCRIPTION = /^\/subscriptions\/([^/]+)/i;
/** Rows per Resource Graph page. */
const GRAPH_PAGE = 1000;
/**
 * Requests a write cannot do without, beyond the plan's reads: the write, one fresh read of its target
 * (the precondition), and what tells its outcome: one LRO poll for a delete; for Backup Now, one
 * operation-status poll and one read of the job it started.
 */
const PER_WRITE: Record<string, number> = {
  'remove-snapshot-extension': 3,
  'delete-restore-point-collection': 3,
  'trigger-backup': 4,
};

/**
 * Findings that end an item before its outbound-connectivity check could matter: the planner stops
 * on them (scope, opt-out, a missing or unreadable VM, an unknown failure) or the check itself does
 * not apply (agent not Ready, VM not running, the snapshot extension failed or stuck). A correct
 * diagnosis needs the VM read to know these, but not the NIC's effective configuration.
 */
const NETWORK_MOOT = new Set([
  'out-of-scope', 'opted-out', 'vm-not-found', 'read-failed', 'unclassified-error', 'conflicting-signals',
  'agent-not-ready', 'vm-not-running', 'extension-failed',
]);

/**
 * VMs whose outbound-connectivity cause check needs the NIC's effective security rules and routes:
 * the check runs (and can only name a blocking rule or route, or say the path is open, from those
 * two read-only POSTs, which no list answers for many NICs) when the VM runs with a Ready agent and
 * its snapshot extension has not failed. The report shows that for sure in two cases, which are
 * the ones counted (two requests per VM: its primary NIC):
 * - the item carries the check's `no-outbound-connectivity` finding;
 * - a write was planned for it (so the planner's agent, power and extension findings were made:
 *   none says the check did not apply, and no extension removal was needed): the check's inferred
 *   finding is then dropped from the report, but a confirmed one would have stayed, so it was needed.
 * A report-only item without the finding is not counted: its report does not say whether the agent
 * was Ready, so the bound may miss reads the check needed, never count reads it did not.
 * Their LRO polls are not counted: the API may answer 200 with the result (the swagger documents
 * 200 and 202), so a poll is not something every client must make. (This emulator answers 202, as
 * ARM does; a VM without a NIC resource in the estate answers 404, as in the bench's estate.)
 */
function networkVms(items: PlanItem[], o: { allowedActions: readonly string[] }): Set<string> {
  const out = new Set<string>();
  for (const i of items) {
    if (!diagnoseOptionsFor(catalogueEntry(i.failure.code), o).network) continue;
    const found = i.findings.some((f) => f.kind === 'no-outbound-connectivity');
    const planned = i.actions.length > 0 && !i.findings.some((f) => NETWORK_MOOT.has(f.kind)) && !i.actions.some((a) => a.kind === 'remove-snapshot-extension');
    if (found || planned) out.add(i.vmId.toLowerCase());
  }
  return out;
}

/**
 * Vaults of the items with an applied write. A correct plan must know whether a backup of an item
 * it proposes a write for runs (the planner never proposes one beside it), which one Resource Graph
 * query answers for every vault of the run; a correct apply must read it fresh over ARM before the
 * vault's first write (Resource Graph lags), at least one request per vault (this engine makes two,
 * InProgress then Cancelling: the job filter has no `or`; lib/rules/running-backup.ts).
 */
function appliedWriteVaults(items: PlanItem[]): Set<string> {
  const vaultOf = (i: PlanItem) => (i.vaultId ?? i.jobId.slice(0, Math.max(0, i.jobId.toLowerCase().indexOf('/backupjobs/')))).toLowerCase();
  return new Set(items.filter((i) => i.actions.some((a) => a.status === 'applied')).map(vaultOf).filter(Boolean));
}

export interface LowerBound {
  total: number;
  parts: Record<string, number>;
}

/**
 * Plan: the Resource Graph pages of the failed items, one job read per candidate when discovery's
 * rows lack error details, one VM read per failing VM, one resource-group list and one lock list per
 * subscription with work, one collection query, one restore-point read per VM whose failure is about
 * restore points, the two effective-* reads per VM whose outbound-connectivity check needs them
 * (networkVms), one Resource Graph query for the running backups when a write is proposed. Apply
 * adds PER_WRITE for every write that reached ARM and one fresh running-backup read per vault with
 * one (appliedWriteVaults).
 */
export function requestLowerBound(report: RunReport, o: { rowsLackDetails: boolean; allowedActions: readonly string[] }): LowerBound {
  const items = report.items;
  const vms = new Set(items.map((i) => i.vmId.toLowerCase()));
  const subs = new Set(items.map((i) => SUBSCRIPTION.exec(i.vmId)?.[1]?.toLowerCase() ?? ''));
  const rpVms = new Set(
    items.filter((i) => diagnoseOptionsFor(catalogueEntry(i.failure.code), o).collections).map((i) => i.vmId.toLowerCase()),
  );
  const rows = items.length + (report.notes?.length ?? 0);
  const parts: Record<string, number> = {
    'Resource Graph pages (failed items)': Math.max(1, Math.ceil(rows / GRAPH_PAGE)),
    'job details (rows without errorDetails)': o.rowsLackDetails ? items.length : 0,
    'VM reads': vms.size,
    'resource-group lists + lock lists (per subscription)': 2 * subs.size,
    'collection query': rpVms.size > 0 ? 1 : 0,
    'restore points of VMs at the limit': rpVms.size,
    'effective security rules + routes (VMs whose network check needs them)': 2 * networkVms(items, o).size,
    'running backups (one Resource Graph query, if a write is proposed)': items.some((i) => i.actions.length > 0) ? 1 : 0,
  };
  if (report.mode === 'apply') {
    parts['running backups read fresh at the first write (per vault with one)'] = appliedWriteVaults(items).size;
    for (const i of report.items) {
      for (const a of i.actions) {
        if (a.status !== 'applied') continue;
        const key = `writes + their fresh reads and polls (${a.kind})`;
        parts[key] = (parts[key] ?? 0) + (PER_WRITE[a.kind] ?? 2);
      }
    }
  }
  return { total: Object.values(parts).reduce((s, n) => s + n, 0), parts };
}

/** What a run proposed (plan) or wrote (apply), canonical and sorted: equal digests, equal behaviour. */
export function planFingerprint(report: RunReport): string[] {
  const lines: string[] = [];
  for (const i of report.items) {
    for (const a of i.actions) lines.push(`${i.vmId.toLowerCase()} ${i.failure.code} ${a.kind} ${a.target.toLowerCase()} ${a.status ?? 'proposed'}`);
    for (const f of i.findings) lines.push(`${i.vmId.toLowerCase()} ${i.failure.code} finding ${f.kind}`);
    if (i.actions.length === 0 && i.findings.length === 0) lines.push(`${i.vmId.toLowerCase()} ${i.failure.code} nothing`);
  }
  return lines.sort();
}

export function digest(lines: string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}
