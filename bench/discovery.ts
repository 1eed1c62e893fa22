// `npm run bench:discovery`: discovery alone (no diagnosis, no writes), REST per vault against Resource
// Graph, over the bench's generated estate in the in-process emulator with ARM throttling and latency.
// For each scope it prints wall time, ARM requests (by kind, 429s) and what was found, so the default
// path of lib/discover/index.ts (`defaultPath`) can be checked against measurements. See bench/README.md.

import { createArmContext, type ArmContext } from '../lib/arm/clients';
import { sameId } from '../lib/arm/ids';
import { defaultPath, discoverFailures, type DiscoveryResult, type DiscoveryScope } from '../lib/discover';
import { discoverGraph } from '../lib/discover/graph';
import { staticTokenCredential } from '../emulator/credential';
import type { Emulator } from '../emulator/index';
import { sdkClientOptions } from '../emulator/sdk-options';
import { startBenchEstate } from './estate';
import { parseBenchOptions } from './options';

type Options = ReturnType<typeof options>;

function options(argv: string[]) {
  return parseBenchOptions(
    argv,
    'usage: npm run bench:discovery -- [--vms 10000] [--vaults 50] [--subscriptions 5] [--failure-rate 0.05]\n' +
      '                                  [--latency 20] [--throttling arm|off] [--seed 1] [--repeat 3] [--json]\n',
    { repeat: { default: '3', min: 1 } },
  );
}

interface Measurement {
  scope: string;
  path: 'rest' | 'graph';
  /** Whether lib/discover picks this path for the scope by default. */
  isDefault: boolean;
  /** Median wall time over the repeats, and every repeat. */
  wallSeconds: number;
  runs: number[];
  requests: number;
  throttled: number;
  byKind: Record<string, number>;
  candidates: number;
  skipped: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(
  emu: Emulator,
  o: Options,
  label: { scope: string; path: 'rest' | 'graph'; isDefault: boolean },
  discover: () => Promise<DiscoveryResult>,
): Promise<Measurement> {
  const runs: number[] = [];
  let last: { result: DiscoveryResult; records: ReturnType<Emulator['requests']['all']> } | undefined;
  for (let i = 0; i < o.repeat; i++) {
    // Every repeat starts from full budgets: fresh ARM token buckets, and a fresh Resource Graph
    // quota window (wall-clock, 15 queries per 5 s per principal).
    await sleep(5_100);
    emu.setThrottling(o.throttling);
    emu.requests.reset();
    const t0 = performance.now();
    const result = await discover();
    runs.push((performance.now() - t0) / 1000);
    last = { result, records: emu.requests.all().filter((r) => r.category !== 'token') };
  }
  const records = last!.records;
  const byKind: Record<string, number> = {};
  for (const r of records) {
    const k = `${r.method} ${r.category}${r.throttled ? ' (429)' : ''}`;
    byKind[k] = (byKind[k] ?? 0) + 1;
  }
  return {
    ...label,
    wallSeconds: median(runs),
    runs,
    requests: records.length,
    throttled: records.filter((r) => r.throttled).length,
    byKind,
    candidates: last!.result.candidates.length,
    skipped: last!.result.skipped.length,
  };
}

/**
 * Resource Graph cannot be asked for "one VM" more narrowly than by its subscription with the query the
 * engine uses, so the graph figure for a VM (or vault) scope is that subscription's query, filtered here.
 * (The engine never does this: a targeted scope goes over REST because the graph lags ARM.)
 */
async function graphNarrowed(arm: ArmContext, subscriptionId: string, keep: (c: { vmId: string; vaultId: string }) => boolean, since: Date, now: Date): Promise<DiscoveryResult> {
  const r = await discoverGraph(arm, { subscriptions: [subscriptionId] }, { since, now });
  return { ...r, candidates: r.candidates.filter(keep), skipped: r.skipped.filter((s) => keep({ vmId: s.vmId, vaultId: s.jobId.split('/backupJobs/')[0]! })) };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const emu = await startBenchEstate(o);
  try {
    const sdk = sdkClientOptions(emu);
    const arm = createArmContext({ endpoint: emu.endpoint, credential: staticTokenCredential(), ca: emu.ca, retry: sdk.retryOptions });
    const now = emu.clock.now();
    const since = new Date(now.getTime() - 24 * 3_600_000); // the default look-back
    const subscriptions = emu.state.estate.subscriptions.map((s) => s.id);
    // One failed VM of the first subscription, and its vault: the targeted scopes.
    const all = await discoverFailures(arm, { subscriptions: [subscriptions[0]!] }, { since, now, path: 'rest' });
    const target = all.candidates[0]!;
    log(`bench:discovery: ${o.vms} VMs in ${o.vaults} vaults over ${o.subscriptions} subscriptions, throttling ${o.throttling}, ` +
      `latency ${o.latencyMs} ms, ${o.repeat} repeat(s) per figure; one-VM scope: ${target.vmId.split('/').pop()}`);

    const scopes: { name: string; scope: DiscoveryScope; graph: () => Promise<DiscoveryResult> }[] = [
      { name: `subscriptions (${subscriptions.length})`, scope: { subscriptions }, graph: () => discoverFailures(arm, { subscriptions }, { since, now, path: 'graph' }) },
      { name: 'one subscription', scope: { subscriptions: [subscriptions[0]!] }, graph: () => discoverFailures(arm, { subscriptions: [subscriptions[0]!] }, { since, now, path: 'graph' }) },
      { name: 'one vault', scope: { vaultId: target.vaultId }, graph: () => graphNarrowed(arm, subscriptions[0]!, (c) => sameId(c.vaultId, target.vaultId), since, now) },
      { name: 'one VM', scope: { vmId: target.vmId }, graph: () => graphNarrowed(arm, subscriptions[0]!, (c) => sameId(c.vmId, target.vmId), since, now) },
    ];
    const results: Measurement[] = [];
    for (const s of scopes) {
      const def = defaultPath(s.scope);
      results.push(await measure(emu, o, { scope: s.name, path: 'rest', isDefault: def === 'rest' }, () => discoverFailures(arm, s.scope, { since, now, path: 'rest' })));
      results.push(await measure(emu, o, { scope: s.name, path: 'graph', isDefault: def === 'graph' }, s.graph));
      log(`  ${s.name}: done`);
    }
    if (o.json) {
      process.stdout.write(JSON.stringify({ options: o, results }, null, 2) + '\n');
      return;
    }
    const out = process.stdout;
    out.write('\nscope                path   default  wall (median)  runs                   requests  429s  found (candidates / skipped)  by kind\n');
    for (const m of results) {
      out.write(
        `${m.scope.padEnd(20)} ${m.path.padEnd(6)} ${(m.isDefault ? 'yes' : '').padEnd(8)} ${`${m.wallSeconds.toFixed(2)} s`.padEnd(14)} ` +
          `${m.runs.map((r) => r.toFixed(2)).join(' / ').padEnd(22)} ${String(m.requests).padEnd(9)} ${String(m.throttled).padEnd(5)} ` +
          `${`${m.candidates} / ${m.skipped}`.padEnd(29)} ${JSON.stringify(m.byKind)}\n`,
      );
    }
  } finally {
    await emu.stop();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:discovery failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
