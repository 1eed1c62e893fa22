// The least number of ARM requests a run could make for the work it found, and a digest of what a run
// proposed or wrote, so `npm run bench` can say how far the engine is from the minimum and prove that
// a change made it cheaper without changing what it does. The request model is in bench/README.md.

import { createHash } from 'node:crypto';
import { catalogueEntry } from '../lib/catalogue';
import { diagnoseOptionsFor } from '../lib/engine';
import type { RunReport } from '../lib/types';

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

export interface LowerBound {
  total: number;
  parts: Record<string, number>;
}

/**
 * Plan: the Resource Graph pages of the failed items, one job read per candidate when discovery's
 * rows lack error details, one VM read per failing VM, one resource-group list and one lock list per
 * subscription with work, one collection query, one restore-point read per VM whose failure is about
 * restore points. Apply adds PER_WRITE for every write that reached ARM.
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
  };
  if (report.mode === 'apply') {
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
