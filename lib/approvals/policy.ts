// Which writes wait for a human, what their proposal records, and whether a proposal lets its write
// through now. Pure: the store reads and writes happen in the callers (lib/approvals/engine.ts, the
// guard lib/execute/guards/approval.ts).
import { actionModule } from '../actions';
import type { Settings } from '../config';
import type { ActionKind, Finding, PlanItem, PlannedAction } from '../types';
import { scriptOf } from './ids';
import type { Proposal, ProposalInput } from './types';

/** The module says so (`approval: 'required'`), or REMEDIATION_REQUIRE_APPROVAL names the kind. */
export function requiresApproval(kind: ActionKind, settings: Pick<Settings, 'requireApproval'>): boolean {
  return actionModule(kind).approval === 'required' || settings.requireApproval.includes(kind);
}

/** What a run proposes for one action of an item. */
export function proposalInput(item: PlanItem, action: PlannedAction, runId: string, ttlMs: number): ProposalInput {
  const uid = action.evidence.vmUniqueId;
  return {
    runId,
    vmId: item.vmId,
    ...(item.protectedItemId ? { protectedItemId: item.protectedItemId } : {}),
    jobId: item.jobId,
    failureCode: item.failure.code,
    kind: action.kind,
    target: action.target,
    script: scriptOf(action.evidence),
    reason: action.reason,
    evidence: action.evidence,
    ...(typeof uid === 'string' && uid ? { vmUniqueId: uid } : {}),
    ttlMs,
  };
}

/** Whether the write may go: yes, wait (pending), or never for this proposal (close it with why). */
export type Verdict =
  | { go: true }
  | { go: false; finding: Finding; close?: { status: 'refused' | 'expired'; reason: string } };

const NEXT_STEP = (p: Proposal) =>
  `Approve or reject proposal ${p.id}: \`backup-remediator approvals approve ${p.id} --by <name>\` (or reject), or POST /api/approvals/${p.id}; the next run acts on the decision.`;

function refused(p: Proposal, reason: string, close?: 'refused' | 'expired'): Verdict {
  const finding: Finding = {
    kind: 'approval-refused',
    message: `${p.kind} on ${p.target} is not run: proposal ${p.id} ${reason}.`,
    evidence: { proposalId: p.id, status: close ?? p.status, ...(p.decidedBy ? { decidedBy: p.decidedBy } : {}), ...(p.note ? { note: p.note } : {}) },
    nextStep: 'Nothing runs for this proposal; if the failure persists after it expires, a later run proposes the fix again.',
  };
  return close ? { go: false, finding, close: { status: close, reason } } : { go: false, finding };
}

/** The VM the proposal saw must be the one planned now (a VM recreated under the same name is another VM). */
function vmChanged(p: Proposal, action: PlannedAction): string | undefined {
  const now = typeof action.evidence.vmUniqueId === 'string' ? action.evidence.vmUniqueId : undefined;
  if (!p.vmUniqueId) return undefined;
  if (!now) return `recorded VM ${p.vmUniqueId}, and this run could not confirm the VM is the same`;
  return now.toLowerCase() === p.vmUniqueId.toLowerCase() ? undefined : `recorded VM ${p.vmUniqueId}, but the VM is now ${now} (recreated)`;
}

/** The verdict on a proposal matching the planned action, at `now`. */
export function judge(p: Proposal, action: PlannedAction, now: Date): Verdict {
  if (p.status === 'rejected') return refused(p, `was rejected by ${p.decidedBy ?? 'a human'}${p.note ? ` (${p.note})` : ''}`);
  if (now.getTime() >= p.expiresAt.getTime()) return refused(p, `expired at ${p.expiresAt.toISOString()} before it was executed`, 'expired');
  const changed = vmChanged(p, action);
  if (changed) return refused(p, `is stale: it ${changed}`, 'refused');
  if (p.status === 'approved') return { go: true };
  if (p.status === 'pending') {
    return { go: false, finding: {
      kind: 'awaiting-approval',
      message: `${p.kind} on ${p.target} waits for a human's approval (proposal ${p.id}, expires ${p.expiresAt.toISOString()}); nothing of this VM's plan runs until then.`,
      evidence: { proposalId: p.id, status: p.status, expiresAt: p.expiresAt.toISOString(), ...(p.script ? { script: p.script } : {}) },
      nextStep: NEXT_STEP(p),
    } };
  }
  return refused(p, `is ${p.status}`);
}
