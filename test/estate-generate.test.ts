import { readFileSync } from 'node:fs';
import { generateEstate } from '../emulator/generate';
import { sampleEstatePath } from '../emulator/sample';
import { FAILURE_KINDS, MAX_RESTORE_POINTS, OPT_OUT_TAG } from '../emulator/scenarios';
import { validateEstate } from '../emulator/validate';
import type { Estate, JobSpec, VirtualMachineSpec } from '../emulator/estate';

function vmsOf(e: Estate): { id: string; vm: VirtualMachineSpec; subLocked: boolean }[] {
  return e.subscriptions.flatMap((s) =>
    s.resourceGroups.flatMap((rg) =>
      rg.virtualMachines.map((vm) => ({ id: `/subscriptions/${s.id}/resourceGroups/${rg.name}/providers/Microsoft.Compute/virtualMachines/${vm.name}`, vm, subLocked: s.locks.length > 0 })),
    ),
  );
}
const jobsOf = (e: Estate): JobSpec[] => e.subscriptions.flatMap((s) => s.resourceGroups.flatMap((rg) => rg.vaults.flatMap((v) => v.jobs)));
const codesOf = (e: Estate) => new Set(jobsOf(e).flatMap((j) => (j.errorDetails ?? []).map((d) => d.errorCode ?? `msg:${d.errorString}`)));

describe('generateEstate', () => {
  const opts = { subscriptions: 2, vaultsPerSubscription: 2, vmsPerVault: 30, failureRate: 0.5, seed: 7 };

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateEstate(opts)).toEqual(generateEstate(opts));
    expect(JSON.stringify(generateEstate({ ...opts, seed: 8 }))).not.toEqual(JSON.stringify(generateEstate(opts)));
  });

  it('builds N subscriptions x vaults x VMs that the estate validator accepts, with every VM protected', () => {
    const estate = validateEstate(generateEstate(opts));
    const vms = vmsOf(estate);
    expect(estate.subscriptions).toHaveLength(2);
    expect(vms).toHaveLength(2 * 2 * 30);
    const groups = estate.subscriptions[0]!.resourceGroups.filter((rg) => rg.virtualMachines.length > 0);
    expect(groups.length).toBeGreaterThan(1); // VMs are spread over resource groups
    const protectedIds = new Set(estate.subscriptions.flatMap((s) => s.resourceGroups.flatMap((rg) => rg.vaults.flatMap((v) => v.protectedItems.map((p) => p.vmId.toLowerCase())))));
    for (const { id } of vms) expect(protectedIds.has(id.toLowerCase())).toBe(true);
    // one collection per VM, tied by sourceVmId, never beyond the limit
    const collections = estate.subscriptions.flatMap((s) => s.resourceGroups.flatMap((rg) => rg.restorePointCollections));
    expect(new Set(collections.map((c) => c.sourceVmId.toLowerCase()))).toEqual(new Set(vms.map((v) => v.id.toLowerCase())));
    for (const c of collections) expect(c.restorePoints.length).toBeLessThanOrEqual(MAX_RESTORE_POINTS);
    // the last subscription carries a subscription lock; the first does not
    expect(estate.subscriptions[1]!.locks.map((l) => l.level)).toEqual(['CanNotDelete']);
    expect(estate.subscriptions[0]!.locks).toEqual([]);
  });

  it('fails exactly round(total x failureRate) VMs, spread over every failure kind, within 24 h of now', () => {
    const estate = validateEstate(generateEstate(opts));
    const now = new Date(estate.now!).getTime();
    const failedVms = new Set(jobsOf(estate).filter((j) => j.status === 'Failed').map((j) => j.vmId.toLowerCase()));
    expect(failedVms.size).toBe(60);
    for (const j of jobsOf(estate).filter((x) => x.status === 'Failed')) {
      const age = now - new Date(j.startTime).getTime();
      expect(age).toBeGreaterThan(0);
      expect(age).toBeLessThan(24 * 3600_000);
    }
    const codes = codesOf(estate);
    for (const code of ['ExtensionOperationFailedForManagedDisks', 'ExtentionOperationFailed', 'UserErrorRpCollectionLimitReached', 'UserErrorGuestAgentStatusUnavailable',
      'ExtensionSnapshotFailedNoNetwork', 'BackUpOperationFailedV2', 'UserErrorBackupOperationInProgress', 'UserErrorKeyvaultPermissionsNotConfigured',
      'UserErrorSomethingNobodyDocumented', 380008]) {
      expect(codes).toContain(code);
    }
    const messageOnly = [...codes].filter((c) => typeof c === 'string' && c.startsWith('msg:'));
    expect(messageOnly).toHaveLength(5); // cs, ru, pt, zh and the 2016 English sentence
    expect(vmsOf(estate).some((v) => v.vm.tags[OPT_OUT_TAG.name] === OPT_OUT_TAG.value)).toBe(true);
    // fix applied, cause remains: a failed snapshot extension on a VM without outbound connectivity
    expect(vmsOf(estate).some((v) => !v.vm.outboundConnectivity && v.vm.extensions.some((x) => x.type.startsWith('VMSnapshot') && x.provisioningState === 'Failed'))).toBe(true);
    // restore-point limit behind a collection lock and behind a locked AzureBackupRG group
    const rgs = estate.subscriptions[0]!.resourceGroups;
    expect(rgs.some((rg) => rg.restorePointCollections.some((c) => c.locks.length > 0 && c.restorePoints.length === MAX_RESTORE_POINTS))).toBe(true);
    expect(rgs.some((rg) => rg.locks.length > 0 && rg.restorePointCollections.every((c) => c.restorePoints.length === MAX_RESTORE_POINTS))).toBe(true);
    // backup-in-progress: a later InProgress job for the same VM
    expect(jobsOf(estate).some((j) => j.status === 'InProgress')).toBe(true);
  });

  it('deals every kind once there are enough failures, and none at rate 0', () => {
    const e = generateEstate({ subscriptions: 1, vaultsPerSubscription: 1, vmsPerVault: FAILURE_KINDS.length, failureRate: 1 });
    expect(validateEstate(e)).toBeDefined();
    expect(new Set(FAILURE_KINDS).size).toBe(FAILURE_KINDS.length);
    expect(FAILURE_KINDS).toContain('extension-failed-no-network');
    const vms = e.subscriptions[0]!.resourceGroups.flatMap((rg) => rg.virtualMachines);
    const stuckOffline = vms.filter((v) => !v.outboundConnectivity && v.extensions.some((x) => x.provisioningState === 'Failed'));
    expect(stuckOffline).toHaveLength(1);
    const clean = validateEstate(generateEstate({ ...opts, failureRate: 0 }));
    expect(jobsOf(clean).filter((j) => j.status !== 'Completed')).toEqual([]);
  });

  it('rejects bad options', () => {
    expect(() => generateEstate({ ...opts, subscriptions: 0 })).toThrow(/subscriptions must be an integer >= 1/);
    expect(() => generateEstate({ ...opts, failureRate: 1.5 })).toThrow(/failureRate/);
    expect(() => generateEstate({ ...opts, now: 'yesterday' })).toThrow(/now is not a date/);
  });

  it('generates and validates 10,000 VMs quickly', () => {
    const t0 = performance.now();
    const raw = generateEstate({ subscriptions: 4, vaultsPerSubscription: 5, vmsPerVault: 500, failureRate: 0.1, seed: 3 });
    const t1 = performance.now();
    const estate = validateEstate(JSON.parse(JSON.stringify(raw)));
    const t2 = performance.now();
    expect(vmsOf(estate)).toHaveLength(10_000);
    // Generous bounds: this guards against accidental quadratic work, not a benchmark (bench/emulator.ts
    // measures; jest workers share two cores with the other suites).
    expect(t1 - t0).toBeLessThan(5000);
    expect(t2 - t1).toBeLessThan(15000);
  });
});

describe('sample estate', () => {
  const raw = JSON.parse(readFileSync(sampleEstatePath(), 'utf8'));
  const estate = validateEstate(JSON.parse(JSON.stringify(raw)));
  const byName = new Map(vmsOf(estate).map((v) => [v.vm.name, v]));
  const jobsFor = (vm: string) => jobsOf(estate).filter((j) => j.vmId.toLowerCase().endsWith(`/virtualmachines/${vm}`));
  const collectionsOf = (vm: string) =>
    estate.subscriptions.flatMap((s) => s.resourceGroups.flatMap((rg) => rg.restorePointCollections.filter((c) => c.sourceVmId.toLowerCase() === byName.get(vm)!.id.toLowerCase()).map((c) => ({ c, rg, s }))));

  it('has the VMs the demo story names', () => {
    for (const n of ['vm-ext-stuck', 'vm-ext-nonet', 'vm-rp-limit', 'vm-rp-locked', 'vm-sub-locked', 'vm-agent-down', 'vm-no-network', 'vm-internal', 'vm-in-progress', 'vm-recovered',
      'web1', 'web10', 'vm-optout', 'vm-unknown', 'vm-cs', 'vm-ru', 'vm-pt', 'vm-zh', 'vm-2016', 'vm-offline']) {
      expect(byName.has(n)).toBe(true);
    }
  });

  it('ties the prefix trap by sourceVmId: web1 at the limit, web10 below it', () => {
    const [w1] = collectionsOf('web1');
    const [w10] = collectionsOf('web10');
    expect(w1!.c.restorePoints).toHaveLength(18);
    expect(w10!.c.restorePoints.length).toBeLessThan(18);
    expect(w10!.c.name.startsWith('AzureBackup_web1')).toBe(true); // the trap: a name-prefix match would hit it
  });

  it('puts locks at each scope the story needs', () => {
    expect(collectionsOf('vm-rp-locked')[0]!.rg.locks[0]!.level).toBe('CanNotDelete');
    expect(collectionsOf('vm-rp-limit')[0]!.rg.locks).toEqual([]);
    expect(collectionsOf('vm-sub-locked')[0]!.s.locks[0]!.level).toBe('CanNotDelete');
  });

  it('fails each story VM within the last 24 h with the signal it needs', () => {
    const now = new Date(estate.now!).getTime();
    const failed = jobsOf(estate).filter((j) => j.status === 'Failed');
    for (const j of failed) expect(now - new Date(j.startTime).getTime()).toBeLessThan(24 * 3600_000);
    expect(jobsFor('vm-ext-stuck')[0]!.errorDetails![0]!.errorCode).toBe('ExtensionOperationFailedForManagedDisks');
    expect(byName.get('vm-ext-stuck')!.vm.extensions[0]!.provisioningState).toBe('Failed');
    // The escalation story: the extension the engine will remove is not the only cause, the network is too.
    expect(jobsFor('vm-ext-nonet')[0]!.errorDetails![0]!.errorCode).toBe('ExtensionOperationFailedForManagedDisks');
    expect(byName.get('vm-ext-nonet')!.vm.extensions[0]!.provisioningState).toBe('Failed');
    expect(byName.get('vm-ext-nonet')!.vm.outboundConnectivity).toBe(false);
    expect(byName.get('vm-ext-nonet')!.vm.agent.status).toBe('Ready');
    expect(jobsFor('vm-offline')[0]!.errorDetails![0]!.errorCode).toBe(380008);
    expect(jobsFor('vm-2016')[0]!.errorDetails![0]).toEqual({ errorTitle: '', errorString: 'Could not communicate with the VM agent for snapshot status - Snapshot VM sub task timed out', recommendations: [] });
    for (const vm of ['vm-cs', 'vm-ru', 'vm-pt', 'vm-zh']) expect(jobsFor(vm)[0]!.errorDetails![0]!.errorCode).toBeUndefined();
    expect(jobsFor('vm-in-progress').map((j) => j.status)).toEqual(['Failed', 'InProgress']);
    expect(jobsFor('vm-recovered').map((j) => j.status)).toEqual(['Failed', 'Completed']);
    expect(byName.get('vm-optout')!.vm.tags['backup-remediation']).toBe('off');
  });
});
