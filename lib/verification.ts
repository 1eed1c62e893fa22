// The verification lifecycle of a Backup Now the engine triggered. It is recorded `pending` (attempt
// row + index) as soon as the trigger names its job; whichever run comes next follows it, before
// planning anything, whether or not the VM has a new failed job: it ends `resolved` (the backup
// completed), `escalated` (it failed, or its job vanished) or `expired` (still not ended once the
// attempt window has passed since the trigger, or unreadable that long), each with why. Backups sent
// by a run that died before the answer came back are looked for and adopted as pending.
import type { ArmContext } from './arm/clients';
import { parseProtectedItemId, parseVaultId } from './arm/ids';
import { findTriggeredJob } from './actions/trigger-backup';
import type { Settings } from './config';
import type { Ledger, PendingVerification } from './ledger';
import type { ClosedRun } from './ledger/liveness';
import type { Logger } from './log';
import type { Finding, PlanItem, Verification } from './types';
import { JOB_NOT_FOUND, verifyBackup } from './verify';

export interface VerificationContext {
  runId: string;
  ledger: Ledger;
  arm: ArmContext;
  log: Logger;
  now: () => Date;
  settings: Pick<Settings, 'attemptWindowMs'>;
  pollIntervalMs?: number;
  wait?: (ms: number) => Promise<void>;
}

/** A pending verification ends `expired` once the attempt window has passed since its trigger. */
function expiry(p: PendingVerification, ctx: VerificationContext, why: string): Verification | undefined {
  const age = ctx.now().getTime() - p.at.getTime();
  if (age < ctx.settings.attemptWindowMs) return undefined;
  return { outcome: 'expired', jobId: p.jobId, status: why };
}

const UNANSWERED = 'unanswered:';
/** How long a Backup Now whose answer was lost may take to show its job before it counts as never started. */
const UNANSWERED_SETTLE_MS = 15 * 60_000;

/** The pending key of a Backup Now sent by a dead run whose job was not listed yet: item and request time. */
function unansweredKey(protectedItemId: string, requestedAt: Date): string {
  return `${UNANSWERED}${requestedAt.toISOString()}@${protectedItemId}`;
}

/** A Backup Now whose job was not found yet: looked for again; found → followed, else pending until it settles. */
async function lookAgain(p: PendingVerification, ctx: VerificationContext, log: Logger): Promise<Verification> {
  const [at, item] = [p.jobId.slice(UNANSWERED.length, p.jobId.indexOf('@')), p.jobId.slice(p.jobId.indexOf('@') + 1)];
  const requestedAt = new Date(at);
  const jobId = await findTriggeredJob(ctx.arm, parseProtectedItemId(item), requestedAt).catch(() => undefined);
  if (jobId) {
    await ctx.ledger.recordAttempt(p.vmId, { runId: p.runId, jobId, at: ctx.now(), outcome: 'pending', ...(p.failedJobId ? { failedJobId: p.failedJobId } : {}) });
    return followOnce({ ...p, jobId }, ctx, log);
  }
  if (ctx.now().getTime() - requestedAt.getTime() < UNANSWERED_SETTLE_MS) return { outcome: 'pending', status: 'Unanswered' };
  return { outcome: 'expired', status: `its answer was lost and no backup job of the item appeared within ${UNANSWERED_SETTLE_MS / 60_000} minutes: it did not start` };
}

/** Follows one pending backup once (no waiting) and tells how it stands now. */
async function followOnce(p: PendingVerification, ctx: VerificationContext, log: Logger): Promise<Verification> {
  if (p.jobId.startsWith(UNANSWERED)) return lookAgain(p, ctx, log);
  try {
    const v = await verifyBackup({ jobId: p.jobId }, { arm: ctx.arm, timeoutMs: 0, pollIntervalMs: ctx.pollIntervalMs, wait: ctx.wait, log });
    return v.outcome === 'pending' ? (expiry(p, ctx, `still ${v.status ?? 'running'} after the verification window`) ?? v) : v;
  } catch (err) {
    log.warn('could not verify a pending backup', { err });
    const why = `its job could not be read for the whole verification window (${(err as Error).message})`;
    return expiry(p, ctx, why) ?? { outcome: 'pending', jobId: p.jobId, status: 'Unreadable' };
  }
}

function findingFor(p: PendingVerification, v: Verification): Finding {
  const by = `run ${p.runId}`;
  const message =
    v.outcome === 'resolved' ? `The backup triggered by ${by} completed: the failure is resolved.`
    : v.outcome === 'expired' ? `The backup triggered by ${by} did not end within the verification window (${v.status}); later runs stop following it and a human must look.`
    : v.outcome === 'escalated' && v.failureCode === JOB_NOT_FOUND ? `The backup job triggered by ${by} no longer exists (ARM answered 404 for it), so whether the backup ran cannot be verified; later runs stop following it and a human must look.`
    : v.outcome === 'escalated' ? `The backup triggered by ${by} failed again (${v.failureCode}); a human must look.`
    : v.status === 'Unanswered' ? `The Backup Now sent by ${by} lost its answer and no job of it is listed yet; nothing new is sent for this VM, and a later run looks for the job again.`
    : `The backup triggered by ${by} is still running; a later run verifies it.`;
  return { kind: 'verification', message, evidence: { backupJobId: p.jobId, status: v.status, earlierRunId: p.runId } };
}

function vaultOfJob(jobId: string): string | undefined {
  try {
    return parseVaultId(jobId.split(/\/backupJobs\//i)[0]).id;
  } catch {
    return undefined;
  }
}

/** Follows a Backup Now left pending by an earlier run, records how it ended, and reports it as an item. */
export async function verifyPending(p: PendingVerification, ctx: VerificationContext): Promise<PlanItem> {
  const log = ctx.log.child({ vmId: p.vmId, jobId: p.jobId });
  const failedJobId = p.failedJobId ?? p.jobId;
  const v = await followOnce(p, ctx, log);
  if (v.outcome !== 'pending') {
    const detail = v.outcome === 'expired' ? v.status : undefined;
    await ctx.ledger.recordAttempt(p.vmId, { runId: p.runId, jobId: p.jobId, at: ctx.now(), outcome: v.outcome, ...(failedJobId !== p.jobId ? { failedJobId } : {}), ...(detail ? { detail } : {}) });
  }
  const item: PlanItem = {
    vmId: p.vmId,
    jobId: failedJobId,
    vaultId: vaultOfJob(p.jobId),
    failure: { code: v.failureCode ?? 'Unclassified', signals: [] },
    actions: [],
    findings: [findingFor(p, v)],
    verification: v,
  };
  await ctx.ledger.recordDecision(ctx.runId, item).catch(() => undefined);
  return item;
}

/**
 * Backup Nows a dead run sent without recording an answer: the job each would have created (item,
 * operation Backup, started at or after the request) is looked for and recorded as pending, so it
 * is verified like any other. Returns how many were adopted.
 */
export async function adoptUnanswered(closed: ClosedRun[], ctx: VerificationContext): Promise<number> {
  let adopted = 0;
  for (const run of closed) {
    const decisions = run.unanswered.length > 0 ? await ctx.ledger.decisions(run.runId) : [];
    for (const w of run.unanswered.filter((x) => x.action.kind === 'trigger-backup')) {
      const requestedAt = w.requestedAt ?? w.at;
      const found = await findTriggeredJob(ctx.arm, parseProtectedItemId(w.action.target), requestedAt).catch(() => undefined);
      // Not listed yet is not "never sent": the job can appear seconds later. The send is followed as
      // pending (looked for again by the next run) so no run triggers the item again meanwhile.
      const jobId = found ?? unansweredKey(w.action.target, requestedAt);
      const failedJobId = decisions.find((d) => d.vmId.toLowerCase() === w.vmId.toLowerCase())?.jobId;
      await ctx.ledger.recordAttempt(w.vmId, { runId: run.runId, jobId, at: ctx.now(), outcome: 'pending', ...(failedJobId ? { failedJobId } : {}) });
      adopted += 1;
    }
  }
  return adopted;
}
