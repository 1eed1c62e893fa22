// One word per failed job for what became of it, shared by the HTML report's chart and the
// telemetry metric (one home for the rule, so the dashboard and the report count alike).

import type { PlanItem, RunMode } from '../types';

/**
 * - `fixed`: the verifying backup completed, or every write applied (nothing to verify).
 * - `escalated`: a write failed or the verifying backup failed again: a human must look.
 * - `approval-pending`: writes are proposed and wait for `apply` (a plan, or apply not yet run), or
 *   for a human's approval of a proposal (lib/approvals: finding `awaiting-approval`).
 * - `verifying`: the verifying backup is still running; a later run verifies it.
 * - `reported`: nothing the engine may write: findings for a human (or writes blocked/skipped).
 */
export type ItemOutcome = 'fixed' | 'escalated' | 'approval-pending' | 'verifying' | 'reported';
export const ITEM_OUTCOMES: readonly ItemOutcome[] = ['fixed', 'escalated', 'approval-pending', 'verifying', 'reported'];

export function itemOutcome(item: PlanItem, mode: RunMode): ItemOutcome {
  const statuses = item.actions.map((a) => a.status ?? 'proposed');
  if (item.verification?.outcome === 'escalated' || statuses.includes('failed')) return 'escalated';
  if (item.verification?.outcome === 'resolved') return 'fixed';
  if (item.verification?.outcome === 'pending') return 'verifying';
  if (item.findings.some((f) => f.kind === 'awaiting-approval')) return 'approval-pending';
  if (statuses.length > 0 && statuses.includes('proposed') && (mode === 'plan' || statuses.every((s) => s === 'proposed'))) return 'approval-pending';
  if (statuses.length > 0 && statuses.every((s) => s === 'applied')) return 'fixed';
  return 'reported';
}
