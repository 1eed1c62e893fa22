// A fix that did not hold: the VM failed again with the same cause after an automated attempt on it
// ended (resolved, escalated or expired) inside the attempt window. Trying the same fix again would
// hide a recurring fault, so the item escalates to a human instead.
import type { AttemptRecord } from '../../ledger';
import type { VmGuard } from './types';

const ENDED = new Set(['resolved', 'escalated', 'expired']);

/**
 * The ended attempt on the same failure code, started before this failed job began (so the job is a
 * new failure, not one older than the fix), if any.
 */
export function endedFixOfSameCause(records: AttemptRecord[], code: string, jobId: string, failedAt: Date): AttemptRecord | undefined {
  const started = new Map(records.filter((r) => r.outcome === 'started' && r.code).map((r) => [r.runId, r]));
  const same = (a: string | undefined, b: string) => (a ?? '').toLowerCase() === b.toLowerCase();
  return records.find((r) => {
    const fix = started.get(r.runId);
    return ENDED.has(r.outcome) && fix !== undefined && same(fix.code, code) && fix.at < failedAt && !same(r.failedJobId ?? r.jobId, jobId) && !same(r.jobId, jobId);
  });
}

export const fixHeldGuard: VmGuard = {
  name: 'fix-held',
  check: async (item, ctx) => {
    if (!ctx.failedAt) return undefined;
    const since = new Date(ctx.now().getTime() - ctx.settings.attemptWindowMs);
    const earlier = endedFixOfSameCause(await ctx.ledger.attempts(item.vmId, since), item.failure.code, item.jobId, ctx.failedAt);
    if (!earlier) return undefined;
    return {
      escalate: true,
      finding: {
        kind: 'guardrail',
        message: `The VM failed again with ${item.failure.code} after run ${earlier.runId} fixed it (${earlier.outcome}); the fix did not hold, escalating to a human instead of repeating it.`,
        evidence: { guardrail: 'fix-held', earlierRunId: earlier.runId, earlierOutcome: earlier.outcome, backupJobId: earlier.jobId, failureCode: item.failure.code },
        nextStep: 'Investigate the VM by hand: the documented fix was applied and the same failure came back.',
      },
    };
  },
};
