// The generated estate both benchmarks run on, served by an in-process emulator.

import { generateEstate } from '../emulator/generate';
import { start, type Emulator } from '../emulator/index';
import type { EstateOptions } from './options';

export function startBenchEstate(o: EstateOptions & { graphJobShape?: 'conservative' | 'full' }): Promise<Emulator> {
  const estate = generateEstate({
    subscriptions: o.subscriptions,
    vaultsPerSubscription: o.vaults / o.subscriptions,
    vmsPerVault: o.vms / o.vaults,
    failureRate: o.failureRate,
    seed: o.seed,
    throttling: o.throttling,
    latencyMs: o.latencyMs,
    graphJobShape: o.graphJobShape,
  });
  return start({ estate, port: 0 });
}
