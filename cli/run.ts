// `plan` and `apply`: validate every input, pick the target and the ledger, run the engine once
// (or plan → confirm → apply on a terminal), print the report, and choose the exit code.

import { ConfigError, loadSettings, type Settings } from '../lib/config';
import { runRemediation } from '../lib/engine';
import { createLogger, type Logger, type LogSink } from '../lib/log';
import { renderReport, type OutputFormat } from '../lib/report';
import type { RunMode, RunReport } from '../lib/types';
import { asAccessError } from './azure-errors';
import { confirm } from './confirm';
import { EXIT, UsageError } from './exit-codes';
import type { CliIo } from './io';
import { createProgress } from './progress';
import { parseSince, resolveScope, type ResolvedScope, type ScopeFlags } from './scope';
import { openLedger, type LedgerHandle } from './storage';
import { azureTarget, emulatorTarget, type Target } from './target';

export interface RunFlags extends ScopeFlags {
  since?: string;
  output: OutputFormat;
  estate?: string;
  endpoint?: string;
  yes?: boolean;
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

/** 3 when a write failed or a verification escalated: a human must look. */
export function exitCodeOf(report: RunReport): number {
  const failed = report.items.some(
    (i) => i.actions.some((a) => a.status === 'failed') || i.verification?.outcome === 'escalated',
  );
  return failed ? EXIT.completedWithFailures : EXIT.ok;
}

export function proposedWrites(report: RunReport): number {
  return report.items.reduce((n, i) => n + i.actions.filter((a) => (a.status ?? 'proposed') === 'proposed').length, 0);
}

export async function runCommand(mode: RunMode, flags: RunFlags, io: CliIo, cleanup: Cleanup): Promise<number> {
  // Everything the user typed is checked before anything is started or requested.
  const resolved = resolveScope(flags);
  const sinceMs = flags.since !== undefined ? parseSince(flags.since) : undefined;
  const settings = loadCliSettings(io.env, mode, sinceMs);
  if (flags.estate !== undefined && flags.endpoint !== undefined) {
    throw new UsageError('--estate and --endpoint cannot be combined: --estate runs an in-process emulator');
  }
  const endpoint = flags.endpoint !== undefined ? checkEndpoint(flags.endpoint) : settings.armEndpoint;
  const askFirst = mode === 'apply' && !flags.yes;
  if (askFirst && io.stdin.isTTY !== true) {
    io.stderr.write('apply: refusing to write without confirmation: stdin is not a terminal; pass --yes to apply non-interactively\n');
    return EXIT.notConfirmed;
  }

  const target = flags.estate !== undefined ? await emulatorTarget(flags.estate) : azureTarget(endpoint);
  cleanup(() => target.close());
  if (target.emulator) io.onEmulator?.(target.emulator);
  const scope = await finalScope(resolved, settings, target);
  const store: LedgerHandle = await openLedger(io.env, { prefix: settings.ledgerPrefix, now: target.now });
  cleanup(() => store.close());
  const log = cliLogger(io, flags);
  if (!flags.quiet) io.stderr.write(`${mode}: ${scope.label} via ${target.description}; ${store.description}\n`);

  const run = async (m: RunMode): Promise<RunReport> => {
    const progress = createProgress(io.stderr, { quiet: flags.quiet });
    try {
      return await runRemediation({
        mode: m,
        scope: scope.scope,
        since: sinceMs !== undefined ? new Date(target.now().getTime() - sinceMs) : undefined,
        settings: { ...settings, mode: m === 'apply' ? 'apply' : 'dry-run' },
        arm: target.arm,
        ledger: store.ledger,
        log,
        trigger: 'cli',
        onProgress: (msg) => progress.report(msg),
        now: target.now,
        verifyWait: target.verifyWait,
        verifyPollIntervalMs: target.verifyPollIntervalMs,
      });
    } finally {
      progress.done();
    }
  };
  const width = io.stdout.columns;

  if (askFirst) {
    const plan = await run('plan');
    // With --output json or html, stdout must be the run report alone (one document): the preview goes to stderr.
    if (flags.output === 'json' || flags.output === 'html') io.stderr.write(renderReport(plan, 'table', { width }));
    else io.stdout.write(renderReport(plan, flags.output, { width }));
    const writes = proposedWrites(plan);
    if (writes === 0) {
      io.stderr.write('Nothing to apply: the plan proposes no write.\n');
      return EXIT.ok;
    }
    if (!(await confirm(io, `Apply ${writes} write${writes === 1 ? '' : 's'} to ${scope.label}?`))) {
      io.stderr.write('apply: not confirmed; nothing was written\n');
      return EXIT.notConfirmed;
    }
  }
  const report = await run(mode);
  io.stdout.write(renderReport(report, flags.output, { width }));
  return exitCodeOf(report);
}
