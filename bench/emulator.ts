// `node dist/bench/emulator.js`: how fast the emulator itself is, so it is never the bottleneck of a
// test or benchmark. Prints
//   - load: generating a 10,000-VM estate, validating it, and start() serving it (TLS included);
//   - GETs/s: simple authenticated GETs of a VM on loopback, latency 0, keep-alive, fixed concurrency.
// Options: --vms 10000 --requests 20000 --concurrency 32 --json

import * as https from 'node:https';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { generateEstate } from '../emulator/generate';
import { start } from '../emulator/index';
import { validateEstate } from '../emulator/validate';
import { makeJwt } from '../emulator/jwt';

export interface EmulatorBenchFigures {
  vms: number;
  generateMs: number;
  validateMs: number;
  startMs: number;
  requests: number;
  concurrency: number;
  getSeconds: number;
  getsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non200: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

export async function runEmulatorBench(opts: { vms?: number; requests?: number; concurrency?: number } = {}): Promise<EmulatorBenchFigures> {
  const vms = opts.vms ?? 10_000;
  const requests = opts.requests ?? 20_000;
  const concurrency = opts.concurrency ?? 32;
  const subscriptions = vms >= 1000 ? 4 : 1;
  const vaults = 5;
  const perVault = Math.ceil(vms / (subscriptions * vaults));

  const t0 = performance.now();
  const raw = generateEstate({ subscriptions, vaultsPerSubscription: vaults, vmsPerVault: perVault, failureRate: 0.05, seed: 1 });
  const t1 = performance.now();
  // Validation is measured on its own copy; start() validates again, as it does for any estate.
  validateEstate(JSON.parse(JSON.stringify(raw)));
  const t2 = performance.now();
  const emu = await start({ estate: raw });
  const t3 = performance.now();

  try {
    const sub = raw.subscriptions[0]!;
    const rg = sub.resourceGroups.find((g) => g.virtualMachines.length > 0)!;
    const path = `/subscriptions/${sub.id}/resourceGroups/${rg.name}/providers/Microsoft.Compute/virtualMachines/${rg.virtualMachines[0]!.name}?api-version=2024-11-01`;
    // The load generator runs in a worker thread, so client-side TLS does not share the emulator's
    // event loop (on two cores, one each).
    const load: LoadSpec = { endpoint: emu.endpoint, ca: emu.ca, path, token: makeJwt({ lifetimeSeconds: 3600 }), requests, concurrency };
    const worker = new Worker(__filename, { workerData: load });
    const result = await new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const { latencies, non200, seconds } = result;
    latencies.sort((a, b) => a - b);
    return {
      vms: subscriptions * vaults * perVault,
      generateMs: Math.round(t1 - t0),
      validateMs: Math.round(t2 - t1),
      startMs: Math.round(t3 - t2),
      requests,
      concurrency,
      getSeconds: Math.round(seconds * 100) / 100,
      getsPerSecond: Math.round(requests / seconds),
      p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
      p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
      non200,
    };
  } finally {
    await emu.stop();
  }
}

interface LoadSpec { endpoint: string; ca: string; path: string; token: string; requests: number; concurrency: number }
interface LoadResult { latencies: number[]; non200: number; seconds: number }

async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.endpoint);
  const agent = new https.Agent({ keepAlive: true, maxSockets: spec.concurrency, ca: spec.ca });
  const headers = { authorization: `Bearer ${spec.token}` };
  const latencies: number[] = [];
  let non200 = 0;
  let issued = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const began = performance.now();
      const req = https.request({ host: url.hostname, port: url.port, path: spec.path, method: 'GET', agent, headers }, (res) => {
        if (res.statusCode !== 200) non200++;
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - began);
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  const loop = async () => {
    while (issued < spec.requests) {
      issued++;
      await one();
    }
  };
  // warm up TLS sessions and the JIT before measuring
  await Promise.all(Array.from({ length: spec.concurrency }, () => one()));
  latencies.length = 0;
  non200 = 0;
  const g0 = performance.now();
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  const seconds = (performance.now() - g0) / 1000;
  agent.destroy();
  return { latencies, non200, seconds };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      vms: { type: 'string', default: '10000' },
      requests: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '32' },
      json: { type: 'boolean', default: false },
    },
  });
  const f = await runEmulatorBench({ vms: Number(values.vms), requests: Number(values.requests), concurrency: Number(values.concurrency) });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(f)}\n`);
    return;
  }
  process.stdout.write(
    [
      `emulator bench (node ${process.version})`,
      `  estate: ${f.vms} VMs  generate ${f.generateMs} ms  validate ${f.validateMs} ms  start() serving it ${f.startMs} ms (validation + TLS + indexes)`,
      `  GETs:   ${f.requests} VM GETs, concurrency ${f.concurrency}, latency 0: ${f.getSeconds} s = ${f.getsPerSecond} GETs/s  (p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, non-200 ${f.non200})`,
      '',
    ].join('\n'),
  );
  if (f.non200 > 0) process.exitCode = 1;
}

if (!isMainThread) {
  generateLoad(workerData as LoadSpec).then((r) => parentPort!.postMessage(r));
} else if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
