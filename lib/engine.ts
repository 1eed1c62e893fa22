// The pipeline for one run: discover → classify → diagnose → plan → (apply: execute → verify) →
// record. This is the only module that calls the stages in order; each stage only sees its inputs.

import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { ArmContext } from './arm/clients';
import { parseJobId, parseProtectedItemId, parseVaultId, parseVmId, sameId } from './arm/ids';
import { Scope } from './scope';
import { ACTIONS } from './actions';
import { catalogueEntry } from './catalogue';
import { observedCodes, summarizeObservedCodes } from './ledger/observed-codes';
import { classify } from './classify';
import type { Settings } from './config';
import { createDiagnoser } from './diagnose';
import { discoverFailures, needsJobDetails, readJobDetails } from './discover';
import type { Candidate } from './discover/types';
import { executeItem, type ActionRunner, type ExecuteContext } from './execute';
import { isThrottled, RunBudget, scopeFinding } from './guardrails';
import type { Ledger, PendingVerification } from './ledger';
import { silentLogger, type Logger } from './log';
import { diagnoseOptionsFor, planItem } from './plan';
import { interleaveBySubscription } from './schedule';
import { recordRunTelemetry } from './telemetry';
import type { Finding, PendingApproval, PlanItem, PlannedAction, RunMode, RunNote, RunReport } from './types';
import { verifyBackup } from './verify';
import { closeAbandonedRuns, startHeartbeat, type ClosedRun } from './ledger/liveness';
import { adoptUnanswered, verifyPending, type VerificationContext } from './verification';
import { summarize } from './summary';
import { newRunningBackupReads, notePlannedOnRunningBackups, type RunningBackupReads } from './rules/running-backup';
import { closeResolved, pendingApprovals, proposeItem } from './approvals/run';
import type { Proposal } from './approvals/types';

export { summarize } from './summary';

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
  /** Called after each successful write (tests use it to flip the kill switch between writes). */
  onWrite?: (action: PlannedAction, item: PlanItem) => void | Promise<void>;
  /** Force a discovery path (default: Resource Graph for subscriptions, REST for a vault, VM or job). */
  discoveryPath?: 'rest' | 'graph';
}

/** The scope a run covers: explicit scope first, else the configured subscriptions. */
function resolveScope(opts: Pick<RunOptions, 'scope' | 'settings'>): RunScope {
  const s = opts.scope ?? {};
  if (s.vmId || s.vaultId || s.jobId || (s.subscriptions && s.subscriptions.length > 0)) return s;
  return { ...s, subscriptions: opts.settings.subscriptions };
}

/**
 * One meaning for an empty subscription list (lib/scope: nothing in scope). A CLI run without
 * REMEDIATION_SUBSCRIPTIONS is bounded by the subscription its own flags name instead.
 */
function withRunSubscriptions(settings: Settings, scope: RunScope): Settings {
  if (settings.subscriptions.length > 0) return settings;
  if (scope.subscriptions && scope.subscriptions.length > 0) return { ...settings, subscriptions: scope.subscriptions };
  try {
    const sub = scope.vmId
      ? parseVmId(scope.vmId).subscriptionId
      : scope.vaultId
        ? parseVaultId(scope.vaultId).subscriptionId
        : scope.jobId
          ? parseJobId(scope.jobId).vault.subscriptionId
          : undefined;
    return sub ? { ...settings, subscriptions: [sub] } : settings;
  } catch {
    return settings;
  }
}


/** Adapts lib/actions' implementations to the executor's view of an action. */
function actionRunner(arm: ArmContext, settings: Settings, now: () => Date, log: Logger): ActionRunner {
  const context = (item: PlanItem) => ({ item, settings, now: now(), log: log.child({ vmId: item.vmId, jobId: item.jobId }) });
  return {
    async preconditions(action, item) {
      const check = await ACTIONS[action.kind].preconditions(arm, action, context(item));
      return check.ok ? undefined : { reason: check.reason, findingKind: check.findingKind, evidence: check.evidence };
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

/** What one run shares between its stages. */
interface RunContext {
  runId: string;
  opts: RunOptions;
  now: () => Date;
  log: Logger;
  startedAt: Date;
  scope: RunScope;
  limit: ReturnType<typeof pLimit>;
  progress: (message: string) => void;
}

export async function runRemediation(given: RunOptions): Promise<RunReport> {
  return asRun(given, (rc, items, notes) => runStages(rc, items, notes));
}

/**
 * One recorded run around `work`: the run row first (a run killed in its first second still leaves a
 * trace, closed later as abandoned), a heartbeat while it works, the report recorded at the end (also
 * when it fails) and the run's telemetry.
 */
async function asRun(given: RunOptions, work: (rc: RunContext, items: PlanItem[], notes: RunNote[]) => Promise<void>): Promise<RunReport> {
  const runId = given.runId ?? randomUUID();
  const now = given.now ?? (() => new Date());
  const { ledger, mode } = given;
  const log = (given.log ?? silentLogger()).child({ runId });
  const startedAt = now();
  const scope = resolveScope(given);
  const opts: RunOptions = { ...given, settings: withRunSubscriptions(given.settings, scope) };
  await ledger.startRun({ runId, mode, trigger: opts.trigger ?? 'cli', scope, startedAt });
  const stopHeartbeat = startHeartbeat(ledger, runId, (err) => log.warn('ledger: heartbeat failed', { err }));
  log.info('run started', { mode, scope });
  const rc: RunContext = { runId, opts, now, log, startedAt, scope, limit: pLimit(Math.max(1, opts.settings.concurrency)), progress: (m) => opts.onProgress?.(m) };
  const items: PlanItem[] = [];
  const notes: RunNote[] = [];
  try {
    await work(rc, items, notes);
  } catch (err) {
    log.error('run failed', { err });
    await ledger.finishRun(runId, buildReport(runId, mode, startedAt, now(), items, notes)).catch(() => undefined);
    throw err;
  } finally {
    stopHeartbeat();
  }
  const report = buildReport(runId, mode, startedAt, now(), items, notes, await waitingForApproval(rc));
  await ledger.finishRun(runId, report);
  log.info('run finished', { summary: report.summary });
  recordRunTelemetry(report);
  rc.progress(`run ${runId} finished: ${report.summary.items} item(s), ${report.summary.writes} write(s)`);
  return report;
}

/** Dead runs closed, then (apply) earlier Backup Nows verified, then this run's failed jobs. */
async function runStages(rc: RunContext, items: PlanItem[], notes: RunNote[]): Promise<void> {
  const { opts, log } = rc;
  const closed = await closeAbandonedRuns(opts.ledger, rc.runId, rc.now).catch((err: unknown) => {
    log.error('ledger: could not close abandoned runs', { err });
    return [] as ClosedRun[];
  });
  for (const c of closed) {
    log.warn('closed an abandoned run', { abandonedRunId: c.runId, reason: c.reason, unansweredWrites: c.unanswered.length, leasesReleased: c.leasesReleased });
    notes.push({ reason: `closed run ${c.runId} as abandoned: ${c.reason} (${c.unanswered.length} write(s) without a recorded answer, ${c.leasesReleased} lease(s) released)` });
  }
  const vctx: VerificationContext = { runId: rc.runId, ledger: opts.ledger, arm: opts.arm, log, now: rc.now, settings: opts.settings, pollIntervalMs: opts.verifyPollIntervalMs, wait: opts.verifyWait };
  // Whatever the mode: a Backup Now a dead run sent must become a pending verification before it is forgotten.
  const adopted = await adoptUnanswered(closed, vctx).catch((err: unknown) => (log.error('could not look for backups of abandoned runs', { err }), 0));
  if (adopted > 0) log.info('adopted backups sent by abandoned runs', { adopted });
  const verified = opts.mode === 'apply' ? await verifyEarlierBackups(rc, vctx) : [];
  const since = opts.since ?? new Date(rc.startedAt.getTime() - opts.settings.lookbackMs);
  const discovered = await discoverFailures(opts.arm, rc.scope, { since, now: rc.startedAt, scope: Scope.of(opts.settings), path: opts.discoveryPath });
  notes.push(...discoveryNotes(discovered));
  await closeResolvedProposals(rc, discovered, notes);
  // A failed job that is the verified backup itself is reported by its verification, not planned again.
  const ended = new Set(verified.filter((v) => v.verification?.jobId).map((v) => v.verification!.jobId!.toLowerCase()));
  // A VM whose last Backup Now has not ended (or whose job is not even listed yet), or that a run
  // closed just now was writing to without a recorded answer (its delete may still be running),
  // gets nothing new in this run: the next run reads what those writes did.
  const pending = new Set(verified.filter((v) => v.verification?.outcome === 'pending').map((v) => v.vmId.toLowerCase()));
  const unanswered = new Set(closed.flatMap((c) => c.unanswered.map((w) => w.vmId.toLowerCase())));
  const waiting = new Set([...pending, ...unanswered]);
  for (const c of discovered.candidates.filter((x) => waiting.has(x.vmId.toLowerCase()))) {
    const why = pending.has(c.vmId.toLowerCase()) ? 'a Backup Now triggered by an earlier run has not ended yet' : 'a run that died was writing to this VM and its answer was not recorded';
    notes.push({ vmId: c.vmId, jobId: c.jobId, reason: `${why}: nothing new is sent until a later run has read what it did` });
  }
  const candidates = discovered.candidates.filter((c) => !ended.has(c.jobId.toLowerCase()) && !waiting.has(c.vmId.toLowerCase()));
  rc.progress(`discovered ${candidates.length} failed backup job(s)`);
  log.info('discovery done', { candidates: candidates.length, skipped: discovered.skipped.length });
  const worked = await workOn(rc, candidates, discovered.path);
  await opts.ledger.recordObservedCodes?.(rc.runId, observedCodes(worked)).catch((err: unknown) =>
    log.error('ledger: could not record observed error codes', { err }),
  );
  items.push(...worked, ...verified);
}

/**
 * Backups triggered by earlier runs (and adopted from dead ones): verified before anything is planned,
 * for every VM in scope, with or without a new failed job; never re-triggered, however long ago.
 */
async function verifyEarlierBackups(rc: RunContext, ctx: VerificationContext): Promise<PlanItem[]> {
  const { opts, log } = rc;
  const listed = await opts.ledger.pendingVerifications().catch((err: unknown) => {
    // A later run lists them again.
    log.error('ledger: could not list pending verifications', { err });
    return [] as PendingVerification[];
  });
  const pendings = listed.filter((p) => pendingInScope(p, rc.scope, opts.settings));
  if (pendings.length > 0) log.info('verifying backups left pending by earlier runs', { pending: pendings.length });
  const settled = await Promise.allSettled(pendings.map((p) => rc.limit(() => verifyPending(p, ctx))));
  return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

/** classify → diagnose → plan → (apply) execute for every candidate, one VM's items at a time. */
async function workOn(rc: RunContext, candidates: Candidate[], discoveredVia: 'rest' | 'graph'): Promise<PlanItem[]> {
  const { opts, log } = rc;
  // Found through Resource Graph: the candidates' restore point collections and protected items are
  // read there too (one query each for the whole run). A REST discovery (a VM or job scope, for
  // freshness) keeps diagnosis on ARM.
  const diagnoser = createDiagnoser(opts.arm, { now: rc.startedAt, ...(discoveredVia === 'graph' ? { graphVmIds: candidates.map((c) => c.vmId), graphVaultIds: candidates.map((c) => c.vaultId) } : {}) });
  const exec = executeContext(rc);
  // The run's write-time running-backup reads: its start, and each vault's running backups read at its first write.
  const running = newRunningBackupReads(rc.startedAt);
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
    oneVmAtATime(candidate.vmId, () => rc.limit(async (): Promise<PlanItem> => {
      const item = await planCandidate(candidate, { arm: opts.arm, settings: opts.settings, diagnoser, log, now: rc.startedAt, running });
      // Both modes: a dry run shows (and stores) what would wait for a human; ledger rows only.
      await propose(rc, item);
      if (opts.mode === 'apply') {
        // The decision is recorded as it happens: planned, after each write, and at the end.
        await exec.onChange!(item);
        await executeItem(item, { ...exec, failedAt: startOf(candidate) });
      }
      await exec.onChange!(item);
      done += 1;
      if (done % 25 === 0 || done === candidates.length) rc.progress(`${done}/${candidates.length} item(s) done`);
      return item;
    }));
  // Started round-robin over subscriptions (lib/schedule.ts) so no one subscription's token bucket
  // holds up the others; reported in discovery's order.
  const work: Promise<PlanItem>[] = new Array(candidates.length);
  for (const i of interleaveBySubscription(candidates)) work[i] = runItem(candidates[i]!);
  return Promise.all(work);
}

/** Proposals for the item's approval-required actions; a ledger failure is logged (the write guard refuses them then). */
async function propose(rc: RunContext, item: PlanItem): Promise<void> {
  const store = rc.opts.ledger.approvals;
  if (!store) return;
  await proposeItem(item, store, rc.runId, rc.opts.settings).catch((err: unknown) => rc.log.error('ledger: could not store a proposal', { vmId: item.vmId, err }));
}

/**
 * A VM whose failed job a later successful backup superseded, and which has no failed job in this
 * run, no longer fails: its live proposals are refused as resolved (recorded, never executed).
 */
async function closeResolvedProposals(rc: RunContext, discovered: Awaited<ReturnType<typeof discoverFailures>>, notes: RunNote[]): Promise<void> {
  const store = rc.opts.ledger.approvals;
  if (!store) return;
  const failing = new Set(discovered.candidates.map((c) => c.vmId.toLowerCase()));
  const resolved = discovered.skipped.filter((s) => s.reason === 'already-recovered' && !failing.has(s.vmId.toLowerCase()));
  const closed = await closeResolved(store, resolved, rc.runId).catch((err: unknown) => (rc.log.error('ledger: could not close resolved proposals', { err }), []));
  for (const p of closed) notes.push({ vmId: p.vmId, reason: `proposal ${p.id} (${p.kind}) refused: ${p.closedReason}` });
}

function startOf(c: Candidate): Date | undefined {
  const t = (c.job as { startTime?: unknown }).startTime;
  const d = typeof t === 'string' || t instanceof Date ? new Date(t) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

function executeContext(rc: RunContext): ExecuteContext {
  const { opts, log } = rc;
  const { settings, arm, ledger } = opts;
  return {
    runId: rc.runId,
    settings,
    ledger,
    budget: new RunBudget(settings),
    runner: actionRunner(arm, settings, rc.now, log),
    log,
    now: rc.now,
    verify: (action, item) =>
      verifyBackup(verifyTarget(action, item), { arm, timeoutMs: settings.verifyTimeoutMs, pollIntervalMs: opts.verifyPollIntervalMs, wait: opts.verifyWait, log: log.child({ vmId: item.vmId, jobId: item.jobId }) }),
    onWrite: async (action, it) => {
      rc.progress(`${action.kind} applied on ${it.vmId}`);
      await opts.onWrite?.(action, it);
    },
    onChange: (item) =>
      ledger.recordDecision(rc.runId, item).catch((err: unknown) => log.error('ledger: could not record decision', { vmId: item.vmId, jobId: item.jobId, err })),
  };
}

/** Every proposal in the run's scope still waiting for a human, for the report (a failed read is logged, not fatal). */
async function waitingForApproval(rc: RunContext): Promise<PendingApproval[]> {
  const store = rc.opts.ledger.approvals;
  if (!store) return [];
  const inScope = (p: Proposal) => pendingInScope({ vmId: p.vmId, runId: p.runId, jobId: p.jobId, failedJobId: p.jobId, at: p.proposedAt }, rc.scope, rc.opts.settings);
  return pendingApprovals(store, rc.now(), inScope).catch((err: unknown) => (rc.log.error('ledger: could not list pending approvals', { err }), []));
}

function buildReport(runId: string, mode: RunMode, startedAt: Date, finishedAt: Date, items: PlanItem[], notes: RunNote[], waiting: PendingApproval[] = []): RunReport {
  return {
    schemaVersion: 1,
    mode,
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    items,
    summary: summarize(items),
    ...(notes.length > 0 ? { notes } : {}),
    ...observedSection(items),
    ...(waiting.length > 0 ? { pendingApprovals: waiting } : {}),
  };
}

function observedSection(items: PlanItem[]): Pick<RunReport, 'observedCodes'> {
  const observed = summarizeObservedCodes(observedCodes(items));
  return observed.length > 0 ? { observedCodes: observed } : {};
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

/** What diagnosis reads for a catalogue entry: what its fixes' rules and cause checks ask for (lib/plan). */
export { diagnoseOptionsFor } from './plan';

/** classify → diagnose → plan for one failed job. Read failures become findings, never writes. */
async function planCandidate(
  candidate: Candidate,
  ctx: { arm: ArmContext; settings: Settings; diagnoser: ReturnType<typeof createDiagnoser>; log: Logger; now: Date; running: RunningBackupReads },
): Promise<PlanItem> {
  let c = candidate;
  const log = ctx.log.child({ vmId: c.vmId, jobId: c.jobId });
  let classification = classify(c.job as Parameters<typeof classify>[0]);
  // Scope first: a VM outside it is reported without one read of its state.
  const outside = scopeFinding(c.vmId, ctx.settings);
  if (outside) return { ...itemOf(c, classification), findings: [outside] };
  try {
    // A row without the job's error details is classified from the job itself (one GET at most).
    if (needsJobDetails(c, classification)) {
      c = await readJobDetails(ctx.arm, c);
      classification = classify(c.job as Parameters<typeof classify>[0]);
    }
    const entry = catalogueEntry(classification.code);
    const reads = diagnoseOptionsFor(entry, ctx.settings);
    const diagnosis = await ctx.diagnoser.diagnose(c, reads);
    const item = planItem(c, classification, diagnosis, entry, {
      subscriptions: ctx.settings.subscriptions,
      resourceGroups: ctx.settings.resourceGroups,
      allowedActions: ctx.settings.allowedActions,
      optInCodes: ctx.settings.optInCodes,
      guestFixCodes: ctx.settings.guestFixCodes,
      backupRetentionDays: ctx.settings.backupRetentionDays,
      now: ctx.now,
    });
    // Planned in this run: its writes check running backups against the run's reads (lib/rules/running-backup.ts).
    notePlannedOnRunningBackups(item, ctx.running);
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
    return { ...itemOf(c, classification), findings: [finding] };
  }
}

function itemOf(c: Candidate, classification: ReturnType<typeof classify>): PlanItem {
  return {
    vmId: c.vmId,
    jobId: c.jobId,
    vaultId: c.vaultId,
    protectedItemId: c.protectedItemId,
    failure: { code: classification.code, signals: classification.signals, automation: classification.automation, docUrl: classification.docUrl },
    actions: [],
    findings: [],
  };
}

/** For the timer's fan-out: the VMs with a failed job in scope, one entry per VM. */
export async function discoverWork(opts: Omit<RunOptions, 'mode'>): Promise<{ vmId: string; jobId: string }[]> {
  const now = (opts.now ?? (() => new Date()))();
  const since = opts.since ?? new Date(now.getTime() - opts.settings.lookbackMs);
  const scope = resolveScope(opts);
  const { candidates } = await discoverFailures(opts.arm, scope, { since, now, scope: Scope.of(withRunSubscriptions(opts.settings, scope)) });
  const byVm = new Map<string, { vmId: string; jobId: string }>();
  for (const c of candidates) {
    const key = c.vmId.toLowerCase();
    if (!byVm.has(key)) byVm.set(key, { vmId: c.vmId, jobId: c.jobId });
  }
  return [...byVm.values()];
}

/**
 * Applies exactly these planned items (a saved plan file, or the plan an operator confirmed): no
 * discovery and no new action. Each proposed action still runs only after its fresh precondition
 * read, under every guardrail (executeItem); actions already marked (refused by the caller) are
 * reported as they are. Items of one VM run one after the other.
 */
export async function applyPlannedItems(planned: PlanItem[], given: Omit<RunOptions, 'mode' | 'since'> & { notes?: RunNote[] }): Promise<RunReport> {
  // Recorded as any apply run (asRun): decisions and writes ahead (lib/execute).
  return asRun({ ...given, mode: 'apply' }, async (rc, items, notes) => {
    items.push(...planned);
    notes.push(...(given.notes ?? []));
    const exec = executeContext(rc);
    const byVm = new Map<string, PlanItem[]>();
    for (const item of planned) byVm.set(item.vmId.toLowerCase(), [...(byVm.get(item.vmId.toLowerCase()) ?? []), item]);
    await Promise.all([...byVm.values()].map((group) => rc.limit(async () => {
      for (const item of group) {
        await exec.onChange!(item);
        await executeItem(item, exec);
        await exec.onChange!(item);
      }
    })));
  });
}
