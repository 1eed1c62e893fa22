// End-to-end harness: one Azurite per test file, and per test a fresh emulator loaded with the
// test's own estate, a ledger with its own table prefix and an ArmContext of real SDK clients
// talking HTTPS to the emulator. Runs use the emulator's simulated clock, and verification waits
// advance that clock instead of sleeping.

import { armContextFor } from './emulator';
import { start as startEmulator, type Emulator } from '../../emulator/index';
import type { ArmContext } from '../../lib/arm/clients';
import { DEFAULT_SETTINGS, type Settings } from '../../lib/config';
import { runRemediation, type RunOptions } from '../../lib/engine';
import { createLedger, type Ledger } from '../../lib/ledger';
import { createLogger, memorySink, type MemorySink } from '../../lib/log';
import type { RunReport } from '../../lib/types';
import { useAzurite, uniquePrefix } from './azurite';

export interface Env {
  emu: Emulator;
  arm: ArmContext;
  ledger: Ledger;
  logs: MemorySink;
  settings: Settings;
  /** Runs the engine over the estate's subscriptions with this env's settings (overridable). */
  run(mode: 'plan' | 'apply', extra?: Partial<RunOptions> & { settings?: Partial<Settings> }): Promise<RunReport>;
  /** State-changing ARM requests since the last reset (the emulator's own definition). */
  writes(): { method: string; path: string; status: number }[];
}

export interface HarnessOptions {
  settings?: Partial<Settings>;
}

/** Subscription ids of a raw estate, for the run's scope. */
function subscriptionsOf(estate: unknown): string[] {
  const subs = (estate as { subscriptions?: { id: string }[] }).subscriptions ?? [];
  return subs.map((s) => s.id);
}

/**
 * Call at file level. Returns `env(estate)` to build an environment inside a test; everything it
 * starts is stopped after that test (and Azurite after the file).
 */
export function useHarness(): (estate: unknown, opts?: HarnessOptions) => Promise<Env> {
  const azurite = useAzurite();
  const started: Emulator[] = [];
  afterEach(async () => {
    while (started.length > 0) await started.pop()!.stop();
  });

  return async (estate, opts = {}) => {
    const emu = await startEmulator({ estate, port: 0 });
    started.push(emu);
    const arm = armContextFor(emu);
    const ledger = await createLedger({ connectionString: azurite().connectionString, prefix: uniquePrefix('e2e'), now: () => emu.clock.now() });
    const logs = memorySink();
    const settings: Settings = {
      ...DEFAULT_SETTINGS,
      subscriptions: subscriptionsOf(estate),
      armEndpoint: emu.endpoint,
      ...opts.settings,
    };
    const env: Env = {
      emu,
      arm,
      ledger,
      logs,
      settings,
      run: (mode, extra = {}) => {
        const { settings: overrides, ...rest } = extra;
        const runSettings: Settings = { ...settings, ...overrides, mode: mode === 'apply' ? 'apply' : 'dry-run' };
        return runRemediation({
          mode,
          scope: { subscriptions: runSettings.subscriptions },
          settings: runSettings,
          arm,
          ledger,
          log: createLogger(logs, {}, () => emu.clock.now()),
          trigger: 'cli',
          now: () => emu.clock.now(),
          verifyWait: async (ms: number) => emu.clock.advance(ms),
          ...rest,
        });
      },
      writes: () => emu.requests.writes().map((r) => ({ method: r.method, path: r.path, status: r.status })),
    };
    return env;
  };
}

/** Canonical ARM ids used by the estates in the tests. */
export const ids = {
  vm: (sub: string, rg: string, name: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`,
  extension: (sub: string, rg: string, vm: string, ext: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${vm}/extensions/${ext}`,
  collection: (sub: string, rg: string, name: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/restorePointCollections/${name}`,
  vault: (sub: string, rg: string, name: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/${name}`,
  protectedItem: (sub: string, rg: string, vault: string, vmRg: string, vm: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/${vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;${vmRg};${vm}/protectedItems/VM;iaasvmcontainerv2;${vmRg};${vm}`,
};

/** Ids compare case-insensitively in ARM; tests compare that way too. */
export function lc(s: string): string {
  return s.toLowerCase();
}

// ---- small estates -----------------------------------------------------------------------------
// One subscription, one resource group, one vault protecting every VM given. Tests spell out the
// VMs, jobs, collections and locks that matter to them; these defaults fill in the rest.

export const SUB = '11111111-1111-4111-8111-111111111111';
export const RG = 'rg-app';
export const VAULT = 'rsv-prod';
export const NOW = '2026-11-20T06:00:00Z';

export const snapshotExtension = (provisioningState = 'Succeeded') => ({
  name: 'VMSnapshot',
  publisher: 'Microsoft.Azure.RecoveryServices',
  type: 'VMSnapshot',
  provisioningState,
});

export const vmSpec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  os: 'Windows',
  extensions: [snapshotExtension()],
  ...extra,
});

export const failedJob = (
  name: string,
  vmName: string,
  errorCode: string | number,
  extra: Record<string, unknown> = {},
) => ({
  name,
  vmId: ids.vm(SUB, RG, vmName),
  operation: 'Backup',
  status: 'Failed',
  startTime: '2026-11-20T01:00:00Z',
  endTime: '2026-11-20T01:20:00Z',
  errorDetails: [{ errorCode, errorTitle: '', errorString: '', recommendations: [] }],
  ...extra,
});

export function oneVaultEstate(parts: {
  vms: { name: string }[];
  jobs: unknown[];
  collections?: unknown[];
  rgLocks?: unknown[];
  subLocks?: unknown[];
  rgTags?: Record<string, string>;
  simulation?: Record<string, unknown>;
}) {
  return {
    now: NOW,
    subscriptions: [
      {
        id: SUB,
        displayName: 'prod',
        locks: parts.subLocks ?? [],
        resourceGroups: [
          {
            name: RG,
            location: 'westeurope',
            tags: parts.rgTags ?? {},
            locks: parts.rgLocks ?? [],
            virtualMachines: parts.vms,
            restorePointCollections: parts.collections ?? [],
            vaults: [
              {
                name: VAULT,
                protectedItems: parts.vms.map((v) => ({ vmId: ids.vm(SUB, RG, v.name), policy: 'DefaultPolicy' })),
                jobs: parts.jobs,
              },
            ],
          },
        ],
      },
    ],
    ...(parts.simulation ? { simulation: parts.simulation } : {}),
  };
}
