// The outcome of executing one VM's plan, as a value, and the one place it is written into the plan
// item (action statuses, findings, verification).
import { isThrottled } from '../guardrails';
import { isOpenStatus, type Finding, type PlanItem, type Verification } from '../types';
import { JOB_NOT_FOUND } from '../verify';
import { describeError } from './context';

/** What one action's turn produced. */
export type StepOutcome =
  | { kind: 'applied'; result: Record<string, unknown>; verification?: Verification }
  | { kind: 'blocked' | 'failed'; finding: Finding; attempt: string };

/** What executing the VM produced: the attempt outcome the ledger records, and why it stopped. */
export interface VmOutcome {
  /** `applied`, `blocked`, `kill-switch`, `failed`, `throttled` or a verification outcome. */
  attempt: string;
  stop?: { finding: Finding; escalate?: boolean; detail: string; failCurrent?: boolean };
  verification?: Verification;
}


export function skipRest(item: PlanItem, from: number, detail: string): void {
  for (const a of item.actions.slice(from)) {
    if (isOpenStatus(a.status)) {
      a.status = 'skipped';
      a.detail = detail;
    }
  }
}

/** A whole-VM stop (a guard, or an error before a write): nothing of the plan runs. */
export function applyVmStop(item: PlanItem, stop: NonNullable<VmOutcome['stop']>): void {
  const failCurrent = stop.failCurrent === true;
  const current = item.actions.find((a) => isOpenStatus(a.status));
  if (failCurrent && current) {
    current.status = 'failed';
    current.detail = stop.detail;
  }
  item.findings.push(stop.finding);
  skipRest(item, 0, failCurrent ? `skipped: ${stop.detail}` : stop.detail);
  if (stop.escalate) item.verification = { outcome: 'escalated', failureCode: item.failure.code };
}

/** One action's outcome into the item; a step that did not apply skips the rest of the plan. */
export function applyStep(item: PlanItem, index: number, step: StepOutcome): void {
  const action = item.actions[index];
  if (step.kind === 'applied') {
    action.status = 'applied';
    action.result = step.result;
    return;
  }
  action.status = step.kind;
  action.detail = step.finding.message;
  item.findings.push(step.finding);
  skipRest(item, index + 1, `skipped: the earlier step ${action.kind} was ${step.kind}`);
}

/** The verification of a Backup Now into the item, with the finding a human reads. */
export function applyVerification(item: PlanItem, v: Verification): void {
  item.verification = v;
  if (v.outcome === 'escalated') {
    item.findings.push({
      kind: 'verification',
      message: v.failureCode === JOB_NOT_FOUND
        ? 'The job of the backup triggered after the fix no longer exists (ARM answered 404 for it), so whether the backup ran cannot be verified; a human must look.'
        : `The backup triggered after the fix failed again${v.failureCode ? ` (${v.failureCode})` : ''}; a human must look.`,
      evidence: { backupJobId: v.jobId, status: v.status, failureCode: v.failureCode },
      nextStep: 'Follow the documented steps for the new failure code; automation did not clear it.',
    });
  } else if (v.outcome === 'pending') {
    item.findings.push({
      kind: 'verification',
      message: 'The triggered backup is still running; the next run verifies it instead of triggering again.',
      evidence: { backupJobId: v.jobId, status: v.status },
    });
  }
}

/** A write ARM refused or that failed on the way: the finding and attempt outcome it records. */
export function failedWrite(action: { kind: string; target: string }, err: unknown): StepOutcome {
  const e = describeError(err);
  const where = { action: action.kind, target: action.target };
  if (e.code === 'ScopeLocked') {
    // A lock appeared after the precondition re-read: ARM refused, nothing changed.
    return { kind: 'failed', attempt: 'failed', finding: {
      kind: 'lock-blocks-cleanup',
      message: `${action.kind} refused by ARM: ${e.message}`,
      evidence: { ...where, code: e.code, statusCode: e.statusCode },
      nextStep: `Ask the lock's owner whether the lock may be lifted, then retry; the remediator never deletes locks.`,
    } };
  }
  if (isThrottled(err)) {
    return { kind: 'failed', attempt: 'throttled', finding: {
      kind: 'action-failed',
      message: `${action.kind} throttled by ARM, retry later (${e.message})`,
      evidence: { ...where, throttled: true },
      nextStep: 'Nothing to do: a later run retries once the ARM budget has refilled.',
    } };
  }
  return { kind: 'failed', attempt: 'failed', finding: {
    kind: 'action-failed',
    message: `${action.kind} failed: ${e.code ? `${e.code}: ` : ''}${e.message}`,
    evidence: { ...where, code: e.code, statusCode: e.statusCode },
    nextStep: `Look at ${action.target} in the portal; the remediator stopped this VM's plan here.`,
  } };
}

/** An error that stopped the VM before a write (throttled read, ledger failure). */
export function stoppedBeforeWrite(err: unknown): VmOutcome {
  const e = describeError(err);
  const throttled = isThrottled(err);
  const detail = throttled ? `throttled by ARM, retry later (${e.message})` : `stopped before writing: ${e.message}`;
  const finding: Finding = {
    kind: throttled ? 'action-failed' : 'read-failed',
    message: throttled ? `Throttled by ARM, retry later (${e.message})` : `Reading ARM failed: ${e.message}`,
    evidence: { throttled, code: e.code, statusCode: e.statusCode },
  };
  return { attempt: throttled ? 'throttled' : 'failed', stop: { finding, detail, failCurrent: true } };
}
