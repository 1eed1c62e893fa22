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
import { staticTokenCredential } from '../emulator/credential';
import type { Emulator, RequestRecord } from '../emulator/index';
import { sdkClientOptions } from '../emulator/sdk-options';
import { ARM_BUDGETS, type BudgetCategory } from '../emulator/throttle';
import { startBenchEstate } from './estate';
import { parseBenchOptions } from './options';

type BenchOptions = ReturnType<typeof options>;

function options(argv: string[]) {
  return parseBenchOptions(
    argv,
    'usage: npm run bench -- [--vms 10000] [--vaults 50] [--subscriptions 5] [--failure-rate 0.05]\n' +
      '                        [--latency 20] [--throttling arm|off] [--concurrency 16] [--seed 1] [--json]\n',
    { concurrency: { default: '16', min: 1 } },
  );
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
  peakRssMiB: number;
}

function countBy<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

function figures(mode: RunMode, report: RunReport, records: RequestRecord[], wallMs: number): PhaseFigures {
  const counted = mode === 'plan' ? 'proposed' : 'applied';
  // A VM counts as remediated (or, for plan, as one to remediate) when at least one write is applied (proposed).
  const remediated = report.items.filter((i) => i.actions.some((a) => (a.status ?? 'proposed') === counted)).length;
  const arm = records.filter((r) => r.category !== 'token');
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
    throttleBound: throttleBound(arm),
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
    // maxRSS is the process's high-water mark (KiB): the apply figure includes the plan's peak.
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
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
  out.write(`requests per ${f.mode === 'plan' ? 'VM to fix ' : 'fixed VM  '}    ${f.requestsPerRemediatedVm ?? '-'}\n`);
  const b = f.throttleBound;
  out.write(
    `throttle-bound minimum    ${b.seconds.toFixed(1)} s` +
      (b.bucket ? ` (bucket ${b.bucket.category} of subscription ${b.bucket.subscription.slice(0, 8)}…: ${b.bucket.count} requests)` : '') +
      '\n',
  );
  out.write(`peak RSS                  ${f.peakRssMiB} MiB\n`);
  out.write('requests by kind:\n');
  for (const [k, n] of Object.entries(f.byKind)) out.write(`  ${pad(k, 40)} ${n}\n`);
  out.write('requests by resource type:\n');
  for (const [k, n] of Object.entries(f.byResourceType)) out.write(`  ${pad(k, 80)} ${n}\n`);
}

async function phase(mode: RunMode, emu: Emulator, run: (mode: RunMode) => Promise<RunReport>): Promise<PhaseFigures> {
  emu.requests.reset();
  const t0 = performance.now();
  const report = await run(mode);
  const wall = performance.now() - t0;
  return figures(mode, report, emu.requests.all(), wall);
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const tGen = performance.now();
  const emu = await startBenchEstate(o);
  const azurite = await startAzurite({ silent: true });
  log(`bench: ${o.vms} VMs in ${o.vaults} vaults over ${o.subscriptions} subscriptions, ${o.failureRate * 100}% failing, ` +
    `throttling ${o.throttling}, latency ${o.latencyMs} ms, concurrency ${o.concurrency}; estate, emulator and Azurite ready in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);
  try {
    const ledger = await createLedger({ connectionString: azurite.connectionString, prefix: 'bench', now: () => emu.clock.now() });
    const sdk = sdkClientOptions(emu);
    const arm = createArmContext({ endpoint: emu.endpoint, credential: staticTokenCredential(), ca: emu.ca, retry: sdk.retryOptions, lroPollIntervalMs: 10 });
    const base = loadSettings({});
    // Caps sized to the estate so the bench measures the whole remediation, not the default guardrails.
    const settings: Settings = { ...base, maxVmsPerRun: o.vms, maxWritesPerKind: o.vms, concurrency: o.concurrency };
    const subscriptions = emu.state.estate.subscriptions.map((s) => s.id);
    let lastProgress = 0;
    const run = (mode: RunMode): Promise<RunReport> =>
      runRemediation({
        mode,
        scope: { subscriptions },
        settings: { ...settings, mode: mode === 'apply' ? 'apply' : 'dry-run' },
        arm,
        ledger,
        trigger: 'cli',
        now: () => emu.clock.now(),
        verifyWait: async (ms) => emu.clock.advance(ms),
        verifyPollIntervalMs: 30_000,
        onProgress: (m) => {
          if (Date.now() - lastProgress > 5000) {
            lastProgress = Date.now();
            log(`  ${mode}: ${m}`);
          }
        },
      });

    const plan = await phase('plan', emu, run);
    if (!o.json) printPhase(plan);
    const apply = await phase('apply', emu, run);
    if (o.json) process.stdout.write(JSON.stringify({ options: o, plan, apply }, null, 2) + '\n');
    else printPhase(apply);
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
