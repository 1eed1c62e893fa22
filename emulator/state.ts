// The live estate plus lookups keyed by lower-cased ARM ids, so a request never scans the estate.
// Handlers mutate the spec objects in place; anything that adds or removes a resource calls the
// matching index method (or reindex() after bulk edits made from outside, e.g. by a test).
import type {
  Estate,
  JobSpec,
  LockSpec,
  ProtectedItemSpec,
  ResourceGroupSpec,
  RestorePointCollectionSpec,
  SubscriptionSpec,
  VaultSpec,
  VirtualMachineSpec,
} from './estate';

export interface RgEntry { sub: SubscriptionSpec; rg: ResourceGroupSpec; id: string }
export interface VmEntry extends RgEntry { vm: VirtualMachineSpec }
export interface RpcEntry extends RgEntry { rpc: RestorePointCollectionSpec }
export interface VaultEntry extends RgEntry { vault: VaultSpec }
export interface ProtectedItemEntry {
  vault: VaultEntry;
  item: ProtectedItemSpec;
  /** VM coordinates taken from vmId (the VM itself may be gone). */
  vmSubscriptionId: string;
  vmResourceGroup: string;
  vmName: string;
  containerName: string; // IaasVMContainer;iaasvmcontainerv2;<rg>;<vm>
  itemName: string; // VM;iaasvmcontainerv2;<rg>;<vm>
  id: string;
}

/** Lock scopes that are not part of the estate file's shape (vaults, extensions, ...). */
export interface ExtraLockScope { id: string; locks: LockSpec[] }

export interface ProtectedItemRuntime { lastBackupStatus?: string; lastBackupTime?: string }

const lc = (s: string) => s.toLowerCase();

export function vmIdOf(subId: string, rg: string, name: string): string {
  return `/subscriptions/${subId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
}
export function rgIdOf(subId: string, rg: string): string {
  return `/subscriptions/${subId}/resourceGroups/${rg}`;
}
export function rpcIdOf(subId: string, rg: string, name: string): string {
  return `/subscriptions/${subId}/resourceGroups/${rg}/providers/Microsoft.Compute/restorePointCollections/${name}`;
}
export function vaultIdOf(subId: string, rg: string, name: string): string {
  return `/subscriptions/${subId}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/${name}`;
}

/** Split a VM id into its parts without validating anything else (the estate validator did). */
export function vmParts(vmId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const p = vmId.split('/').filter((s) => s !== '');
  return { subscriptionId: p[1] ?? '', resourceGroup: p[3] ?? '', name: p[7] ?? p[p.length - 1] ?? '' };
}

export class EmulatorState {
  readonly subscriptions = new Map<string, SubscriptionSpec>();
  readonly resourceGroups = new Map<string, RgEntry>();
  readonly vms = new Map<string, VmEntry>();
  readonly rpcs = new Map<string, RpcEntry>();
  readonly rpcsByVm = new Map<string, RpcEntry[]>();
  readonly vaults = new Map<string, VaultEntry>();
  readonly jobs = new Map<string, Map<string, JobSpec>>(); // vault id → job name → job
  readonly protectedItems = new Map<string, ProtectedItemEntry>(); // vault id|item name
  readonly protectedItemsByVm = new Map<string, ProtectedItemEntry[]>();
  readonly extraLocks = new Map<string, ExtraLockScope>();
  readonly protectedItemRuntime = new Map<string, ProtectedItemRuntime>(); // protected item id (lower)
  readonly tenantId: string;

  constructor(readonly estate: Estate, tenantId: string) {
    this.tenantId = estate.tenantId ?? tenantId;
    this.reindex();
  }

  reindex(): void {
    this.subscriptions.clear();
    this.resourceGroups.clear();
    this.vms.clear();
    this.rpcs.clear();
    this.rpcsByVm.clear();
    this.vaults.clear();
    this.jobs.clear();
    this.protectedItems.clear();
    this.protectedItemsByVm.clear();
    for (const sub of this.estate.subscriptions) {
      this.subscriptions.set(lc(sub.id), sub);
      for (const rg of sub.resourceGroups) this.indexResourceGroup(sub, rg);
    }
  }

  indexResourceGroup(sub: SubscriptionSpec, rg: ResourceGroupSpec): RgEntry {
    const entry: RgEntry = { sub, rg, id: rgIdOf(sub.id, rg.name) };
    this.resourceGroups.set(lc(entry.id), entry);
    for (const vm of rg.virtualMachines) this.vms.set(lc(vmIdOf(sub.id, rg.name, vm.name)), { sub, rg, vm, id: vmIdOf(sub.id, rg.name, vm.name) });
    for (const rpc of rg.restorePointCollections) this.indexRpc(sub, rg, rpc);
    for (const vault of rg.vaults) {
      const ve: VaultEntry = { sub, rg, vault, id: vaultIdOf(sub.id, rg.name, vault.name) };
      this.vaults.set(lc(ve.id), ve);
      const jobs = new Map<string, JobSpec>();
      for (const j of vault.jobs) jobs.set(lc(j.name), j);
      this.jobs.set(lc(ve.id), jobs);
      for (const item of vault.protectedItems) this.indexProtectedItem(ve, item);
    }
    return entry;
  }

  indexRpc(sub: SubscriptionSpec, rg: ResourceGroupSpec, rpc: RestorePointCollectionSpec): RpcEntry {
    const e: RpcEntry = { sub, rg, rpc, id: rpcIdOf(sub.id, rg.name, rpc.name) };
    this.rpcs.set(lc(e.id), e);
    const k = lc(rpc.sourceVmId);
    const list = this.rpcsByVm.get(k) ?? [];
    list.push(e);
    this.rpcsByVm.set(k, list);
    return e;
  }

  removeRpc(e: RpcEntry): void {
    this.rpcs.delete(lc(e.id));
    const list = this.rpcsByVm.get(lc(e.rpc.sourceVmId));
    if (list) {
      const i = list.indexOf(e);
      if (i >= 0) list.splice(i, 1);
    }
    const i = e.rg.restorePointCollections.indexOf(e.rpc);
    if (i >= 0) e.rg.restorePointCollections.splice(i, 1);
  }

  indexProtectedItem(ve: VaultEntry, item: ProtectedItemSpec): ProtectedItemEntry {
    const vp = vmParts(item.vmId);
    const vmEntry = this.vms.get(lc(item.vmId));
    const rgName = vmEntry?.rg.name ?? vp.resourceGroup;
    const vmName = vmEntry?.vm.name ?? vp.name;
    const containerName = `IaasVMContainer;iaasvmcontainerv2;${rgName.toLowerCase()};${vmName.toLowerCase()}`;
    const itemName = `VM;iaasvmcontainerv2;${rgName.toLowerCase()};${vmName.toLowerCase()}`;
    const e: ProtectedItemEntry = {
      vault: ve,
      item,
      vmSubscriptionId: vp.subscriptionId,
      vmResourceGroup: rgName,
      vmName,
      containerName,
      itemName,
      id: `${ve.id}/backupFabrics/Azure/protectionContainers/${containerName}/protectedItems/${itemName}`,
    };
    this.protectedItems.set(`${lc(ve.id)}|${lc(itemName)}`, e);
    const k = lc(item.vmId);
    const list = this.protectedItemsByVm.get(k) ?? [];
    list.push(e);
    this.protectedItemsByVm.set(k, list);
    return e;
  }

  subscription(id: string): SubscriptionSpec | undefined {
    return this.subscriptions.get(lc(id));
  }
  resourceGroup(subId: string, rg: string): RgEntry | undefined {
    return this.resourceGroups.get(lc(rgIdOf(subId, rg)));
  }
  vm(subId: string, rg: string, name: string): VmEntry | undefined {
    return this.vms.get(lc(vmIdOf(subId, rg, name)));
  }
  vmById(id: string): VmEntry | undefined {
    return this.vms.get(lc(id.replace(/\/+$/, '')));
  }
  rpc(subId: string, rg: string, name: string): RpcEntry | undefined {
    return this.rpcs.get(lc(rpcIdOf(subId, rg, name)));
  }
  rpcsOfVm(vmId: string): RpcEntry[] {
    return this.rpcsByVm.get(lc(vmId)) ?? [];
  }
  vault(subId: string, rg: string, name: string): VaultEntry | undefined {
    return this.vaults.get(lc(vaultIdOf(subId, rg, name)));
  }
  job(vault: VaultEntry, name: string): JobSpec | undefined {
    return this.jobs.get(lc(vault.id))?.get(lc(name));
  }
  addJob(vault: VaultEntry, job: JobSpec): void {
    vault.vault.jobs.push(job);
    let m = this.jobs.get(lc(vault.id));
    if (!m) this.jobs.set(lc(vault.id), (m = new Map()));
    m.set(lc(job.name), job);
  }
  /** Drops a job from its vault (the service ages jobs out, or a vault is rebuilt): its GET then answers 404. */
  removeJob(vault: VaultEntry, name: string): JobSpec | undefined {
    const job = this.job(vault, name);
    if (!job) return undefined;
    const i = vault.vault.jobs.indexOf(job);
    if (i >= 0) vault.vault.jobs.splice(i, 1);
    this.jobs.get(lc(vault.id))?.delete(lc(name));
    return job;
  }
  protectedItem(vault: VaultEntry, itemName: string): ProtectedItemEntry | undefined {
    return this.protectedItems.get(`${lc(vault.id)}|${lc(itemName)}`);
  }
  protectedItemsOfVm(vmId: string): ProtectedItemEntry[] {
    return this.protectedItemsByVm.get(lc(vmId)) ?? [];
  }

  /** Subscriptions whose id the path names, or every subscription for tenant-level calls. */
  allVms(): IterableIterator<VmEntry> {
    return this.vms.values();
  }
}
