// The pipeline for one run: discover → classify → diagnose → plan → (apply: execute → verify) →
// record. This is the only module that calls the stages in order; each stage only sees its inputs.

import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { ArmContext } from './arm/clients';
import { parseProtectedItemId, parseVaultId, parseVmId, sameId } from './arm/ids';
import { ACTIONS } from './actions';
import { catalogueEntry } from './catalogue';
import { classify } from './classify';
import type { Settings } from './config';
import { createDiagnoser, type DiagnoseOptions } from './diagnose';
import { discoverFailures, needsJobDetails, readJobDetails } from './discover';
import type { Candidate } from './discover/types';
import { executeItem, type ActionRunner } from './execute';
import { isThrottled, RunBudget, scopeFinding } from './guardrails';
import type { Ledger, PendingVerification } from './ledger';
import { silentLogger, type Logger } from './log';
import { planItem } from './plan';
import { interleaveBySubscription } from './schedule';
import type { Finding, PlanItem, PlannedAction, RunMode, RunNote, RunReport, Verification } from './types';
import { JOB_NOT_FOUND, verifyBackup } from './verify';

export interface RunScope {
  subscriptions?: string[];
  vaultId?: string;
  vmId?: string;
  jobId?: string;
}

export interface RunOptions {
  mode: RunMode;
  scope: RunScope;
  since?: Date;
  settings: Settings;
  arm: ArmContext;
  ledger: Ledger;
  log?: Logger;
  runId?: string;
  trigger?: 'cli' | 'timer' | 'eventgrid' | 'alert' | 'http' | 'queue';
  onProgress?: (message: string) => void;
  /** The run's clock. Default: real time. Against the in-process emulator pass its simulated clock. */
  now?: () => Date;
  /** How verification waits between polls (default: a real timer); tests advance the simulated clock. */
  verifyWait?: (ms: number) => Promise<void>;
  /** Poll interval while verifying a triggered backup. Default 30 s. */
  verifyPollIntervalMs?: number;
  /** Force a discovery path (default: Resource Graph for subscriptions, REST for a vault, VM or job). */
  discoveryPath?: 'rest' | 'graph';
  /** Called after each successful write (tests use it to flip the kill switch between writes). */
  onWrite?: (action: PlannedAction, item: PlanItem) => void | Promise<void>;
}

/** The scope a run covers: explicit scope first, else the configured subscriptions. */
function resolveScope(opts: Pick<RunOptions, 'scope' | 'settings'>): RunScope {
  const s = opts.scope ?? {};
  if (s.vmId || s.vaultId || s.jobId || (s.subscriptions && s.subscriptions.length > 0)) return s;
  return { ...s, subscriptions: opts.settings.subscriptions };
}


/** Adapts lib/actions' implementations to the executor's view of an action. */
function actionRunner(arm: ArmContext, settings: Settings, now: () => Date, log: Logger): ActionRunner {
  const context = (item: PlanItem) => ({ item, settings, now: now(), log: log.child({ vmId: item.vmId, jobId: item.jobId }) });
  return {
    async preconditions(action, item) {
      const check = await ACTIONS[action.kind].preconditions(arm, action, context(item));
      return check.ok ? undefined : { reason: check.reason, findingKind: check.findingKind };
    },
    apply: (action, item) => ACTIONS[action.kind].apply(arm, action, context(item)),
  };
}

/** Where a Backup Now's job can be found: what apply returned, else the protected item. */
function verifyTarget(action: PlannedAction, item: PlanItem) {
  const r = (action.result ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const protectedItemId = str(r.protectedItemId) ?? item.protectedItemId ?? action.target;
  let vaultId = str(r.vaultId) ?? item.vaultId;
  if (!vaultId) {
    try {
      vaultId = parseProtectedItemId(protectedItemId).vault.id;
    } catch {
      vaultId = undefined;
    }
  }
  return {
    jobId: str(r.jobId) ?? str(r.backupJobId),
    operationId: str(r.operationId),
    protectedItemId,
    vaultId,
  };
}

export function summarize(items: PlanItem[]): Record<string, number> {
  const summary: Record<string, number> = { items: items.length, writes: 0, 'actions.proposed': 0 };
  const bump = (key: string): void => {
    summary[key] = (summary[key] ?? 0) + 1;
  };
  for (const item of items) {
    for (const a of item.actions) {
      const status = a.status ?? 'proposed';
      bump(`actions.${status}`);
      if (status === 'proposed') continue;
      if (status === 'applied') {
        summary.writes += 1;
        bump(`writes.${a.kind}`);
      }
    }
    for (const f of item.findings) bump(`findings.${f.kind}`);
    if (item.verification) bump(`verification.${item.verification.outcome}`);
  }
  return summary;
}

/** Whether a pending verification falls inside the run's scope (and the configured allow-lists). */
function pendingInScope(p: PendingVerification, scope: RunScope, settings: Settings): boolean {
  if (scopeFinding(p.vmId, settings)) return false;
  let sub: string;
  try {
    sub = parseVmId(p.vmId).subscriptionId;
  } catch {
    return false;
  }
  if (scope.vmId && !sameId(scope.vmId, p.vmId)) return false;
  if (scope.jobId && !(p.failedJobId && sameId(scope.jobId, p.failedJobId)) && !sameId(scope.jobId, p.jobId)) return false;
  if (scope.vaultId) {
    const jobs = [p.jobId, p.failedJobId ?? ''].map((j) => j.toLowerCase());
    const prefix = `${scope.vaultId.replace(/\/+$/, '').toLowerCase()}/backupjobs/`;
    if (!jobs.some((j) => j.startsWith(prefix))) return false;
  }
  if (scope.subscriptions && scope.subscriptions.length > 0 && !scope.subscriptions.some((s) => s.toLowerCase() === sub.toLowerCase())) return false;
  return true;
}

export async function runRemediation(opts: RunOptions): Promise<RunReport> {
  const runId = opts.runId ?? randomUUID();
  const now = opts.now ?? (() => new Date());
  const { settings, arm, ledger, mode } = opts;
  const log = (opts.log ?? silentLogger()).child({ runId });
  const progress = (message: string): void => {
    opts.onProgress?.(message);
  };
  const startedAt = now();
  const scope = resolveScope(opts);
  await ledger.startRun({ runId, mode, trigger: opts.trigger ?? 'cli', scope, startedAt });
  log.info('run started', { mode, scope });

  const items: PlanItem[] = [];
  const notes: RunNote[] = [];
  try {
    const since = opts.since ?? new Date(startedAt.getTime() - settings.lookbackMs);
    const discovered = await discoverFailures(arm, scope, { since, now: startedAt, path: opts.discoveryPath });
    const candidates = discovered.candidates;
    notes.push(...discoveryNotes(discovered));
    progress(`discovered ${candidates.length} failed backup job(s)`);
    log.info('discovery done', { candidates: candidates.length, skipped: discovered.skipped.length });

    const diagnoser = createDiagnoser(arm, { now: startedAt });
    const budget = new RunBudget(settings);
    const runner = actionRunner(arm, settings, now, log);
    const limit = pLimit(Math.max(1, settings.concurrency));
    const verify = (action: PlannedAction, item: PlanItem): Promise<Verification> =>
      verifyBackup(verifyTarget(action, item), {
        arm,
        timeoutMs: settings.verifyTimeoutMs,
        pollIntervalMs: opts.verifyPollIntervalMs,
        wait: opts.verifyWait,
        log: log.child({ vmId: item.vmId, jobId: item.jobId }),
      });

    let done = 0;
    // Items of one VM (failed jobs in two vaults) run one after the other, never at once: the lease
    // is per run, so it does not keep them apart, and the later one must plan on the facts the
    // earlier one left (it then meets the cooldown).
    const lastOfVm = new Map<string, Promise<unknown>>();
    const oneVmAtATime = <T>(vmId: string, task: () => Promise<T>): Promise<T> => {
      const key = vmId.toLowerCase();
      const next = (lastOfVm.get(key) ?? Promise.resolve()).catch(() => undefined).then(task);
      lastOfVm.set(key, next);
      return next;
    };
    const runItem = (candidate: Candidate): Promise<PlanItem> =>
      oneVmAtATime(candidate.vmId, () => limit(async (): Promise<PlanItem> => {
        const item = await planCandidate(candidate, { arm, settings, diagnoser, log, now: startedAt });
        if (mode === 'apply') {
          await executeItem(item, {
            runId,
            settings,
            ledger,
            budget,
            runner,
            log,
            now,
            verify,
            onWrite: async (action, it) => {
              progress(`${action.kind} applied on ${it.vmId}`);
              await opts.onWrite?.(action, it);
            },
          });
        }
        await ledger.recordDecision(runId, item).catch((err: unknown) =>
          log.error('ledger: could not record decision', { vmId: item.vmId, jobId: item.jobId, err }),
        );
        done += 1;
        if (done % 25 === 0 || done === candidates.length) progress(`${done}/${candidates.length} item(s) done`);
        return item;
      }));
    // Started round-robin over subscriptions (lib/schedule.ts); reported in discovery's order.
    const work: Promise<PlanItem>[] = new Array(candidates.length);
    for (const i of interleaveBySubscription(candidates)) work[i] = runItem(candidates[i]!);
    items.push(...(await Promise.all(work)));

    // Backups triggered by an earlier run that were still running then: verify, never re-trigger,
    // however long ago (the ledger keeps them outside any look-back window). VMs with an item in
    // this run are left to it.
    if (mode === 'apply') {
      const seen = new Set(items.map((i) => i.vmId.toLowerCase()));
      const listed = await ledger.pendingVerifications().catch((err: unknown) => {
        // The run's own work is done; a later run lists them again.
        log.error('ledger: could not list pending verifications', { err });
        return [] as PendingVerification[];
      });
      const pendings = listed.filter((p) => !seen.has(p.vmId.toLowerCase()) && pendingInScope(p, scope, settings));
      if (pendings.length > 0) log.info('verifying backups left pending by earlier runs', { pending: pendings.length });
      const verified = await Promise.all(
        pendings.map((p) => limit(() => verifyPending(p.vmId, p.failedJobId ?? p.jobId, p, { runId, ledger, arm, log, now, settings, opts }))),
      );
      for (const v of verified) if (v) items.push(v);
    }
  } catch (err) {
    log.error('run failed', { err });
    const report = buildReport(runId, mode, startedAt, now(), items, notes);
    await ledger.finishRun(runId, report).catch(() => undefined);
    throw err;
  }

  const report = buildReport(runId, mode, startedAt, now(), items, notes);
  await ledger.finishRun(runId, report);
  log.info('run finished', { summary: report.summary });
  progress(`run ${runId} finished: ${report.summary.items} item(s), ${report.summary.writes} write(s)`);
  return report;
}

function buildReport(runId: string, mode: RunMode, startedAt: Date, finishedAt: Date, items: PlanItem[], notes: RunNote[]): RunReport {
  return {
    schemaVersion: 1,
    mode,
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    items,
    summary: summarize(items),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** Discovery's reasons for leaving jobs out, in the report's words. */
function discoveryNotes(d: Awaited<ReturnType<typeof discoverFailures>>): RunNote[] {
  const skipped = d.skipped.map((s) => {
    // The later job's name (a GUID) is enough beside the failed job's full id.
    const later = s.laterJobId ? ` (job ${s.laterJobId.split('/').pop()})` : '';
    return {
      vmId: s.vmId,
      jobId: s.jobId,
      reason:
        s.reason === 'already-recovered'
          ? `already recovered: a later backup${later} succeeded`
          : `a later backup${later} is in progress: nothing is stacked on it`,
    };
  });
  const notes = d.notes.map((n) => ({ ...(n.vmId ? { vmId: n.vmId } : {}), ...(n.jobId ? { jobId: n.jobId } : {}), reason: n.reason }));
  return [...notes, ...skipped];
}

/**
 * What the planner will look at for this catalogue entry, so diagnosis reads nothing else: the
 * snapshot extension when the entry removes it or checks it, restore point collections (points and
 * locks) when the entry deletes them or checks them, locks on the extension when its removal may be
 * planned. Unclassified failures need only the VM and its resource group (existence, opt-out).
 */
export function diagnoseOptionsFor(entry: { fixes: readonly string[]; causes: readonly { check: string }[] } | undefined, settings: { allowedActions: readonly string[] }): DiagnoseOptions {
  if (!entry) return { extension: false, collections: false };
  const checks = new Set(entry.causes.map((c) => c.check));
  const fixes = (k: string) => entry.fixes.includes(k);
  return {
    extension: fixes('remove-snapshot-extension') || checks.has('snapshot-extension-state') || checks.has('outbound-connectivity'),
    collections: fixes('delete-restore-point-collection') || checks.has('restore-point-limit') || checks.has('collection-lock'),
    // Locks on the snapshot extension matter only when its removal may be planned (and allowed).
    extensionLocks: fixes('remove-snapshot-extension') && settings.allowedActions.includes('remove-snapshot-extension'),
  };
}

/** classify → diagnose → plan for one failed job. Read failures become findings, never writes. */
async function planCandidate(
  candidate: Candidate,
  ctx: { arm: ArmContext; settings: Settings; diagnoser: ReturnType<typeof createDiagnoser>; log: Logger; now: Date },
): Promise<PlanItem> {
  let c = candidate;
  const log = ctx.log.child({ vmId: c.vmId, jobId: c.jobId });
  let classification = classify(c.job as Parameters<typeof classify>[0]);
  try {
    // A row without the job's error details is classified from the job itself (one GET at most).
    if (needsJobDetails(c, classification)) {
      c = await readJobDetails(ctx.arm, c);
      classification = classify(c.job as Parameters<typeof classify>[0]);
    }
    const entry = catalogueEntry(classification.code);
    const diagnosis = await ctx.diagnoser.diagnose(c, diagnoseOptionsFor(entry, ctx.settings));
    const item = planItem(c, classification, diagnosis, entry, {
      subscriptions: ctx.settings.subscriptions,
      resourceGroups: ctx.settings.resourceGroups,
      allowedActions: ctx.settings.allowedActions,
      optInCodes: ctx.settings.optInCodes,
      backupRetentionDays: ctx.settings.backupRetentionDays,
      now: ctx.now,
    });
    log.info('planned', { code: classification.code, actions: item.actions.map((a) => a.kind), findings: item.findings.map((f) => f.kind) });
    return item;
  } catch (err) {
    const throttled = isThrottled(err);
    log.warn('diagnosis failed', { err, throttled });
    const finding: Finding = {
      kind: 'read-failed',
      message: throttled
        ? `ARM throttled the reads for this VM; retry later (${(err as Error).message})`
        : `Could not read the VM's state from ARM: ${(err as Error).message}`,
      evidence: { throttled, code: (err as { code?: unknown }).code, statusCode: (err as { statusCode?: unknown }).statusCode },
      nextStep: throttled ? 'Nothing to do: the next run retries.' : 'Check the VM exists and the remediator identity can read it.',
    };
    return {
      vmId: c.vmId,
      jobId: c.jobId,
      vaultId: c.vaultId,
      protectedItemId: c.protectedItemId,
      failure: { code: classification.code, signals: classification.signals, automation: classification.automation, docUrl: classification.docUrl },
      actions: [],
      findings: [finding],
    };
  }
}

/** Follows a Backup Now left pending by an earlier run and records how it ended. */
async function verifyPending(
  vmId: string,
  failedJobId: string,
  pending: { runId: string; jobId: string },
  ctx: { runId: string; ledger: Ledger; arm: ArmContext; log: Logger; now: () => Date; settings: Settings; opts: RunOptions },
): Promise<PlanItem | undefined> {
  const log = ctx.log.child({ vmId, jobId: pending.jobId });
  let verification: Verification;
  try {
    verification = await verifyBackup(
      { jobId: pending.jobId },
      { arm: ctx.arm, timeoutMs: 0, pollIntervalMs: ctx.opts.verifyPollIntervalMs, wait: ctx.opts.verifyWait, log },
    );
  } catch (err) {
    log.warn('could not verify a pending backup', { err });
    return undefined;
  }
  if (verification.outcome !== 'pending') {
    await ctx.ledger.recordAttempt(vmId, { runId: pending.runId, jobId: pending.jobId, at: ctx.now(), outcome: verification.outcome, ...(failedJobId !== pending.jobId ? { failedJobId } : {}) });
  }
  let vaultId: string | undefined;
  try {
    vaultId = parseVaultId(pending.jobId.split('/backupJobs/')[0]).id;
  } catch {
    vaultId = undefined;
  }
  const item: PlanItem = {
    vmId,
    jobId: failedJobId,
    vaultId,
    failure: { code: verification.failureCode ?? 'Unclassified', signals: [] },
    actions: [],
    findings: [
      {
        kind: 'verification',
        message:
          verification.outcome === 'resolved'
            ? `The backup triggered by run ${pending.runId} completed: the failure is resolved.`
            : verification.outcome === 'escalated' && verification.failureCode === JOB_NOT_FOUND
              ? `The backup job triggered by run ${pending.runId} no longer exists (ARM answered 404 for it), so whether the backup ran cannot be verified; later runs stop following it and a human must look.`
              : verification.outcome === 'escalated'
              ? `The backup triggered by run ${pending.runId} failed again (${verification.failureCode}); a human must look.`
              : `The backup triggered by run ${pending.runId} is still running; a later run verifies it.`,
        evidence: { backupJobId: pending.jobId, status: verification.status, earlierRunId: pending.runId },
      },
    ],
    verification,
  };
  await ctx.ledger.recordDecision(ctx.runId, item).catch(() => undefined);
  return item;
}

/** For the timer's fan-out: the VMs with a failed job in scope, one entry per VM. */
export async function discoverWork(opts: Omit<RunOptions, 'mode'>): Promise<{ vmId: string; jobId: string }[]> {
  const now = (opts.now ?? (() => new Date()))();
  const since = opts.since ?? new Date(now.getTime() - opts.settings.lookbackMs);
  const { candidates } = await discoverFailures(opts.arm, resolveScope(opts), { since, now });
  const byVm = new Map<string, { vmId: string; jobId: string }>();
  for (const c of candidates) {
    const key = c.vmId.toLowerCase();
    if (!byVm.has(key)) byVm.set(key, { vmId: c.vmId, jobId: c.jobId });
  }
  return [...byVm.values()];
}
