// What a run does with proposals, in both modes (a dry run lists what would wait for a human too):
// propose every approval-required action it planned, close the proposals of failures that resolved
// themselves, and list the proposals still waiting for the report. Ledger writes only, never ARM.
import type { Settings } from '../config';
import { isOpenStatus, type ActionApproval, type PendingApproval, type PlanItem } from '../types';
import { proposalInput, requiresApproval } from './policy';
import { isLive } from './store';
import type { Proposal, ProposalStore } from './types';

export function approvalOf(p: Proposal): ActionApproval {
  return { id: p.id, status: p.status, expiresAt: p.expiresAt.toISOString() };
}


/**
 * Stores a proposal for each open approval-required action of the item (idempotent: the live one of
 * the same key is reused) and marks the action with it. A proposal of the same key that expired
 * unexecuted is closed now and said so in a finding.
 */
export async function proposeItem(item: PlanItem, store: ProposalStore, runId: string, settings: Pick<Settings, 'requireApproval' | 'approvalTtlMs'>): Promise<void> {
  for (const action of item.actions) {
    if (!isOpenStatus(action.status) || !requiresApproval(action.kind, settings)) continue;
    const { proposal, expired } = await store.propose(proposalInput(item, action, runId, settings.approvalTtlMs));
    action.approval = approvalOf(proposal);
    if (!expired) continue;
    item.findings.push({
      kind: 'approval-refused',
      message: `Proposal ${expired.id} for ${expired.kind} on ${expired.target} expired at ${expired.expiresAt.toISOString()} without being executed; it is proposed again as ${proposal.id}.`,
      evidence: { proposalId: expired.id, status: 'expired', newProposalId: proposal.id },
    });
  }
}

/**
 * The failure behind a proposal resolved itself (a later backup of the VM succeeded and the VM has
 * no failed job in this run): its live proposals are refused, so an approval given later never runs
 * a fix nobody needs. Returns the proposals closed.
 */
export async function closeResolved(store: ProposalStore, resolved: { vmId: string; laterJobId?: string }[], runId: string): Promise<Proposal[]> {
  if (resolved.length === 0) return [];
  // Two queries whatever the number of recovered VMs (a scan may skip thousands).
  const byVm = new Map(resolved.map((r) => [r.vmId.toLowerCase(), r]));
  const live = [...(await store.list({ status: 'pending' })), ...(await store.list({ status: 'approved' }))];
  const closed: Proposal[] = [];
  for (const p of live) {
    const r = byVm.get(p.vmId.toLowerCase());
    if (!r) continue;
    const later = r.laterJobId ? ` (job ${r.laterJobId.split('/').pop()})` : '';
    const done = await store.close(p.id, 'refused', `failure resolved: a later backup of the VM${later} succeeded`, runId);
    if (done) closed.push(done);
  }
  return closed;
}

/** Proposals waiting for a decision (not expired) that `inScope` accepts, oldest first. */
export async function pendingApprovals(store: ProposalStore, now: Date, inScope: (p: Proposal) => boolean): Promise<PendingApproval[]> {
  const waiting = (await store.list({ status: 'pending' })).filter((p) => isLive(p, now) && inScope(p));
  return waiting.reverse().map((p) => ({
    id: p.id,
    vmId: p.vmId,
    action: p.kind,
    target: p.target,
    ...(p.script ? { script: p.script } : {}),
    failureCode: p.failureCode,
    proposedAt: p.proposedAt.toISOString(),
    expiresAt: p.expiresAt.toISOString(),
    runId: p.runId,
  }));
}
