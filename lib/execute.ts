// Applies one VM's plan under the guardrails. Actions run strictly in order; each is re-checked
// (allowed kind, per-kind cap, preconditions re-read from ARM, kill switch) just before its write,
// and the first step that does not succeed stops the rest of that VM's plan.

import type { Settings } from './config';
import type { Ledger } from './ledger';
import type { Logger } from './log';
import {
  actionAllowedFinding,
  attemptsFinding,
  ATTEMPT_STARTED,
  isThrottled,
  killSwitchFinding,
  leaseTtlMs,
  RunBudget,
  scopeFinding,
} from './guardrails';
import type { Finding, FindingKind, PlanItem, PlannedAction, Verification } from './types';
import { JOB_NOT_FOUND } from './verify';

/** What execute needs from an action implementation (lib/actions); the engine adapts ACTIONS to it. */
export interface ActionRunner {
  /** Re-reads ARM; returns why the write must not happen now (and the finding kind), or undefined when it may. */
  preconditions(action: PlannedAction, item: PlanItem): Promise<{ reason: string; findingKind?: FindingKind } | undefined>;
  /** Performs the write and waits for its long-running operation; returns what the write produced. */
  apply(action: PlannedAction, item: PlanItem): Promise<Record<string, unknown>>;
}

export interface ExecuteContext {
  runId: string;
  settings: Settings;
  ledger: Ledger;
  budget: RunBudget;
  runner: ActionRunner;
  log: Logger;
  now: () => Date;
  /** Called after a Backup Now succeeded, with what its apply returned. */
  verify?: (action: PlannedAction, item: PlanItem) => Promise<Verification>;
  /** Progress hook: one call per write attempted (tests flip the kill switch from here). */
  onWrite?: (action: PlannedAction, item: PlanItem) => void | Promise<void>;
}

function skipRest(actions: PlannedAction[], from: number, detail: string): void {
  for (let i = from; i < actions.length; i++) {
    const a = actions[i];
    if (a.status === undefined || a.status === 'proposed') {
      a.status = 'skipped';
      a.detail = detail;
    }
  }
}

function describeError(err: unknown): { code?: string; message: string; statusCode?: number } {
  const e = err as { code?: unknown; message?: unknown; statusCode?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    statusCode: typeof e?.statusCode === 'number' ? e.statusCode : undefined,
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
}

/** What a write produced, for its outcome log line: operation and job ids, outcome and status. */
export function resultSummary(result: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['outcome', 'status', 'operationId', 'jobId', 'detail']) {
    const v = result?.[k];
    if (v !== undefined && v !== null && v !== '') out[k] = v;
  }
  return out;
}

async function recordActions(ctx: ExecuteContext, item: PlanItem): Promise<void> {
  for (const a of item.actions) {
    try {
      await ctx.ledger.recordWrite(ctx.runId, item.vmId, a);
    } catch (err) {
      ctx.log.error('ledger: could not record write outcome', { action: a.kind, target: a.target, err });
    }
  }
}

/**
 * Runs the item's actions (mutating their status/detail/result and the item's findings and
 * verification). Never throws for an ARM failure: a failed or blocked step is part of the result.
 */
export async function executeItem(item: PlanItem, ctx: ExecuteContext): Promise<PlanItem> {
  const log = ctx.log.child({ vmId: item.vmId, jobId: item.jobId });
  const pending = item.actions.filter((a) => a.status === undefined || a.status === 'proposed');
  if (pending.length === 0) return item;

  const stopAll = async (finding: Finding, detail: string): Promise<PlanItem> => {
    item.findings.push(finding);
    skipRest(item.actions, 0, detail);
    log.warn(`guardrail: ${finding.message}`, { finding: finding.kind });
    await recordActions(ctx, item);
    return item;
  };

  const scope = scopeFinding(item.vmId, ctx.settings);
  if (scope) return stopAll(scope, `not run: ${scope.message}`);

  // Without the ledger the attempt limit, cooldown and lease cannot be honoured: no writes then.
  const ledgerDown = (err: unknown): Promise<PlanItem> =>
    stopAll(
      {
        kind: 'guardrail',
        message: `The ledger could not be read (${describeError(err).message}); without it no write is safe.`,
        evidence: { guardrail: 'ledger-unavailable' },
        nextStep: 'Check the storage account the remediator uses; the next run retries.',
      },
      'not run: the ledger is unavailable',
    );

  let attempts: Awaited<ReturnType<typeof attemptsFinding>>;
  try {
    attempts = await attemptsFinding(ctx.ledger, item.vmId, ctx.now(), ctx.settings);
  } catch (err) {
    return ledgerDown(err);
  }
  if (attempts) {
    if (attempts.escalate) item.verification = { outcome: 'escalated', failureCode: item.failure.code };
    return stopAll(attempts.finding, `not run: ${attempts.finding.message}`);
  }

  // The slot itself is taken only once this VM proceeds (lease held, attempts judged again): a VM
  // another run holds does not use up this run's cap.
  const cap = ctx.budget.vmCapFinding(item.vmId);
  if (cap) return stopAll(cap, `not run: ${cap.message}`);

  let lease: Awaited<ReturnType<Ledger['acquireLease']>>;
  try {
    lease = await ctx.ledger.acquireLease(item.vmId, ctx.runId, leaseTtlMs(ctx.settings));
  } catch (err) {
    return ledgerDown(err);
  }
  if (!lease) {
    return stopAll(
      {
        kind: 'lease-held',
        message: 'Another run holds the lease on this VM; this run leaves it alone.',
        evidence: { vmId: item.vmId, runId: ctx.runId },
        nextStep: 'Nothing to do: the run holding the lease works on this VM.',
      },
      'not run: another run holds the lease on this VM',
    );
  }

  let attemptRecorded = false;
  let attemptOutcome = 'failed';
  try {
    // Judged again under the lease: another run may have made its attempt on this VM between the
    // check above and the lease (it held the lease then), and its cooldown applies to this run.
    const underLease = await attemptsFinding(ctx.ledger, item.vmId, ctx.now(), ctx.settings);
    if (underLease) {
      if (underLease.escalate) item.verification = { outcome: 'escalated', failureCode: item.failure.code };
      item.findings.push(underLease.finding);
      skipRest(item.actions, 0, `not run: ${underLease.finding.message}`);
      log.warn(`guardrail: ${underLease.finding.message}`, { finding: underLease.finding.kind });
      return item;
    }
    // Synchronous after the last await: concurrent VMs cannot both take the last slot.
    const capNow = ctx.budget.claimVm(item.vmId);
    if (capNow) {
      item.findings.push(capNow);
      skipRest(item.actions, 0, `not run: ${capNow.message}`);
      log.warn(`guardrail: ${capNow.message}`, { finding: capNow.kind });
      return item;
    }
    const actions = item.actions;
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i];
      if (action.status !== undefined && action.status !== 'proposed') continue;
      const block = (finding: Finding, status: 'blocked' | 'failed' = 'blocked'): void => {
        action.status = status;
        action.detail = finding.message;
        item.findings.push(finding);
        skipRest(actions, i + 1, `skipped: the earlier step ${action.kind} was ${status}`);
        log.warn(`${action.kind} ${status}: ${finding.message}`, { action: action.kind, target: action.target });
      };

      const notAllowed = actionAllowedFinding(action.kind, ctx.settings);
      if (notAllowed) {
        block(notAllowed);
        attemptOutcome = 'blocked';
        break;
      }
      const refused = await ctx.runner.preconditions(action, item).catch((err: unknown) => {
        if (isThrottled(err)) throw err;
        return { reason: `could not re-read the preconditions: ${describeError(err).message}`, findingKind: 'read-failed' as const };
      });
      if (refused !== undefined) {
        block({
          kind: refused.findingKind ?? 'precondition-changed',
          message: `${action.kind} not run: ${refused.reason}`,
          evidence: { action: action.kind, target: action.target, recheckedBeforeWrite: true },
        });
        attemptOutcome = 'blocked';
        break;
      }
      // Last check before the write: the kill switch may have been flipped while we read ARM.
      const killed = await killSwitchFinding(ctx.settings, ctx.ledger);
      if (killed) {
        block(killed);
        attemptOutcome = 'kill-switch';
        break;
      }
      // The write slot is taken only by a write that proceeds (no await between this and the write's start
      // but the attempt record): a write the kill switch blocked leaves its slot to the next one.
      const overCap = ctx.budget.claimWrite(action.kind);
      if (overCap) {
        block(overCap);
        attemptOutcome = 'blocked';
        break;
      }

      if (!attemptRecorded) {
        await ctx.ledger.recordAttempt(item.vmId, { runId: ctx.runId, jobId: item.jobId, at: ctx.now(), outcome: ATTEMPT_STARTED });
        attemptRecorded = true;
      }
      const operation = { action: action.kind, method: action.method, target: action.target };
      try {
        log.info(`${action.kind}: ${action.method} ${action.target}`, operation);
        action.result = await ctx.runner.apply(action, item);
        action.status = 'applied';
        log.info(`${action.kind} applied: ${action.method} ${action.target}`, { ...operation, status: 'applied', result: resultSummary(action.result) });
      } catch (err) {
        const e = describeError(err);
        log.warn(`${action.kind} failed: ${action.method} ${action.target}`, {
          ...operation,
          status: 'failed',
          error: { code: e.code, statusCode: e.statusCode, message: e.message },
          throttled: isThrottled(err),
        });
        if (e.code === 'ScopeLocked') {
          // A lock appeared after the precondition re-read: ARM refused, nothing changed.
          block(
            {
              kind: 'lock-blocks-cleanup',
              message: `${action.kind} refused by ARM: ${e.message}`,
              evidence: { action: action.kind, target: action.target, code: e.code, statusCode: e.statusCode },
              nextStep: `Ask the lock's owner whether the lock may be lifted, then retry; the remediator never deletes locks.`,
            },
            'failed',
          );
          attemptOutcome = 'failed';
        } else if (isThrottled(err)) {
          block(
            {
              kind: 'action-failed',
              message: `${action.kind} throttled by ARM, retry later (${e.message})`,
              evidence: { action: action.kind, target: action.target, throttled: true },
              nextStep: 'Nothing to do: a later run retries once the ARM budget has refilled.',
            },
            'failed',
          );
          attemptOutcome = 'throttled';
        } else {
          block(
            {
              kind: 'action-failed',
              message: `${action.kind} failed: ${e.code ? `${e.code}: ` : ''}${e.message}`,
              evidence: { action: action.kind, target: action.target, code: e.code, statusCode: e.statusCode },
              nextStep: `Look at ${action.target} in the portal; the remediator stopped this VM's plan here.`,
            },
            'failed',
          );
          attemptOutcome = 'failed';
        }
        break;
      }
      // Outside the write's try: a failing hook must not turn an applied write into a failed one.
      await ctx.onWrite?.(action, item);

      if (action.kind === 'trigger-backup' && ctx.verify) {
        const verification = await ctx.verify(action, item);
        item.verification = verification;
        attemptOutcome = verification.outcome;
        if (verification.outcome === 'escalated') {
          item.findings.push({
            kind: 'verification',
            message: verification.failureCode === JOB_NOT_FOUND
              ? 'The job of the backup triggered after the fix no longer exists (ARM answered 404 for it), so whether the backup ran cannot be verified; a human must look.'
              : `The backup triggered after the fix failed again${verification.failureCode ? ` (${verification.failureCode})` : ''}; a human must look.`,
            evidence: { backupJobId: verification.jobId, status: verification.status, failureCode: verification.failureCode },
            nextStep: 'Follow the documented steps for the new failure code; automation did not clear it.',
          });
        } else if (verification.outcome === 'pending') {
          item.findings.push({
            kind: 'verification',
            message: 'The triggered backup is still running; the next run verifies it instead of triggering again.',
            evidence: { backupJobId: verification.jobId, status: verification.status },
          });
        }
      } else {
        attemptOutcome = 'applied';
      }
    }
  } catch (err) {
    // Throttled precondition reads and ledger failures (kill switch, attempt record) end up here:
    // stop this VM before its next write, not the run.
    const e = describeError(err);
    const why = isThrottled(err) ? `throttled by ARM, retry later (${e.message})` : `stopped before writing: ${e.message}`;
    const current = item.actions.find((a) => a.status === undefined || a.status === 'proposed');
    if (current) {
      current.status = 'failed';
      current.detail = why;
    }
    skipRest(item.actions, 0, `skipped: ${why}`);
    item.findings.push({
      kind: isThrottled(err) ? 'action-failed' : 'read-failed',
      message: isThrottled(err) ? `Throttled by ARM, retry later (${e.message})` : `Reading ARM failed: ${e.message}`,
      evidence: { throttled: isThrottled(err), code: e.code, statusCode: e.statusCode },
    });
    attemptOutcome = isThrottled(err) ? 'throttled' : 'failed';
  } finally {
    if (attemptRecorded) {
      const jobId = item.verification?.jobId ?? item.jobId;
      await ctx.ledger
        .recordAttempt(item.vmId, { runId: ctx.runId, jobId, at: ctx.now(), outcome: attemptOutcome, ...(jobId !== item.jobId ? { failedJobId: item.jobId } : {}) })
        .catch((err: unknown) => log.error('ledger: could not record attempt outcome', { err }));
    }
    await recordActions(ctx, item);
    await ctx.ledger.releaseLease(lease).catch((err: unknown) => log.error('ledger: could not release lease', { err }));
  }
  return item;
}
