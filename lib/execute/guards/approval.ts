// Human approval (lib/approvals). An approval-required write goes only when its proposal is approved,
// unexpired and not stale. Judged for the whole plan before the lease, so a VM waiting for a human
// gets no write at all (an earlier step of its plan would otherwise run on every run and count as an
// attempt towards REMEDIATION_MAX_ATTEMPTS while nobody has decided); judged again before the write
// itself; and claimed (approved → executed, ETag-conditional) as the last step before it is sent, so
// one approval sends one write even if two runs race. Waiting records no attempt: nothing was sent.
import { approvalOf } from '../../approvals/run';
import { judge, proposalInput, requiresApproval, type Verdict } from '../../approvals/policy';
import { isOpenStatus, type Finding, type PlanItem, type PlannedAction } from '../../types';
import type { ExecuteContext } from '../context';
import type { StepOutcome } from '../outcome';
import type { VmGuard, WriteGuard } from './types';


function noStore(action: PlannedAction): Finding {
  return {
    kind: 'approval-refused',
    message: `${action.kind} requires a human's approval, and this ledger keeps no proposals; it is not run.`,
    evidence: { action: action.kind, target: action.target },
  };
}

/** The proposal matching the action (proposed now when there is none), judged; a stale one is closed with why. */
async function verdictFor(action: PlannedAction, item: PlanItem, ctx: ExecuteContext): Promise<Verdict | undefined> {
  if (!requiresApproval(action.kind, ctx.settings)) return undefined;
  const store = ctx.ledger.approvals;
  if (!store) return { go: false, finding: noStore(action) };
  const { proposal } = await store.propose(proposalInput(item, action, ctx.runId, ctx.settings.approvalTtlMs));
  action.approval = approvalOf(proposal);
  const verdict = judge(proposal, action, ctx.now());
  if (!verdict.go && verdict.close) {
    const closed = await store.close(proposal.id, verdict.close.status, verdict.close.reason, ctx.runId);
    if (closed) action.approval = approvalOf(closed);
  }
  return verdict;
}

/** Before the lease: any open approval-required action not approved stops the VM's whole plan. */
export const approvalVmGuard: VmGuard = {
  name: 'approval',
  check: async (item, ctx) => {
    for (const action of item.actions.filter((a) => isOpenStatus(a.status))) {
      const verdict = await verdictFor(action, item, ctx);
      if (verdict && !verdict.go) return { finding: verdict.finding };
    }
    return undefined;
  },
};

/** Before the write (and its precondition re-read): judged again, the decision may have expired meanwhile. */
export const approvalWriteGuard: WriteGuard = {
  name: 'approval',
  check: async (action, item, ctx) => {
    const verdict = await verdictFor(action, item, ctx);
    return verdict && !verdict.go ? { finding: verdict.finding, attempt: 'blocked' } : undefined;
  },
};

/** Last before the send: approved → executed by this run, conditional; a lost claim sends nothing. */
export const approvalClaimGuard: WriteGuard = {
  name: 'approval (claim)',
  check: async (action, _item, ctx) => {
    if (!requiresApproval(action.kind, ctx.settings)) return undefined;
    const id = action.approval?.id;
    const claimed = id ? await ctx.ledger.approvals?.claim(id, ctx.runId) : undefined;
    if (claimed) {
      action.approval = approvalOf(claimed);
      return undefined;
    }
    return { attempt: 'blocked', finding: {
      kind: 'approval-refused',
      message: `${action.kind} on ${action.target} is not run: proposal ${id ?? '(none)'} was no longer approved when the write was about to be sent.`,
      evidence: { proposalId: id, action: action.kind, target: action.target },
    } };
  },
};

/** The write's answer on the proposal it executed (best effort: the write rows hold it too). */
export async function recordApprovalOutcome(action: PlannedAction, step: StepOutcome, ctx: ExecuteContext): Promise<void> {
  if (action.approval?.status !== 'executed' || !ctx.ledger.approvals) return;
  const outcome = step.kind === 'applied' ? `applied${typeof step.result.outcome === 'string' ? `: ${step.result.outcome}` : ''}` : `${step.kind}: ${step.finding.message}`;
  await ctx.ledger.approvals.recordOutcome(action.approval.id, outcome).catch((err: unknown) => ctx.log.error('ledger: could not record the outcome of an approved write', { proposalId: action.approval?.id, err }));
}
