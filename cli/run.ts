// `plan` and `apply`: validate every input, pick the target and the ledger, run the engine once
// (or plan → confirm → apply on a terminal), print the report, and choose the exit code.

import { ConfigError, loadSettings, type Settings } from '../lib/config';
import { applyPlannedItems, runRemediation, summarize } from '../lib/engine';
import { reconcilePlan, type PlanFile } from '../lib/plan-file';
import { createLogger, type Logger, type LogSink } from '../lib/log';
import { renderReport, type OutputFormat } from '../lib/report';
import type { PlanItem, RunMode, RunNote, RunReport } from '../lib/types';
import { asAccessError } from './azure-errors';
import { confirm } from './confirm';
import { EXIT, UsageError } from './exit-codes';
import type { CliIo } from './io';
import { createProgress } from './progress';
import { parseSince, resolveScope, type ResolvedScope, type ScopeFlags } from './scope';
import { checkSavedPlan, planMaxAge, readPlanFlag, savedScope, writePlanOut } from './saved-plan';
import { openLedger, type LedgerHandle } from './storage';
import { azureTarget, emulatorTarget, type Target } from './target';

export interface RunFlags extends ScopeFlags {
  since?: string;
  output: OutputFormat;
  estate?: string;
  endpoint?: string;
  yes?: boolean;
  /** plan: write the plan file here. */
  out?: string;
  /** apply: execute exactly this saved plan. */
  plan?: string;
  /** apply --plan: refuse a plan older than this (default REMEDIATION_PLAN_MAX_AGE, else 24h). */
  maxPlanAge?: string;
  quiet?: boolean;
  verbose?: boolean;
}

/** Resources a command opened; main closes them on exit and on Ctrl-C. */
export type Cleanup = (fn: () => Promise<void>) => void;

/** Warnings and errors as readable lines on stderr; everything as JSON lines with --verbose. */
export function cliLogger(io: CliIo, opts: { quiet?: boolean; verbose?: boolean }): Logger {
  const sink: LogSink = {
    write(record) {
      if (opts.verbose) {
        io.stderr.write(JSON.stringify(record) + '\n');
      } else if (!opts.quiet && record.level !== 'info') {
        const where = typeof record.vmId === 'string' ? ` (${record.vmId.split('/').pop()})` : '';
        io.stderr.write(`${record.level}: ${record.msg}${where}\n`);
      }
    },
  };
  return createLogger(sink);
}

export function loadCliSettings(env: Record<string, string | undefined>, mode: RunMode, sinceMs?: number): Settings {
  let settings: Settings;
  try {
    settings = loadSettings(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  // The command decides the mode: `plan` never writes whatever REMEDIATION_MODE says.
  settings.mode = mode === 'apply' ? 'apply' : 'dry-run';
  if (sinceMs !== undefined) settings.lookbackMs = sinceMs;
  return settings;
}

function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint ${JSON.stringify(endpoint)}: not a URL`);
  }
  if (url.protocol !== 'https:') throw new UsageError(`--endpoint ${JSON.stringify(endpoint)}: must be an https:// URL`);
  return endpoint;
}

/** Fills an empty scope and rejects subscriptions the target does not have, before any run starts. */
async function finalScope(resolved: ResolvedScope, settings: Settings, target: Target): Promise<ResolvedScope> {
  let r = resolved;
  if (!r.scope.vmId && !r.scope.vaultId && !r.scope.subscriptions) {
    const subs = settings.subscriptions.length > 0 ? settings.subscriptions : target.knownSubscriptions ?? [];
    if (subs.length === 0) {
      throw new UsageError('no scope: give --subscription <id> (repeatable), --vault <id> or --vm <id>, or set REMEDIATION_SUBSCRIPTIONS');
    }
    r = { scope: { subscriptions: subs }, subscriptions: subs, label: `subscription${subs.length > 1 ? 's' : ''} ${subs.join(', ')}` };
  }
  if (target.knownSubscriptions) {
    const unknown = r.subscriptions.filter((s) => !target.knownSubscriptions!.includes(s));
    if (unknown.length > 0) {
      throw new UsageError(`unknown subscription ${unknown.join(', ')}: the estate has ${target.knownSubscriptions.join(', ') || 'none'}`);
    }
  } else {
    for (const sub of r.subscriptions) await checkSubscription(target, sub);
  }
  return r;
}

/** One cheap read per subscription so a typo fails with a clear message instead of an empty report. */
async function checkSubscription(target: Target, sub: string): Promise<void> {
  try {
    await target.arm.resources(sub).resourceGroups.list({ top: 1 }).byPage().next();
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    const code = (e as { code?: string }).code;
    // Not signed in, expired, wrong tenant, no role: one line with the fix (cli/azure-errors.ts).
    const access = asAccessError(e, sub);
    if (access) throw access;
    if (status === 404) throw new UsageError(`unknown subscription ${sub}: ARM answered ${code ?? '404'}`);
    throw e;
  }
}

/** 3 when a write failed or a verification escalated or expired: a human must look. */
export function exitCodeOf(report: RunReport): number {
  const failed = report.items.some(
    (i) => i.actions.some((a) => a.status === 'failed') || i.verification?.outcome === 'escalated' || i.verification?.outcome === 'expired',
  );
  return failed ? EXIT.completedWithFailures : EXIT.ok;
}

export function proposedWrites(report: RunReport): number {
  return report.items.reduce((n, i) => n + i.actions.filter((a) => (a.status ?? 'proposed') === 'proposed').length, 0);
}

/** Everything a plan or apply works with, opened and checked before the first engine call. */
interface Prepared {
  mode: RunMode;
  flags: RunFlags;
  io: CliIo;
  settings: Settings;
  target: Target;
  scope: ResolvedScope;
  store: LedgerHandle;
  log: Logger;
  since: Date;
  saved?: PlanFile;
}

async function prepare(mode: RunMode, flags: RunFlags, io: CliIo, cleanup: Cleanup): Promise<Prepared | number> {
  // Everything the user typed is checked before anything is started or requested.
  const resolved = resolveScope(flags);
  const sinceMs = flags.since !== undefined ? parseSince(flags.since) : undefined;
  const settings = loadCliSettings(io.env, mode, sinceMs);
  if (flags.estate !== undefined && flags.endpoint !== undefined) {
    throw new UsageError('--estate and --endpoint cannot be combined: --estate runs an in-process emulator');
  }
  const saved = flags.plan !== undefined ? readPlanFlag(flags, resolved) : undefined;
  const maxAgeMs = planMaxAge(flags, io.env);
  if (flags.out !== undefined && mode !== 'plan') throw new UsageError('--out is for plan; apply a saved plan with --plan <file>');
  const endpoint = flags.endpoint !== undefined ? checkEndpoint(flags.endpoint) : settings.armEndpoint;
  if (mode === 'apply' && !flags.yes && io.stdin.isTTY !== true) {
    io.stderr.write('apply: refusing to write without confirmation: stdin is not a terminal; pass --yes to apply non-interactively\n');
    return EXIT.notConfirmed;
  }

  const target = flags.estate !== undefined ? await emulatorTarget(flags.estate) : azureTarget(endpoint);
  cleanup(() => target.close());
  if (target.emulator) io.onEmulator?.(target.emulator);
  // A saved plan is checked (target, scope, age) before any ARM request.
  if (saved) checkSavedPlan(saved, flags.plan!, { now: target.now(), maxAgeMs, target: target.planTarget });
  const scope = await finalScope(saved ? savedScope(saved) : resolved, settings, target);
  const store: LedgerHandle = await openLedger(io.env, { prefix: settings.ledgerPrefix, now: target.now });
  cleanup(() => store.close());
  const log = cliLogger(io, flags);
  if (!flags.quiet) io.stderr.write(`${mode}: ${scope.label} via ${target.description}; ${store.description}${saved ? `; saved plan ${flags.plan}` : ''}\n`);
  const since = saved ? new Date(saved.since) : new Date(target.now().getTime() - settings.lookbackMs);
  return { mode, flags, io, settings, target, scope, store, log, since, saved };
}

async function runEngine(p: Prepared, m: RunMode): Promise<RunReport> {
  const progress = createProgress(p.io.stderr, { quiet: p.flags.quiet });
  try {
    return await runRemediation({ mode: m, scope: p.scope.scope, since: p.since, settings: { ...p.settings, mode: m === 'apply' ? 'apply' : 'dry-run' }, ...engineCommon(p, progress) });
  } finally {
    progress.done();
  }
}

function engineCommon(p: Prepared, progress: { report(msg: string): void }) {
  const t = p.target;
  return { arm: t.arm, ledger: p.store.ledger, log: p.log, trigger: 'cli' as const, onProgress: (msg: string) => progress.report(msg), now: t.now, verifyWait: t.verifyWait, verifyPollIntervalMs: t.verifyPollIntervalMs };
}

/** Executes exactly `items` (the plan shown, or a saved plan reconciled with a fresh one). */
async function runPlanned(p: Prepared, items: PlanItem[], notes: RunNote[]): Promise<RunReport> {
  const progress = createProgress(p.io.stderr, { quiet: p.flags.quiet });
  try {
    return await applyPlannedItems(items, { scope: p.scope.scope, settings: { ...p.settings, mode: 'apply' }, notes, ...engineCommon(p, progress) });
  } finally {
    progress.done();
  }
}

/** Shows a plan (stderr for json/html, whose stdout is the final report alone) and asks, unless --yes. */
async function confirmed(p: Prepared, shown: RunReport): Promise<number | undefined> {
  const { io, flags } = p;
  const width = io.stdout.columns;
  if (flags.output === 'json' || flags.output === 'html') io.stderr.write(renderReport(shown, 'table', { width }));
  else io.stdout.write(renderReport(shown, flags.output, { width }));
  const writes = proposedWrites(shown);
  if (writes === 0) {
    io.stderr.write('Nothing to apply: the plan proposes no write.\n');
    return EXIT.ok;
  }
  if (flags.yes) return undefined;
  if (!(await confirm(io, `Apply ${writes} write${writes === 1 ? '' : 's'} to ${p.scope.label}?`))) {
    io.stderr.write('apply: not confirmed; nothing was written\n');
    return EXIT.notConfirmed;
  }
  return undefined;
}

export async function runCommand(mode: RunMode, flags: RunFlags, io: CliIo, cleanup: Cleanup): Promise<number> {
  const p = await prepare(mode, flags, io, cleanup);
  if (typeof p === 'number') return p;
  const width = io.stdout.columns;
  let report: RunReport;
  if (mode === 'plan') {
    report = await runEngine(p, 'plan');
    if (flags.out !== undefined) writePlanOut(flags.out, report, p);
  } else if (p.saved) {
    // A fresh read-only plan of the same scope tells which saved actions still rest on the same facts.
    const { items, notes } = reconcilePlan(p.saved, await runEngine(p, 'plan'));
    const shown: RunReport = { mode: 'plan', runId: p.saved.planRunId, startedAt: p.saved.createdAt, finishedAt: p.saved.createdAt, schemaVersion: 1, items, summary: summarize(items), notes };
    if (!flags.yes) {
      const stop = await confirmed(p, shown);
      if (stop !== undefined) return stop;
    }
    report = await runPlanned(p, items, notes);
  } else if (!flags.yes) {
    // Interactive: the plan shown is the plan executed (each write still after its fresh precondition read).
    const shown = await runEngine(p, 'plan');
    const stop = await confirmed(p, shown);
    if (stop !== undefined) return stop;
    report = await runPlanned(p, shown.items.map(asProposal), shown.notes ?? []);
  } else {
    report = await runEngine(p, 'apply');
  }
  io.stdout.write(renderReport(report, flags.output, { width }));
  return exitCodeOf(report);
}

/** A shown plan item as the apply executes it: its own copy, so the shown report is left as it was. */
const asProposal = (item: PlanItem): PlanItem => ({ ...item, actions: item.actions.map((a) => ({ ...a })), findings: [...item.findings] });
