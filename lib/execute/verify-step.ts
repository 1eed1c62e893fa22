// After a Backup Now: its job is recorded as `pending` at once (so a run killed while waiting leaves
// it to the next run to verify), then followed within the run's verification wait.
import type { PlanItem, PlannedAction, Verification } from '../types';
import type { ExecuteContext, VmState } from './context';

function jobOf(action: PlannedAction): string | undefined {
  const r = (action.result ?? {}) as Record<string, unknown>;
  const j = r.jobId ?? r.backupJobId;
  return typeof j === 'string' && j.length > 0 ? j : undefined;
}

export async function recordPending(action: PlannedAction, item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<void> {
  const jobId = jobOf(action);
  if (!jobId) return;
  await ctx.ledger
    .recordAttempt(item.vmId, { runId: ctx.runId, jobId, at: ctx.now(), outcome: 'pending', failedJobId: item.jobId })
    .then(() => (state.pendingRecorded = true))
    .catch((err: unknown) => ctx.log.error('ledger: could not record the pending verification', { vmId: item.vmId, err }));
}

/** Records the Backup Now as pending, then verifies it (undefined without a verifier). */
export async function verifyTriggered(action: PlannedAction, item: PlanItem, ctx: ExecuteContext, state: VmState): Promise<Verification | undefined> {
  if (action.kind !== 'trigger-backup' || !ctx.verify) return undefined;
  await recordPending(action, item, ctx, state);
  await ctx.onChange?.(item);
  return ctx.verify(action, item);
}
