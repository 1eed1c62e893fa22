// Applies one VM's plan through the guard chain (lib/execute/guards): VM guards before and under the
// lease, write guards before each write, then the write itself recorded ahead (lib/execute/write).
// Actions run strictly in order and the first step that does not succeed stops the rest of the VM's
// plan. Executing a VM yields a VmOutcome value; applying it to the item happens in lib/execute/outcome.
import { isOpenStatus, type PlanItem } from './types';
import { newVmState, type ExecuteContext, type VmState } from './execute/context';
import { BEFORE_LEASE, BEFORE_WRITE, firstVmStop, firstWriteStop, UNDER_LEASE, type VmStop } from './execute/guards';
import { applyStep, applyVerification, applyVmStop, stoppedBeforeWrite, type VmOutcome } from './execute/outcome';
import { recordNotSent, sendWrite } from './execute/write';
import { verifyTriggered } from './execute/verify-step';
import { describeError } from './execute/context';
import { recordApprovalOutcome } from './execute/guards/approval';

export type { ActionRunner, ExecuteContext } from './execute/context';
export { resultSummary } from './execute/write';


/** Without the ledger the attempt limit, cooldown and lease cannot be honoured: no writes then. */
function ledgerDown(err: unknown): VmStop {
  return {
    finding: {
      kind: 'guardrail',
      message: `The ledger could not be read (${describeError(err).message}); without it no write is safe.`,
      evidence: { guardrail: 'ledger-unavailable' },
      nextStep: 'Check the storage account the remediator uses; the next run retries.',
    },
  };
}

function stopDetail(stop: VmStop): string {
  if (stop.finding.evidence.guardrail === 'ledger-unavailable') return 'not run: the ledger is unavailable';
  if (stop.finding.kind === 'lease-held') return 'not run: another run holds the lease on this VM';
  return `not run: ${stop.finding.message}`;
}

/** The VM's writes, in order, under its lease. */
async function runActions(item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<VmOutcome> {
  let attempt = 'failed';
  for (const [i, action] of item.actions.entries()) {
    if (!isOpenStatus(action.status)) continue;
    const stop = await firstWriteStop(BEFORE_WRITE, action, item, ctx);
    const step = stop ? { kind: 'blocked' as const, finding: stop.finding, attempt: stop.attempt } : await sendWrite(action, item, ctx, state);
    applyStep(item, i, step);
    if (!stop) await recordApprovalOutcome(action, step, ctx);
    if (step.kind !== 'applied') {
      ctx.log.warn(`${action.kind} ${step.kind}: ${step.finding.message}`, { action: action.kind, target: action.target });
      return { attempt: step.attempt };
    }
    // Outside the write's try: a failing hook must not turn an applied write into a failed one.
    await ctx.onWrite?.(action, item);
    await ctx.onChange?.(item);
    const verification = await verifyTriggered(action, item, ctx, state);
    if (verification) applyVerification(item, verification);
    attempt = verification?.outcome ?? 'applied';
  }
  return { attempt };
}

/** Under the lease: the guards judged again, then the writes; errors stop the VM, not the run. */
async function underLease(item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<VmOutcome> {
  try {
    const stop = await firstVmStop(UNDER_LEASE, item, ctx, state);
    if (stop) return { attempt: 'blocked', stop: { ...stop, detail: stopDetail(stop) } };
    return await runActions(item, ctx, state);
  } catch (err) {
    return stoppedBeforeWrite(err);
  }
}

/** Records how the attempt ended, the writes never sent, and gives the lease back. */
async function finish(item: PlanItem, outcome: VmOutcome, ctx: ExecuteContext, state: VmState): Promise<void> {
  const log = ctx.log.child({ vmId: item.vmId, jobId: item.jobId });
  if (state.attemptStarted && !(outcome.attempt === 'pending' && state.pendingRecorded)) {
    const jobId = item.verification?.jobId ?? item.jobId;
    await ctx.ledger
      .recordAttempt(item.vmId, { runId: ctx.runId, jobId, at: ctx.now(), outcome: outcome.attempt, ...(jobId !== item.jobId ? { failedJobId: item.jobId } : {}) })
      .catch((err: unknown) => log.error('ledger: could not record attempt outcome', { err }));
  }
  await recordNotSent(item, ctx, state);
  if (state.lease) await ctx.ledger.releaseLease(state.lease).catch((err: unknown) => log.error('ledger: could not release lease', { err }));
}

/**
 * Runs the item's actions (mutating their status/detail/result and the item's findings and
 * verification). Never throws for an ARM failure: a failed or blocked step is part of the result.
 */
export async function executeItem(item: PlanItem, ctx: ExecuteContext): Promise<PlanItem> {
  if (!item.actions.some((a) => isOpenStatus(a.status))) return item;
  const state = newVmState();
  const stop = await firstVmStop(BEFORE_LEASE, item, ctx, state).catch(ledgerDown);
  const outcome: VmOutcome = stop ? { attempt: 'blocked', stop: { ...stop, detail: stopDetail(stop) } } : await underLease(item, ctx, state);
  if (outcome.stop) {
    applyVmStop(item, outcome.stop);
    if (!outcome.stop.failCurrent) ctx.log.child({ vmId: item.vmId, jobId: item.jobId }).warn(`guardrail: ${outcome.stop.finding.message}`, { finding: outcome.stop.finding.kind });
  }
  await finish(item, outcome, ctx, state);
  return item;
}
