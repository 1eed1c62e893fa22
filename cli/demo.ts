// `demo` (what `npm start` runs): the whole story on the built-in sample estate, no Azure needed.
// 1. plan: what is broken and what would be done, with zero writes; 2. apply: the writes, guarded;
// 3. approval: a guest fix waits for a human; the demo approves its own proposal (and says so), and
// the next apply runs exactly that fix and its Backup Now; 4. verification: each triggered backup
// followed to its end, then a re-run that has nothing left to do.

import { loadSettings } from '../lib/config';
import { runRemediation } from '../lib/engine';
import { renderReport, type OutputFormat } from '../lib/report';
import { vmLabel } from '../lib/report/facts';
import { fittedTable } from '../lib/report/table';
import { catalogueEntry } from '../lib/catalogue';
import type { PendingApproval, PlanItem, RunMode, RunReport } from '../lib/types';
import type { Ledger } from '../lib/ledger';
import { sampleEstatePath } from '../emulator/sample';
import { EXIT } from './exit-codes';
import type { CliIo } from './io';
import { createProgress } from './progress';
import { cliLogger, exitCodeOf, proposedWrites, type Cleanup } from './run';
import { openLedger } from './storage';
import { emulatorTarget } from './target';

export interface DemoFlags {
  estate?: string;
  output: OutputFormat;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * `rg-app/virtualMachines/vm1/extensions/VMSnapshot`, `rsv-prod/…/protectedItems/VM;…;vm1/backup`:
 * the path without what every line repeats (a protected item's name already names its container).
 */
function shortPath(path: string): string {
  return path
    .replace(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.RecoveryServices\/vaults\/([^/]+)\/backupFabrics\/[^/]+\/protectionContainers\/[^/]+\//i, '$1/…/')
    .replace(/^\/subscriptions\/[^/]+\/resourceGroups\//i, '')
    .replace(/\/providers\/[^/]+\//gi, '/');
}

function banner(io: CliIo, text: string): void {
  io.stdout.write(`\n=== ${text} ${'='.repeat(Math.max(3, 74 - text.length))}\n\n`);
}

function verificationTable(report: RunReport, width: number): string {
  const rows = report.items.filter((i) => i.verification || i.actions.some((a) => a.kind === 'trigger-backup'));
  if (rows.length === 0) return 'No backup was triggered, so there is nothing to verify.\n';
  const head = ['VM', 'Error', 'Backup job', 'Job status', 'Outcome'];
  const cells = rows.map((item) => {
    const v = item.verification;
    const backup = item.actions.find((a) => a.kind === 'trigger-backup');
    return [
      vmLabel(item.vmId),
      item.failure.code,
      (v?.jobId ?? '-').split('/').pop() ?? '-',
      v?.status ?? backup?.status ?? '-',
      v ? (v.outcome === 'escalated' && v.failureCode ? `escalated (${v.failureCode})` : v.outcome) : backup?.detail ?? 'not run',
    ];
  });
  return fittedTable(head, cells, width) + '\n';
}

/** Wraps prose at spaces to `width`, continuing with the line's own indent plus two. A URL stays whole, beside its label. */
function wrapLine(line: string, width: number): string {
  if (line.length <= width) return line;
  const lead = line.length - line.trimStart().length;
  const indent = ' '.repeat(lead + 2);
  const out: string[] = [];
  let current = line.slice(0, lead);
  let empty = true;
  for (const word of line.trimStart().split(' ')) {
    if (empty || `${current} ${word}`.length <= width || /^https?:\/\//.test(word)) {
      current = empty ? current + word : `${current} ${word}`;
      empty = false;
    } else {
      out.push(current);
      current = indent + word;
    }
  }
  out.push(current);
  return out.join('\n');
}

/** What a human should do about an item: the engine's own next steps from the latest run, else the catalogue's. */
function nextSteps(code: string | undefined, later: PlanItem | undefined): string[] {
  const fromRun = [...new Set((later?.findings ?? []).map((f) => f.nextStep).filter((s): s is string => !!s))];
  if (fromRun.length > 0) return fromRun;
  const entry = code ? catalogueEntry(code) : undefined;
  const fromCatalogue = [...new Set((entry?.causes ?? []).map((c) => c.nextStep).filter((s): s is string => !!s))];
  return fromCatalogue.length > 0 ? fromCatalogue.slice(0, 1) : ['Open the failed backup job in the vault and follow its recommendation.'];
}

/**
 * The end of the story, told honestly: fixes proven by a completed backup, fixes applied whose backup
 * failed again (escalated, with the new cause and the next step for a human), failed writes, and
 * how many items were never the remediator's to fix.
 */
export function humanSummary(applied: RunReport, again: RunReport, width = 160): string {
  const byVm = new Map(again.items.map((i) => [i.vmId.toLowerCase(), i]));
  const resolved = applied.items.filter((i) => i.verification?.outcome === 'resolved');
  const escalated = applied.items.filter((i) => i.verification?.outcome === 'escalated');
  const pending = applied.items.filter((i) => i.verification?.outcome === 'pending');
  const failed = applied.items.filter((i) => i.actions.some((a) => a.status === 'failed'));
  const handled = new Set([...escalated, ...failed].map((i) => i.vmId.toLowerCase()));
  const reportOnly = again.items.filter((i) => !handled.has(i.vmId.toLowerCase()));
  const lines: string[] = [];

  if (escalated.length > 0) {
    lines.push(`${escalated.length} fix${escalated.length === 1 ? ' was' : 'es were'} applied but the cause was not removed: the new backup failed again (escalated).`);
    for (const item of escalated) {
      const v = item.verification!;
      const done = item.actions.filter((a) => a.status === 'applied').map((a) => a.kind).join(', ') || 'no write';
      const later = byVm.get(item.vmId.toLowerCase());
      lines.push(`  ${vmLabel(item.vmId)}: ${item.failure.code} -> ${done}; backup job ${(v.jobId ?? '-').split('/').pop()} ${v.status ?? 'failed'} with ${v.failureCode ?? 'an unknown error'}.`);
      for (const step of nextSteps(v.failureCode, later)) lines.push(`    Next step: ${step}`);
      const doc = later?.failure.docUrl ?? (v.failureCode ? catalogueEntry(v.failureCode)?.docUrl : undefined);
      if (doc) lines.push(`    Docs: ${doc}`);
    }
  }
  if (failed.length > 0) {
    lines.push(`${failed.length} VM(s) had a write that failed; the rest of their plan was stopped.`);
    for (const item of failed) {
      for (const a of item.actions.filter((x) => x.status === 'failed')) {
        lines.push(`  ${vmLabel(item.vmId)}: ${a.kind} failed${a.detail ? `: ${a.detail}` : ''}`);
      }
    }
  }
  if (pending.length > 0) {
    lines.push(`${pending.length} triggered backup(s) were still running at the deadline; the next run verifies them instead of triggering another.`);
  }
  if (reportOnly.length > 0) {
    lines.push(
      `${reportOnly.length} other item(s) were reported, never written to: their fix lies in the guest, the network, a lock, ` +
        'an opt-out or an unknown code (see the Findings column; `plan --output markdown` prints each next step).',
    );
  }

  const proven = `${resolved.length} fix${resolved.length === 1 ? '' : 'es'} proven by a completed backup`;
  if (escalated.length === 0 && failed.length === 0) {
    lines.push(`${lines.length > 0 ? '\n' : ''}Done: every write succeeded, ${proven}, and nothing escalated.`);
  } else {
    const problems = [
      escalated.length > 0 ? `${escalated.length} escalated to a human (above)` : '',
      failed.length > 0 ? `${failed.length} with a failed write` : '',
    ].filter(Boolean).join(', ');
    lines.push(
      `${lines.length > 0 ? '\n' : ''}Done: ${proven}; ${problems}. \`apply\` exits ${EXIT.completedWithFailures} in this case so a pipeline calls a human; ` +
        'the demo exits 0 because this outcome is part of the sample\'s story.',
    );
  }
  // Prose reads best at no more than 100 columns, whatever the terminal's width.
  return lines.flatMap((l) => l.split('\n')).map((l) => wrapLine(l, Math.max(60, Math.min(width, 100)))).join('\n') + '\n';
}

/** The code whose guest fix the demo enables, so the sample's vm-vss-writer shows an approval round trip. */
export const DEMO_GUEST_FIX_CODES = ['ExtensionFailedVssWriterInBadState'];
/** Who the demo records as the approver: itself, named as such. */
export const DEMO_APPROVER = 'backup-remediator demo (npm start)';

/** The apply report with each VM the approved run wrote to replaced by that run's item (for the verification stage). */
function withApproved(applied: RunReport, approved: RunReport): RunReport {
  const wrote = new Map(approved.items.filter((i) => i.actions.some((a) => a.status === 'applied')).map((i) => [i.vmId.toLowerCase(), i]));
  return { ...applied, items: applied.items.map((i) => wrote.get(i.vmId.toLowerCase()) ?? i) };
}

/** Approves every pending proposal as the demo, the way `approvals approve <id> --by <name>` records a human. */
async function approveAll(ledger: Ledger, pending: readonly PendingApproval[], say: (text: string) => void): Promise<void> {
  for (const p of pending) {
    const answer = await ledger.approvals!.decide(p.id, { decision: 'approve', approver: DEMO_APPROVER, via: 'cli-flag', note: 'approved by the demo itself to show the round trip' });
    const script = p.script ? ` (script ${p.script})` : '';
    say(`  ${p.id}: ${p.action}${script} on ${vmLabel(p.vmId)} for ${p.failureCode} -> ${answer.ok ? 'approved' : `not approved: ${JSON.stringify(answer)}`}\n`);
  }
}

export async function runDemo(flags: DemoFlags, io: CliIo, cleanup: Cleanup): Promise<number> {
  const estateFile = flags.estate ?? sampleEstatePath();
  if (!flags.quiet && !flags.estate && (io.env.ARM_ENDPOINT || io.env.REMEDIATION_SUBSCRIPTIONS)) {
    io.stderr.write('demo: Azure settings are ignored; the demo only ever uses the simulated estate (run `plan` for Azure)\n');
  }
  const target = await emulatorTarget(estateFile);
  cleanup(() => target.close());
  if (target.emulator) io.onEmulator?.(target.emulator);
  const emu = target.emulator!;
  // A throwaway ledger always: simulated runs must never land in a real storage account.
  const store = await openLedger({}, { prefix: 'demo', now: target.now });
  cleanup(() => store.close());
  // Guest fixes are off by default; the demo enables one code so the sample shows an approval round trip.
  const settings = { ...loadSettings({}), guestFixCodes: DEMO_GUEST_FIX_CODES };
  const subscriptions = target.knownSubscriptions ?? [];
  const log = cliLogger(io, flags);
  const width = io.stdout.columns;

  const run = async (mode: RunMode): Promise<RunReport> => {
    const progress = createProgress(io.stderr, { quiet: flags.quiet });
    try {
      return await runRemediation({
        mode,
        scope: { subscriptions },
        settings: { ...settings, mode: mode === 'apply' ? 'apply' : 'dry-run' },
        arm: target.arm,
        ledger: store.ledger,
        log,
        trigger: 'cli',
        onProgress: (m) => progress.report(m),
        now: target.now,
        verifyWait: target.verifyWait,
        verifyPollIntervalMs: target.verifyPollIntervalMs,
      });
    } finally {
      progress.done();
    }
  };

  const prose = Math.max(60, Math.min(width ?? 160, 100));
  const say = (text: string): void => void io.stdout.write(text.split('\n').map((l) => wrapLine(l, prose)).join('\n'));
  say(
    `backup-remediator demo: a simulated Azure estate (${estateFile})\nserved over HTTPS on ${emu.endpoint}; ` +
      `${subscriptions.length} subscription(s). Nothing here touches a real subscription.\n`,
  );

  banner(io, '1/4 plan (dry-run: reads only)');
  emu.requests.reset();
  const plan = await run('plan');
  io.stdout.write(renderReport(plan, flags.output, { width }));
  say(`\nThe plan made ${emu.requests.all().length} ARM requests and ${emu.requests.writes().length} writes; it proposes ${proposedWrites(plan)} writes.\n`);

  banner(io, '2/4 apply (guarded writes, each precondition re-read first)');
  emu.requests.reset();
  const applied = await run('apply');
  io.stdout.write(renderReport(applied, flags.output, { width }));
  printWrites(io, 'The apply made', emu.requests.writes(), say);

  banner(io, '3/4 approval (a guest fix waits for a named human)');
  const pending = applied.pendingApprovals ?? [];
  say(
    `The demo enables guest fixes for ${DEMO_GUEST_FIX_CODES.join(', ')} (REMEDIATION_GUEST_FIX_CODES; off by default). ` +
      `A guest fix is never run until a human approves it: the apply left ${pending.length} proposal(s) waiting. ` +
      'In real use a named person runs `backup-remediator approvals approve <id> --by <name>` or POST /api/approvals/{id}; ' +
      `here the demo approves its own proposal, recorded as "${DEMO_APPROVER}":\n`,
  );
  await approveAll(store.ledger, pending, say);
  emu.requests.reset();
  const approved = await run('apply');
  printWrites(io, 'The next apply ran the approved fix after fresh reads (a read-only diagnostic first); it made', emu.requests.writes(), say);

  banner(io, '4/4 verification (each Backup Now followed to its job\'s end)');
  const verified = withApproved(applied, approved);
  io.stdout.write(verificationTable(verified, width ?? 160));
  emu.requests.reset();
  const again = await run('apply');
  say(
    `\nA final apply over the same estate made ${emu.requests.writes().length} writes ` +
      `(${again.items.length} item(s) still reported for a human, ${proposedWrites(again)} proposed).\n`,
  );
  banner(io, 'what is left for a human');
  io.stdout.write(humanSummary(verified, again, width));
  // Escalations are part of the story the sample tells (a cause only a human can remove), not a demo
  // failure: the demo exits 0 and says what `apply` would have exited with.
  return EXIT.ok;
}

function printWrites(io: CliIo, lead: string, writes: readonly { method: string; path: string; status: number }[], say: (text: string) => void): void {
  say(`\n${lead} ${writes.length} writes:\n`);
  for (const w of writes) say(`  ${w.method} ${shortPath(w.path)} -> ${w.status}\n`);
}
