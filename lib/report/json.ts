// `--output json`: the RunReport exactly (schema/run-report.schema.json), keys in a stable order so
// diffs between two runs show what changed rather than what moved.

import type { PlanItem, RunReport } from '../types';

function orderedItem(item: PlanItem): PlanItem {
  return {
    vmId: item.vmId,
    jobId: item.jobId,
    vaultId: item.vaultId,
    protectedItemId: item.protectedItemId,
    failure: item.failure,
    actions: item.actions,
    findings: item.findings,
    verification: item.verification,
  };
}

export function toJsonReport(report: RunReport): RunReport {
  return {
    schemaVersion: report.schemaVersion,
    mode: report.mode,
    runId: report.runId,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    items: report.items.map(orderedItem),
    summary: report.summary,
    ...(report.notes && report.notes.length > 0 ? { notes: report.notes } : {}),
    ...(report.pendingApprovals && report.pendingApprovals.length > 0 ? { pendingApprovals: report.pendingApprovals } : {}),
  };
}

export function renderJson(report: RunReport): string {
  return JSON.stringify(toJsonReport(report), null, 2) + '\n';
}
