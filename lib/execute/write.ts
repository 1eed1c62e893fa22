// One write, recorded ahead: the attempt row before the VM's first write, the intent row before the
// request, its outcome row as soon as it answers. A run killed at any point leaves every write it
// sent in the ledger (at worst as an unanswered intent).
import { ATTEMPT_STARTED, isThrottled } from '../guardrails';
import type { PlanItem, PlannedAction } from '../types';
import { describeError, type ExecuteContext, type VmState } from './context';
import { failedWrite, type StepOutcome } from './outcome';

/** What a write produced, for its outcome log line: operation and job ids, outcome and status. */
export function resultSummary(result: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['outcome', 'status', 'operationId', 'jobId', 'detail']) {
    const v = result?.[k];
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  return out;
}

async function recordStarted(item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<void> {
  if (state.attemptStarted) return;
  await ctx.ledger.recordAttempt(item.vmId, { runId: ctx.runId, jobId: item.jobId, at: ctx.now(), outcome: ATTEMPT_STARTED, code: item.failure.code });
  state.attemptStarted = true;
}

/** Sends one write. Ledger failures before the request throw (nothing is sent without its row). */
export async function sendWrite(action: PlannedAction, item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<StepOutcome> {
  const log = ctx.log.child({ vmId: item.vmId, jobId: item.jobId });
  await recordStarted(item, ctx, state);
  const key = await ctx.ledger.recordIntent(ctx.runId, item.vmId, action, ctx.now());
  state.recorded.add(action);
  const operation = { action: action.kind, method: action.method, target: action.target };
  let step: StepOutcome;
  try {
    log.info(`${action.kind}: ${action.method} ${action.target}`, operation);
    step = { kind: 'applied', result: await ctx.runner.apply(action, item) };
    log.info(`${action.kind} applied: ${action.method} ${action.target}`, { ...operation, status: 'applied', result: resultSummary(step.result) });
  } catch (err) {
    const e = describeError(err);
    log.warn(`${action.kind} failed: ${action.method} ${action.target}`, { ...operation, status: 'failed', error: { code: e.code, statusCode: e.statusCode, message: e.message }, throttled: isThrottled(err) });
    step = failedWrite(action, err);
  }
  const answered = step.kind === 'applied' ? { ...action, status: 'applied' as const, result: step.result } : { ...action, status: step.kind, detail: step.finding.message };
  await ctx.ledger.recordOutcome(ctx.runId, key, item.vmId, answered).catch((err: unknown) => log.error('ledger: could not record write outcome', { action: action.kind, target: action.target, err }));
  return step;
}

/** The planned writes that were never sent (skipped, blocked), recorded once the VM is done. */
export async function recordNotSent(item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<void> {
  for (const a of item.actions) {
    if (state.recorded.has(a)) continue;
    state.recorded.add(a);
    await ctx.ledger.recordWrite(ctx.runId, item.vmId, a).catch((err: unknown) => ctx.log.error('ledger: could not record write outcome', { action: a.kind, target: a.target, err }));
  }
}
