// `npm run bench`: plan then apply through the real engine over a generated estate in the in-process
// emulator (ARM throttling on, 20 ms latency) with an Azurite ledger, and print what it cost:
// wall time, ARM requests by kind and by resource type, requests per remediated VM, the lower limit
// ARM's throttling puts on that work, and peak RSS. See bench/README.md for how to read the figures.

import { createArmContext } from '../lib/arm/clients';
import { loadSettings, type Settings } from '../lib/config';
import { runRemediation } from '../lib/engine';
import { createLedger } from '../lib/ledger';
import { startAzurite } from '../emulator/azurite';
import type { RunMode, RunReport } from '../lib/types';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { staticTokenCredential } from '../emulator/credential';
import type { RequestRecord } from '../emulator/index';
import { sdkClientOptions } from '../emulator/sdk-options';
import { ARM_BUDGETS, type BudgetCategory } from '../emulator/throttle';
import { digest, planFingerprint, requestLowerBound, type LowerBound } from './bounds';
import { startEmulatorProcess, type RemoteEmulator } from './emulator-process';
import { parseBenchOptions } from './options';

type BenchOptions = ReturnType<typeof options>;

function options(argv: string[]) {
  return parseBenchOptions(
    argv,
    'usage: npm run bench -- [--vms 10000] [--vaults 50] [--subscriptions 5] [--failure-rate 0.05]\n' +
      '                        [--latency 20] [--throttling arm|off] [--concurrency 16] [--seed 1] [--json]\n' +
      '                        [--graph-shape conservative|full] [--plan-out <file>] [--compare-plan <file>] [--plan-only]\n',
    { concurrency: { default: '16', min: 1 } },
  );
}

interface OwnOptions {
  graphShape: 'conservative' | 'full';
  planOut?: string;
  comparePlan?: string;
  planOnly: boolean;
  rest: string[];
}

/** The bench's own non-numeric options, taken out before the shared estate options are parsed. */
function ownOptions(argv: string[]): OwnOptions {
  const { values, tokens } = parseArgs({
    args: argv,
    strict: false,
    tokens: true,
    options: { 'graph-shape': { type: 'string' }, 'plan-out': { type: 'string' }, 'compare-plan': { type: 'string' }, 'plan-only': { type: 'boolean' } },
  });
  const mine = new Set(['graph-shape', 'plan-out', 'compare-plan', 'plan-only']);
  const drop = new Set<number>();
  for (const t of tokens ?? []) {
    if (t.kind !== 'option' || !mine.has(t.name)) continue;
    drop.add(t.index);
    if (t.value !== undefined && !t.inlineValue) drop.add(t.index + 1);
  }
  const shape = values['graph-shape'] ?? 'conservative';
  if (shape !== 'conservative' && shape !== 'full') throw new Error('--graph-shape: expected conservative or full');
  return {
    graphShape: shape,
    planOut: typeof values['plan-out'] === 'string' ? values['plan-out'] : undefined,
    comparePlan: typeof values['compare-plan'] === 'string' ? values['compare-plan'] : undefined,
    planOnly: values['plan-only'] === true,
    rest: argv.filter((_, i) => !drop.has(i)),
  };
}

/** `Microsoft.Compute/virtualMachines/extensions` from a request path; ids and names dropped. */
export function resourceTypeOf(path: string): string {
  const segs = path.split('/').filter(Boolean);
  const p = segs.map((s) => s.toLowerCase()).lastIndexOf('providers');
  if (p < 0) {
    // Subscription-level ARM paths: /subscriptions/{id}/resourcegroups[/{name}[/...]]
    const types = segs.filter((_, i) => i % 2 === 0 && i > 0);
    return types.join('/') || 'subscriptions';
  }
  const ns = segs[p + 1] ?? '?';
  const rest = segs.slice(p + 2).filter((_, i) => i % 2 === 0);
  // Names of the first provider segment are resolved case-insensitively by ARM: normalise for grouping.
  return [ns, ...rest].join('/').replace(/^microsoft\./i, 'Microsoft.');
}

function subscriptionOf(path: string): string | undefined {
  return /^\/subscriptions\/([^/]+)/i.exec(path)?.[1]?.toLowerCase();
}

const CATEGORY_BUDGET: Record<string, BudgetCategory | undefined> = { read: 'reads', write: 'writes', delete: 'deletes' };

export interface ThrottleBound {
  seconds: number;
  /** The (subscription, category) bucket that sets the bound. */
  bucket?: { subscription: string; category: BudgetCategory; count: number };
}

/**
 * The least wall time ARM's token buckets allow for these requests: each (subscription, principal,
 * category) bucket serves its burst at once, then refills at its rate; buckets drain in parallel.
 */
export function throttleBound(records: RequestRecord[]): ThrottleBound {
  const counts = new Map<string, number>();
  for (const r of records) {
    const cat = CATEGORY_BUDGET[r.category];
    const sub = subscriptionOf(r.path);
    // A throttled request took no token; its retry is counted when it is served.
    if (!cat || !sub || r.throttled) continue;
    const key = `${sub}|${r.principal ?? ''}|${cat}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let best: ThrottleBound = { seconds: 0 };
  for (const [key, count] of counts) {
    const [subscription, , category] = key.split('|') as [string, string, BudgetCategory];
    const b = ARM_BUDGETS[category];
    const seconds = Math.max(0, count - b.capacity) / b.refillPerSecond;
    if (seconds > best.seconds || !best.bucket) best = { seconds, bucket: { subscription, category, count } };
  }
  return best;
}

/** The action kind and target a write request carries out, from its method and path. */
export function writeOf(r: Pick<RequestRecord, 'method' | 'path'>): { kind: string; target: string } {
  const path = r.path.replace(/\/+$/, '');
  const m = r.method.toUpperCase();
  if (m === 'DELETE' && /\/providers\/Microsoft\.Compute\/virtualMachines\/[^/]+\/extensions\/[^/]+$/i.test(path)) {
    return { kind: 'remove-snapshot-extension', target: path.toLowerCase() };
  }
  if (m === 'DELETE' && /\/providers\/Microsoft\.Compute\/restorePointCollections\/[^/]+$/i.test(path)) {
    return { kind: 'delete-restore-point-collection', target: path.toLowerCase() };
  }
  if (m === 'POST' && /\/protectedItems\/[^/]+\/backup$/i.test(path)) {
    return { kind: 'trigger-backup', target: path.replace(/\/backup$/i, '').toLowerCase() };
  }
  return { kind: `other ${m}`, target: path.toLowerCase() };
}

export interface WriteAccounting {
  /** Distinct writes the emulator served (SDK retries of one write count once), by action kind. */
  issued: Record<string, number>;
  /** Report actions whose write reached ARM, by kind and outcome (`applied`, `failed`). */
  reported: Record<string, number>;
  /** Writes the emulator saw that no report action accounts for (should be empty). */
  unaccounted: string[];
  /** Actions the report calls applied with no write request behind them (should be empty). */
  unseen: string[];
}

/** Ties every write request the emulator served to the report action that made it, and back. */
export function accountWrites(report: RunReport, records: RequestRecord[]): WriteAccounting {
  const issued = new Map<string, string>();
  for (const r of records) {
    if (r.category !== 'write' && r.category !== 'delete') continue;
    const w = writeOf(r);
    issued.set(`${w.kind} ${w.target}`, w.kind);
  }
  const reported: Record<string, number> = {};
  const inReport = new Set<string>();
  const unseen: string[] = [];
  for (const item of report.items) {
    for (const a of item.actions) {
      // A failed action reached ARM when ARM answered it (statusCode) or its write request is on record.
      const key = `${a.kind} ${a.target.replace(/\/+$/, '').toLowerCase()}`;
      if (a.status === 'applied') {
        inReport.add(key);
        if (!issued.has(key)) unseen.push(key);
        reported[`${a.kind} applied`] = (reported[`${a.kind} applied`] ?? 0) + 1;
      } else if (a.status === 'failed' && issued.has(key)) {
        inReport.add(key);
        reported[`${a.kind} failed`] = (reported[`${a.kind} failed`] ?? 0) + 1;
      }
    }
  }
  const unaccounted = [...issued.keys()].filter((k) => !inReport.has(k));
  const byKind: Record<string, number> = {};
  for (const kind of issued.values()) byKind[kind] = (byKind[kind] ?? 0) + 1;
  return { issued: byKind, reported, unaccounted, unseen };
}

interface PhaseFigures {
  mode: RunMode;
  wallSeconds: number;
  items: number;
  proposedOrApplied: Record<string, number>;
  remediatedVms: number;
  requests: number;
  throttled: number;
  faulted: number;
  byKind: Record<string, number>;
  byResourceType: Record<string, number>;
  requestsPerRemediatedVm: number | null;
  throttleBound: ThrottleBound;
  verification: Record<string, number>;
  writes: WriteAccounting;
  /** Apply: actions that did not end `applied`, by kind, status and finding kind (why). */
  notApplied: Record<string, number>;
  /** JobDetails_Get reads of the failed jobs themselves (issue 17: at most one per failing candidate). */
  jobDetailReads: number;
  lowerBound: LowerBound;
  /** requests ÷ lower bound, wall time ÷ throttle-bound minimum (null when the bound is 0). */
  ratios: { requests: number; throttle: number | null };
  /** Canonical lines of what was proposed (plan) or done (apply), and their digest. */
  fingerprint: string[];
  digest: string;
  /** Peak RSS of the engine's process (bench + engine; the emulator runs in its own process). */
  peakRssMiB: number;
  emulatorPeakRssMiB: number;
  /** CPU seconds (user + system) of the phase: the engine's process and the emulator's. */
  cpuSeconds: { engine: number; emulator: number };
}

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

function figures(mode: RunMode, report: RunReport, records: RequestRecord[], wallMs: number, ctx: { rowsLackDetails: boolean; allowedActions: readonly string[]; emulatorPeakRssMiB: number; cpuSeconds: { engine: number; emulator: number } }): PhaseFigures {
  const counted = mode === 'plan' ? 'proposed' : 'applied';
  // A VM counts as remediated (or, for plan, as one to remediate) when at least one write is applied (proposed).
  const remediated = report.items.filter((i) => i.actions.some((a) => (a.status ?? 'proposed') === counted)).length;
  const arm = records.filter((r) => r.category !== 'token');
  const failedJobs = new Set(report.items.map((i) => i.jobId.toLowerCase()));
  const lowerBound = requestLowerBound(report, ctx);
  const bound = throttleBound(arm);
  const fingerprint = planFingerprint(report);
  return {
    mode,
    wallSeconds: wallMs / 1000,
    items: report.items.length,
    proposedOrApplied: countBy(
      report.items.flatMap((i) => i.actions.filter((a) => (a.status ?? 'proposed') === counted)),
      (a) => a.kind,
    ),
    remediatedVms: remediated,
    requests: arm.length,
    throttled: arm.filter((r) => r.throttled).length,
    faulted: arm.filter((r) => r.faulted).length,
    byKind: countBy(arm, (r) => `${r.method} ${r.category}${r.throttled ? ' (429)' : ''}`),
    byResourceType: countBy(arm, (r) => `${r.method} ${resourceTypeOf(r.path)}`),
    requestsPerRemediatedVm: remediated > 0 ? Math.round((arm.length / remediated) * 10) / 10 : null,
    throttleBound: bound,
    verification: countBy(report.items.filter((i) => i.verification), (i) => i.verification!.outcome),
    writes: accountWrites(report, arm),
    notApplied: countBy(
      report.items.flatMap((i) =>
        i.actions
          .filter((a) => (a.status ?? 'proposed') !== counted)
          .map((a) => `${a.kind} ${a.status ?? 'proposed'}${a.status === 'skipped' ? '' : ` (${i.findings[i.findings.length - 1]?.kind ?? '-'})`}`),
      ),
      (k) => k,
    ),
    jobDetailReads: arm.filter((r) => r.method === 'GET' && failedJobs.has(r.path.toLowerCase())).length,
    lowerBound,
    ratios: {
      requests: Math.round((arm.length / Math.max(1, lowerBound.total)) * 100) / 100,
      throttle: bound.seconds > 0 ? Math.round((wallMs / 1000 / bound.seconds) * 100) / 100 : null,
    },
    fingerprint,
    digest: digest(fingerprint),
    // maxRSS is the process's high-water mark (KiB): the apply figure includes the plan's peak.
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    emulatorPeakRssMiB: ctx.emulatorPeakRssMiB,
    cpuSeconds: ctx.cpuSeconds,
  };
}

function printPhase(f: PhaseFigures): void {
  const out = process.stdout;
  const pad = (s: string, n: number): string => s.padEnd(n);
  out.write(`\n--- ${f.mode} ---\n`);
  out.write(`wall time                 ${f.wallSeconds.toFixed(1)} s\n`);
  out.write(`failed jobs (items)       ${f.items}\n`);
  out.write(`VMs ${f.mode === 'plan' ? 'to remediate' : 'remediated  '}          ${f.remediatedVms}\n`);
  out.write(`writes ${f.mode === 'plan' ? 'proposed' : 'applied '}          ${JSON.stringify(f.proposedOrApplied)}\n`);
  if (f.mode === 'apply') {
    out.write(`verification              ${JSON.stringify(f.verification)}\n`);
    out.write(`writes issued (ARM saw)   ${JSON.stringify(f.writes.issued)}\n`);
    out.write(`writes in the report      ${JSON.stringify(f.writes.reported)}\n`);
    out.write(`actions not applied       ${JSON.stringify(f.notApplied)}\n`);
  }
  if (f.writes.unaccounted.length > 0 || f.writes.unseen.length > 0) {
    out.write(`WRITES NOT ACCOUNTED FOR  ${f.writes.unaccounted.length} seen by ARM without a report action, ${f.writes.unseen.length} reported without a request\n`);
    for (const k of [...f.writes.unaccounted, ...f.writes.unseen].slice(0, 20)) out.write(`  ${k}\n`);
  } else {
    out.write(`writes not accounted for  0\n`);
  }
  out.write(`ARM requests              ${f.requests} (${f.throttled} answered 429, ${f.faulted} faulted)\n`);
  out.write(`request lower bound       ${f.lowerBound.total}  → requests ÷ bound = ${f.ratios.requests}\n`);
  for (const [k, n] of Object.entries(f.lowerBound.parts)) if (n > 0) out.write(`  ${pad(k, 62)} ${n}\n`);
  out.write(`job detail reads          ${f.jobDetailReads} (JobDetails_Get of the failed jobs, at most one per item)\n`);
  out.write(`requests per ${f.mode === 'plan' ? 'VM to fix ' : 'fixed VM  '}    ${f.requestsPerRemediatedVm ?? '-'}\n`);
  const b = f.throttleBound;
  out.write(
    `throttle-bound minimum    ${b.seconds.toFixed(1)} s` +
      (b.bucket ? ` (bucket ${b.bucket.category} of subscription ${b.bucket.subscription.slice(0, 8)}…: ${b.bucket.count} requests)` : '') +
      '\n',
  );
  out.write(`wall ÷ throttle bound     ${f.ratios.throttle ?? '- (bound 0 s)'}\n`);
  out.write(`CPU time                  engine ${f.cpuSeconds.engine.toFixed(1)} s, emulator ${f.cpuSeconds.emulator.toFixed(1)} s (wall time on a shared machine follows CPU)\n`);
  out.write(`peak RSS                  engine process ${f.peakRssMiB} MiB; emulator process ${f.emulatorPeakRssMiB} MiB\n`);
  out.write(`${f.mode === 'plan' ? 'proposed' : 'done    '} digest           ${f.digest} (${f.fingerprint.length} lines)\n`);
  out.write('requests by kind:\n');
  for (const [k, n] of Object.entries(f.byKind)) out.write(`  ${pad(k, 40)} ${n}\n`);
  out.write('requests by resource type:\n');
  for (const [k, n] of Object.entries(f.byResourceType)) out.write(`  ${pad(k, 80)} ${n}\n`);
}

/**
 * The plan's garbage is collected before the apply (`npm run bench` runs node with --expose-gc): in
 * use, a plan and its apply are separate runs (a timer run is an apply alone), so the apply's peak
 * RSS should not include what the plan left for a lazy collector. Peak RSS is a high-water mark,
 * so the apply's figure still includes everything the plan kept alive.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

type Ctx = { rowsLackDetails: boolean; allowedActions: readonly string[] };

async function phase(mode: RunMode, emu: RemoteEmulator, run: (mode: RunMode) => Promise<RunReport>, ctx: Ctx): Promise<PhaseFigures> {
  await emu.resetRequests();
  const emuCpu0 = (await emu.rss()).cpuSeconds;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await run(mode);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const records = await emu.records();
  const { peakRssMiB, cpuSeconds: emuCpu1 } = await emu.rss();
  const cpuSeconds = { engine: (cpu.user + cpu.system) / 1e6, emulator: emuCpu1 - emuCpu0 };
  return figures(mode, report, records, wall, { ...ctx, emulatorPeakRssMiB: peakRssMiB, cpuSeconds });
}

/** `--plan-out` saves the plan's fingerprint; `--compare-plan` checks this run's against a saved one. */
function comparePlans(own: OwnOptions, plan: PhaseFigures, apply: PhaseFigures | undefined): { same: boolean; missing: string[]; extra: string[] } | undefined {
  const mine = { plan: plan.fingerprint, apply: apply?.fingerprint };
  if (own.planOut) writeFileSync(own.planOut, JSON.stringify(mine, null, 1));
  if (!own.comparePlan) return undefined;
  const saved = JSON.parse(readFileSync(own.comparePlan, 'utf8')) as { plan: string[]; apply?: string[] };
  const a = [...saved.plan, ...(apply && saved.apply ? saved.apply.map((l) => `apply ${l}`) : [])];
  const b = [...mine.plan, ...(apply && saved.apply ? mine.apply!.map((l) => `apply ${l}`) : [])];
  const sa = new Set(a);
  const sb = new Set(b);
  const missing = a.filter((l) => !sb.has(l));
  const extra = b.filter((l) => !sa.has(l));
  return { same: missing.length === 0 && extra.length === 0 && a.length === b.length, missing, extra };
}

async function main(): Promise<void> {
  const own = ownOptions(process.argv.slice(2));
  const o = options(own.rest);
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const tGen = performance.now();
  const emu = await startEmulatorProcess({ ...o, graphJobShape: own.graphShape });
  const azurite = await startAzurite({ silent: true });
  log(`bench: ${o.vms} VMs in ${o.vaults} vaults over ${o.subscriptions} subscriptions, ${o.failureRate * 100}% failing, ` +
    `throttling ${o.throttling}, latency ${o.latencyMs} ms, concurrency ${o.concurrency}, Resource Graph rows ${own.graphShape}; ` +
    `estate, emulator (own process) and Azurite ready in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);
  try {
    const ledger = await createLedger({ connectionString: azurite.connectionString, prefix: 'bench', now: () => emu.now() });
    const arm = createArmContext({ endpoint: emu.endpoint, credential: staticTokenCredential(), ca: emu.ca, retry: sdkClientOptions(emu).retryOptions, lroPollIntervalMs: 10 });
    const base = loadSettings({});
    // Caps sized to the estate so the bench measures the whole remediation, not the default guardrails.
    const settings: Settings = { ...base, maxVmsPerRun: o.vms, maxWritesPerKind: o.vms, concurrency: o.concurrency };
    const ctx: Ctx = { rowsLackDetails: own.graphShape === 'conservative', allowedActions: settings.allowedActions };
    let lastProgress = 0;
    const run = (mode: RunMode): Promise<RunReport> =>
      runRemediation({
        mode,
        scope: { subscriptions: emu.subscriptions },
        settings: { ...settings, mode: mode === 'apply' ? 'apply' : 'dry-run' },
        arm,
        ledger,
        trigger: 'cli',
        now: () => emu.now(),
        verifyWait: (ms) => emu.advance(ms),
        verifyPollIntervalMs: 30_000,
        onProgress: (m) => {
          if (Date.now() - lastProgress > 5000) {
            lastProgress = Date.now();
            log(`  ${mode}: ${m}`);
          }
        },
      });

    // Each phase starts with ARM's buckets full, as the throttle-bound minimum assumes: the apply
    // follows the plan by minutes in real use (a review, the next timer run), and ARM refills every
    // bucket within 20 s. Without this the apply began with what the plan had left of the busiest
    // subscription's read bucket (about 100 of 250 tokens at 10k) and was measured against a bound
    // that assumed 250. The engine's pacer forgets its estimates with them.
    const fresh = async (): Promise<void> => {
      await emu.refillBuckets();
      arm.pacer.reset();
      collectGarbage();
    };
    await fresh();
    const plan = await phase('plan', emu, run, ctx);
    if (!o.json) printPhase(plan);
    if (!own.planOnly) await fresh();
    const apply = own.planOnly ? undefined : await phase('apply', emu, run, ctx);
    const compared = comparePlans(own, plan, apply);
    if (o.json) {
      const strip = (f: PhaseFigures) => ({ ...f, fingerprint: undefined });
      process.stdout.write(JSON.stringify({ options: { ...o, graphShape: own.graphShape }, plan: strip(plan), apply: apply && strip(apply), compared }, null, 2) + '\n');
    } else {
      if (apply) printPhase(apply);
      if (compared) {
        process.stdout.write(`\nplan ${compared.same ? 'IDENTICAL to' : 'DIFFERS from'} ${own.comparePlan}` +
          (compared.same ? '\n' : `: ${compared.missing.length} line(s) missing, ${compared.extra.length} extra\n`));
        for (const l of [...compared.missing.map((x) => `- ${x}`), ...compared.extra.map((x) => `+ ${x}`)].slice(0, 20)) process.stdout.write(`  ${l}\n`);
      }
    }
  } finally {
    await azurite.stop();
    await emu.stop();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
