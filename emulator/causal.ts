// The causal model behind Backup Now (estate-format.md, "Behaviour the emulator owes"): a job
// starts InProgress and, when the simulated clock passes backupDurationSeconds, ends with the
// outcome the estate implies *at that moment*. With backupDurationSeconds 0 the job still starts
// InProgress and ends at the next request to the emulator or the next clock.advance(), whichever
// comes first (both run due clock events).
import { randomUUID } from 'node:crypto';
import type { JobSpec, LockSpec, RestorePointCollectionSpec, ResourceGroupSpec } from './estate';
import { SIMULATED_FAILURES, type SimulatedFailure } from './error-codes';
import { guestFailure } from './guest';
import { blockingScopes } from './locks';
import { isSnapshotExtension } from './serialize';
import type { EmulatorRuntime } from './runtime';
import type { ProtectedItemEntry, RpcEntry, VmEntry } from './state';

export const MAX_RESTORE_POINTS = 18;

export function isBackupRunning(rt: EmulatorRuntime, item: ProtectedItemEntry): JobSpec | undefined {
  const vmId = item.item.vmId.toLowerCase();
  return item.vault.vault.jobs.find((j) => j.status === 'InProgress' && j.operation === 'Backup' && j.vmId.toLowerCase() === vmId);
}

export function triggerBackup(rt: EmulatorRuntime, item: ProtectedItemEntry): JobSpec {
  const now = rt.clock.now();
  const job: JobSpec = {
    name: randomUUID(),
    vmId: item.item.vmId,
    operation: 'Backup',
    status: 'InProgress',
    startTime: now.toISOString(),
    activityId: randomUUID(),
    isUserTriggered: true,
    extendedInfo: { tasksList: [{ taskId: 'Take Snapshot', status: 'InProgress' }, { taskId: 'Transfer data to vault', status: 'NotStarted' }], propertyBag: {} },
  };
  rt.state.addJob(item.vault, job);
  const durationMs = rt.state.estate.simulation.backupDurationSeconds * 1000;
  rt.clock.schedule(now.getTime() + durationMs, () => finishBackup(rt, item, job));
  return job;
}

function fail(rt: EmulatorRuntime, item: ProtectedItemEntry, job: JobSpec, kind: SimulatedFailure): void {
  const info = SIMULATED_FAILURES[kind];
  job.status = 'Failed';
  job.errorDetails = [{ errorCode: info.errorCode, errorTitle: '', errorString: info.errorString, recommendations: info.recommendations }];
  job.extendedInfo = { tasksList: [{ taskId: 'Take Snapshot', status: 'Failed' }, { taskId: 'Transfer data to vault', status: 'Cancelled' }], propertyBag: {}, dynamicErrorMessage: info.errorString };
  rt.state.protectedItemRuntime.set(item.id.toLowerCase(), { ...rt.state.protectedItemRuntime.get(item.id.toLowerCase()), lastBackupStatus: 'Failed' });
}

/** Locks that keep old points of this collection from being pruned (the collection, its RG, its subscription). */
function pruneBlocked(rt: EmulatorRuntime, c: RpcEntry): boolean {
  return blockingScopes(rt.state, c.id, 'delete').length > 0;
}

export function finishBackup(rt: EmulatorRuntime, item: ProtectedItemEntry, job: JobSpec): void {
  if (job.status !== 'InProgress') return; // cancelled meanwhile
  const now = rt.clock.now();
  job.endTime = now.toISOString();
  const vm = rt.state.vmById(item.item.vmId);
  if (!vm) return fail(rt, item, job, 'ResourceNotFound');
  const v = vm.vm;
  if (v.agent.status !== 'Ready' || v.powerState !== 'running') return fail(rt, item, job, 'UserErrorGuestAgentStatusUnavailable');
  if (!v.outboundConnectivity) return fail(rt, item, job, 'ExtensionSnapshotFailedNoNetwork');
  const snap = v.extensions.find(isSnapshotExtension);
  if (snap && (snap.provisioningState === 'Failed' || snap.provisioningState === 'Deleting')) return fail(rt, item, job, 'ExtensionOperationFailedForManagedDisks');
  const inGuest = guestFailure(v);
  if (inGuest) return fail(rt, item, job, inGuest);

  const collections = rt.state.rpcsOfVm(vm.id);
  const total = collections.reduce((n, c) => n + c.rpc.restorePoints.length, 0);
  if (total >= MAX_RESTORE_POINTS && collections.some((c) => pruneBlocked(rt, c))) return fail(rt, item, job, 'UserErrorRpCollectionLimitReached');

  const target = collections[0] ?? createCollection(rt, vm);
  target.rpc.restorePoints.push({ name: randomUUID(), timeCreated: now.toISOString() });
  prune(rt, vm);
  if (!snap) {
    const linux = v.os === 'Linux';
    v.extensions.push({ name: linux ? 'VMSnapshotLinux' : 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: linux ? 'VMSnapshotLinux' : 'VMSnapshot', provisioningState: 'Succeeded', typeHandlerVersion: '1.0' });
  }
  job.status = 'Completed';
  job.errorDetails = [];
  job.extendedInfo = { tasksList: [{ taskId: 'Take Snapshot', status: 'Completed' }, { taskId: 'Transfer data to vault', status: 'Completed' }], propertyBag: {} };
  rt.state.protectedItemRuntime.set(item.id.toLowerCase(), { lastBackupStatus: 'Completed', lastBackupTime: now.toISOString() });
}

/** Drop the oldest points across the VM's collections until at most 18 remain. */
function prune(rt: EmulatorRuntime, vm: VmEntry): void {
  const cols = rt.state.rpcsOfVm(vm.id);
  let total = cols.reduce((n, c) => n + c.rpc.restorePoints.length, 0);
  while (total > MAX_RESTORE_POINTS) {
    let oldest: { c: RestorePointCollectionSpec; i: number; t: number } | undefined;
    for (const c of cols) {
      c.rpc.restorePoints.forEach((p, i) => {
        const t = Date.parse(p.timeCreated);
        if (!oldest || t < oldest.t) oldest = { c: c.rpc, i, t };
      });
    }
    if (!oldest) return;
    oldest.c.restorePoints.splice(oldest.i, 1);
    total--;
  }
}

/** `AzureBackup_<vm>_<digits>` in `AzureBackupRG_<location>_1`, both created when absent. */
function createCollection(rt: EmulatorRuntime, vm: VmEntry): RpcEntry {
  const location = vm.vm.location ?? vm.rg.location;
  const rgName = `AzureBackupRG_${location}_1`;
  let rgE = rt.state.resourceGroup(vm.sub.id, rgName);
  if (!rgE) {
    const rg: ResourceGroupSpec = { name: rgName, location, tags: {}, locks: [] as LockSpec[], virtualMachines: [], restorePointCollections: [], vaults: [] };
    vm.sub.resourceGroups.push(rg);
    rgE = rt.state.indexResourceGroup(vm.sub, rg);
  }
  const digits = String(Math.floor(rt.clock.nowMs() * 1000 + Math.random() * 1000)).slice(-15);
  const rpc: RestorePointCollectionSpec = { name: `AzureBackup_${vm.vm.name}_${digits}`, sourceVmId: vm.id, restorePoints: [], locks: [], location };
  rgE.rg.restorePointCollections.push(rpc);
  return rt.state.indexRpc(vm.sub, rgE.rg, rpc);
}
