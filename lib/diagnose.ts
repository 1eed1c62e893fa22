// Per-VM facts read from ARM, with a per-run cache so a run over many VMs reads each shared thing
// (locks of a subscription or resource group, restore point collections of a subscription, protected items
// of a vault, tags of a resource group) once.
import type { ArmContext } from './arm/clients';
import { ThrottledError } from './arm/pacing';
import { parseVaultId, parseVmId, sameId, vmOfContainerName } from './arm/ids';
import type { Candidate } from './discover/types';
import { runningBackupsOfVault } from './discover/rest';

export interface LockRef {
  id: string;
  name: string;
  level: string;
  scope: 'subscription' | 'resourceGroup' | 'resource';
  notes?: string;
}

export interface SnapshotExtensionFacts {
  /** ARM id of the extension resource (`<vmId>/extensions/<name>`); set only when the resource exists. */
  id?: string;
  name: string;
  type: string;
  publisher: string;
  provisioningState?: string;
  /**
   * Where the extension resource was read: the VM GET's `resources` (its child extensions, read with
   * the VM), the extensions list (the fallback when the VM GET carries no `resources`), or only the
   * instance view (no extension resource: nothing to delete).
   */
  source: 'vm-resources' | 'extensions-list' | 'instance-view';
  instanceViewStatus?: { code?: string; level?: string; displayStatus?: string; message?: string };
  /**
   * Locks covering the extension resource (subscription, resource group, the VM, the extension): any
   * of them makes ARM refuse its DELETE. Undefined when not read (see DiagnoseOptions.extensionLocks).
   */
  locks?: LockRef[];
}

export interface CollectionFacts {
  id: string;
  name: string;
  resourceGroup: string;
  sourceId: string;
  pointCount: number;
  locks: LockRef[];
}

export interface Diagnosis {
  vm: {
    id: string;
    exists: boolean;
    name: string;
    resourceGroup: string;
    subscriptionId: string;
    tags: Record<string, string>;
    rgTags: Record<string, string>;
    powerState?: string;
    provisioningState?: string;
    os?: 'Windows' | 'Linux';
  };
  agent: { status: 'Ready' | 'NotReady' | 'Unknown'; version?: string; message?: string };
  snapshotExtension?: SnapshotExtensionFacts;
  /** Collections whose properties.source.id is this VM (never matched by name). */
  collections: CollectionFacts[];
  totalPoints: number;
  /** Protected items in the job's vault whose source is this VM (0 = missing, >1 = ambiguous). */
  protectedItems: string[];
  backupInProgress: boolean;
  readErrors: string[];
}

// ---------- implementation ----------

export interface DiagnoseOptions {
  /**
   * Read the snapshot extension (the VM's extension list). Default true; the engine skips it when the
   * failure's catalogue entry neither fixes nor checks the extension.
   */
  extension?: boolean;
  /**
   * Read the VM's restore point collections and the locks covering them. Default true; the engine
   * skips them when the failure's catalogue entry neither fixes nor checks restore points.
   */
  collections?: boolean;
  /** Read restore point counts (GET with $expand=restorePoints per collection of the VM). Default true. */
  countPoints?: boolean;
  /**
   * Read the locks covering the snapshot extension resource (cached per subscription and resource
   * group). The engine asks for them when the failure's fix includes removing the extension. Default false.
   */
  extensionLocks?: boolean;
}

export interface Diagnoser {
  diagnose(candidate: Candidate, opts?: DiagnoseOptions): Promise<Diagnosis>;
}

const SNAPSHOT_PUBLISHER_LC = 'microsoft.azure.recoveryservices';
const SNAPSHOT_TYPES_LC = ['vmsnapshot', 'vmsnapshotlinux'];
const LOCKS_SEGMENT = '/providers/microsoft.authorization/locks/';

interface RpcSummary { id: string; name: string; resourceGroup: string; sourceId: string }
interface RawLock { id: string; name: string; level: string; notes?: string }

function statusCode(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function describe(what: string, e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return `${what}: ${statusCode(e) ?? ''} ${typeof code === 'string' ? code : ''} ${(e as Error)?.message ?? String(e)}`.replace(/\s+/g, ' ').trim();
}

/** Lock scope from its id: everything before /providers/Microsoft.Authorization/locks/. */
export function lockScopeOf(lockId: string): string | undefined {
  const i = lockId.toLowerCase().lastIndexOf(LOCKS_SEGMENT);
  return i > 0 ? lockId.slice(0, i) : undefined;
}

/** True when `scope` is a resource (deeper than the resource group) that contains `resourceId`. */
function isParentResource(scope: string, rgScope: string, resourceId: string): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return s.length > rgScope.length + 1 && resourceId.toLowerCase().startsWith(`${s}/`) && s.startsWith(`${rgScope.toLowerCase()}/providers/`);
}

/** Locks that cover a resource: at its subscription, its resource group, a parent resource or the resource itself. */
export function locksCovering(resourceId: string, locks: RawLock[]): LockRef[] {
  const ref = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(resourceId);
  if (!ref) return [];
  const subScope = `/subscriptions/${ref[1]}`;
  const rgScope = `${subScope}/resourceGroups/${ref[2]}`;
  const out: LockRef[] = [];
  const seen = new Set<string>();
  for (const l of locks) {
    const scope = lockScopeOf(l.id);
    if (!scope || seen.has(l.id.toLowerCase())) continue;
    let level: LockRef['scope'] | undefined;
    if (sameId(scope, subScope)) level = 'subscription';
    else if (sameId(scope, rgScope)) level = 'resourceGroup';
    // The resource itself or a parent resource (a lock on a VM covers its extensions).
    else if (sameId(scope, resourceId) || isParentResource(scope, rgScope, resourceId)) level = 'resource';
    if (!level) continue;
    seen.add(l.id.toLowerCase());
    out.push({ id: l.id, name: l.name, level: l.level, scope: level, ...(l.notes ? { notes: l.notes } : {}) });
  }
  return out;
}

export function createDiagnoser(arm: ArmContext, opts: { now: Date }): Diagnoser {
  const cache = new Map<string, Promise<unknown>>();
  function once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      cache.set(key, p);
    }
    return p;
  }

  const rgTags = (sub: string, rg: string) =>
    once(`rg|${sub}|${rg.toLowerCase()}`, async () => (await arm.resources(sub).resourceGroups.get(rg)).tags ?? {});

  const collectionsBySource = (sub: string) =>
    once(`rpcs|${sub}`, async () => {
      const bySource = new Map<string, RpcSummary[]>();
      for await (const c of arm.compute(sub).restorePointCollections.listAll()) {
        const src = c.source?.id;
        if (!c.id || !c.name || !src) continue;
        const m = /\/resourceGroups\/([^/]+)\//i.exec(c.id);
        const key = src.toLowerCase().replace(/\/+$/, '');
        const list = bySource.get(key) ?? [];
        list.push({ id: c.id, name: c.name, resourceGroup: m ? m[1] : '', sourceId: src });
        bySource.set(key, list);
      }
      return bySource;
    });

  const subscriptionLocks = (sub: string) =>
    once(`locks|sub|${sub}`, async () => {
      const out: RawLock[] = [];
      // atScope(): only locks at the subscription itself (and above), not every lock below it.
      for await (const l of arm.locks(sub).managementLocks.listAtSubscriptionLevel({ filter: 'atScope()' })) {
        if (l.id) out.push({ id: l.id, name: l.name ?? '', level: l.level, notes: l.notes });
      }
      return out;
    });

  const resourceGroupLocks = (sub: string, rg: string) =>
    once(`locks|rg|${sub}|${rg.toLowerCase()}`, async () => {
      const out: RawLock[] = [];
      // Includes locks on resources inside the group; scope is told apart by the lock id.
      for await (const l of arm.locks(sub).managementLocks.listAtResourceGroupLevel(rg)) {
        if (l.id) out.push({ id: l.id, name: l.name ?? '', level: l.level, notes: l.notes });
      }
      return out;
    });

  const protectedItemsOfVault = (vaultId: string) =>
    once(`items|${vaultId.toLowerCase()}`, async () => {
      const v = parseVaultId(vaultId);
      const out: { id: string; sourceId: string }[] = [];
      const pages = arm.backup(v.subscriptionId).backupProtectedItems.list(v.name, v.resourceGroup, {
        filter: "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'",
      });
      for await (const it of pages) {
        const src = (it.properties as { sourceResourceId?: string } | undefined)?.sourceResourceId;
        if (it.id && src) out.push({ id: it.id, sourceId: src });
      }
      return out;
    });

  const runningContainersOfVault = (vaultId: string) =>
    once(`running|${vaultId.toLowerCase()}`, async () => {
      // InProgress or Cancelling (a cancelled backup still holds the extension until it ends).
      const running = await runningBackupsOfVault(arm, parseVaultId(vaultId), new Date(opts.now.getTime() - 7 * 86_400_000), opts.now);
      return new Set(running.keys());
    });

  async function diagnose(candidate: Candidate, dopts: DiagnoseOptions = {}): Promise<Diagnosis> {
    const vmRef = parseVmId(candidate.vmId);
    const sub = vmRef.subscriptionId;
    const readErrors: string[] = [];
    // Throttling beyond what the pacer sits out must reach the caller (it re-queues); other read
    // failures become readErrors, which stop every write for this VM.
    const guard = async <T>(what: string, read: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await read();
      } catch (e) {
        if (e instanceof ThrottledError) throw e;
        readErrors.push(describe(what, e));
        return fallback;
      }
    };

    const d: Diagnosis = {
      vm: { id: vmRef.id, exists: false, name: vmRef.name, resourceGroup: vmRef.resourceGroup, subscriptionId: sub, tags: {}, rgTags: {} },
      agent: { status: 'Unknown' },
      collections: [],
      totalPoints: 0,
      protectedItems: [],
      backupInProgress: candidate.inProgress,
      readErrors,
    };

    // Independent reads in parallel; the shared ones are cached per run.
    const compute = arm.compute(sub);
    const vmRead = compute.virtualMachines.get(vmRef.resourceGroup, vmRef.name, { expand: 'instanceView' }).then(
      (vm) => ({ vm, missing: false }),
      (e: unknown) => {
        if (statusCode(e) === 404) return { vm: undefined, missing: true };
        throw e;
      },
    );
    const [vmResult, tags, items, running] = await Promise.all([
      guard('virtual machine', () => vmRead, { vm: undefined, missing: false }),
      guard('resource group tags', () => rgTags(sub, vmRef.resourceGroup), {} as Record<string, string>),
      guard('protected items', () => protectedItemsOfVault(candidate.vaultId), [] as { id: string; sourceId: string }[]),
      guard('backup jobs in progress', () => runningContainersOfVault(candidate.vaultId), new Set<string>()),
    ]);
    d.vm.rgTags = tags;
    d.protectedItems = items.filter((i) => sameId(i.sourceId, vmRef.id)).map((i) => i.id);
    if (running.has(`${vmRef.resourceGroup};${vmRef.name}`.toLowerCase())) d.backupInProgress = true;
    if (!vmResult.vm) return d; // missing (exists=false) or unreadable (readErrors says which)

    const vm = vmResult.vm;
    d.vm.exists = true;
    d.vm.name = vm.name ?? vmRef.name;
    d.vm.tags = vm.tags ?? {};
    d.vm.provisioningState = vm.provisioningState;
    const iv = vm.instanceView;
    const statuses = iv?.statuses ?? [];
    const power = statuses.find((s) => (s.code ?? '').toLowerCase().startsWith('powerstate/'));
    d.vm.powerState = power?.code?.split('/')[1];
    const osType = vm.storageProfile?.osDisk?.osType;
    d.vm.os = osType === 'Linux' || osType === 'Windows' ? osType : undefined;
    const agentStatus = iv?.vmAgent?.statuses?.[0];
    const display = (agentStatus?.displayStatus ?? '').toLowerCase();
    d.agent = {
      status: !agentStatus ? 'Unknown' : display === 'ready' ? 'Ready' : display.includes('not ready') || display === 'notready' || (agentStatus.code ?? '').toLowerCase().includes('unavailable') ? 'NotReady' : 'Unknown',
      version: iv?.vmAgent?.vmAgentVersion,
      message: agentStatus?.message,
    };

    // Snapshot extension: the extension resources are authoritative for deletion; the instance view
    // fills gaps. ARM's VM GET carries the VM's child extensions as `resources` (full extension
    // objects), so the separate list call is made only when the VM GET has none (an ARM that leaves
    // them out, or a VM without extensions). The write re-reads the extension before deleting it.
    const vmResources = vm.resources;
    const extensionSource: 'vm-resources' | 'extensions-list' = vmResources ? 'vm-resources' : 'extensions-list';
    const extensions = dopts.extension === false
      ? []
      : vmResources
        ? vmResources.filter((x) => (x.type ?? '').toLowerCase() === 'microsoft.compute/virtualmachines/extensions')
        : await guard('extensions', async () => (await compute.virtualMachineExtensions.list(vmRef.resourceGroup, vmRef.name)).value ?? [], []);
    const listed = extensions.find((x) => (x.publisher ?? '').toLowerCase() === SNAPSHOT_PUBLISHER_LC && SNAPSHOT_TYPES_LC.includes((x.typePropertiesType ?? '').toLowerCase()));
    const ivExt = (iv?.extensions ?? []).find((x) => {
      const t = (x.type ?? '').toLowerCase();
      return SNAPSHOT_TYPES_LC.some((s) => t === `${SNAPSHOT_PUBLISHER_LC}.${s}`) || (listed && (x.name ?? '').toLowerCase() === (listed.name ?? '').toLowerCase());
    });
    const ivHandler = (iv?.vmAgent?.extensionHandlers ?? []).find((h) => SNAPSHOT_TYPES_LC.some((s) => (h.type ?? '').toLowerCase() === `${SNAPSHOT_PUBLISHER_LC}.${s}`));
    const ivStatus = ivExt?.statuses?.[0] ?? ivHandler?.status;
    const readExtension = dopts.extension !== false;
    const statusOf = (s: typeof ivStatus) => (s ? { code: s.code, level: s.level, displayStatus: s.displayStatus, message: s.message } : undefined);
    if (!readExtension) {
      // Not asked for: leave snapshotExtension unset rather than guess from the instance view alone.
    } else if (listed && listed.id && listed.name) {
      d.snapshotExtension = {
        id: sameId(listed.id, `${vmRef.id}/extensions/${listed.name}`) ? listed.id : undefined,
        name: listed.name,
        type: listed.typePropertiesType ?? '',
        publisher: listed.publisher ?? '',
        provisioningState: listed.provisioningState,
        source: extensionSource,
        instanceViewStatus: statusOf(ivStatus),
      };
    } else if (ivExt || ivHandler) {
      const fullType = ivExt?.type ?? ivHandler?.type ?? '';
      d.snapshotExtension = {
        name: ivExt?.name ?? fullType.split('.').pop() ?? '',
        type: fullType.split('.').pop() ?? '',
        publisher: 'Microsoft.Azure.RecoveryServices',
        source: 'instance-view',
        instanceViewStatus: statusOf(ivStatus),
      };
    }

    if (dopts.extensionLocks && d.snapshotExtension?.id) {
      const [subLocks, rgLocks] = await Promise.all([
        guard('subscription locks', () => subscriptionLocks(sub), [] as RawLock[]),
        guard(`locks of resource group ${vmRef.resourceGroup}`, () => resourceGroupLocks(sub, vmRef.resourceGroup), [] as RawLock[]),
      ]);
      d.snapshotExtension.locks = locksCovering(d.snapshotExtension.id, [...subLocks, ...rgLocks]);
    }

    if (dopts.collections === false) return d;
    // Restore point collections tied to the VM by properties.source.id, never by name.
    const bySource = await guard('restore point collections', () => collectionsBySource(sub), new Map<string, RpcSummary[]>());
    const mine = bySource.get(vmRef.id.toLowerCase()) ?? [];
    if (mine.length > 0) {
      const [subLocks, ...rgLockLists] = await Promise.all([
        guard('subscription locks', () => subscriptionLocks(sub), [] as RawLock[]),
        ...[...new Map(mine.map((c) => [c.resourceGroup.toLowerCase(), c.resourceGroup])).values()].map((rg) =>
          guard(`locks of resource group ${rg}`, () => resourceGroupLocks(sub, rg), [] as RawLock[]),
        ),
      ]);
      const allLocks = [...subLocks, ...rgLockLists.flat()];
      const counts = await Promise.all(
        mine.map((c) =>
          dopts.countPoints === false
            ? Promise.resolve(0)
            : guard(`restore points of ${c.name}`, async () => (await compute.restorePointCollections.get(c.resourceGroup, c.name, { expand: 'restorePoints' })).restorePoints?.length ?? 0, 0),
        ),
      );
      d.collections = mine.map((c, i) => ({ ...c, pointCount: counts[i], locks: locksCovering(c.id, allLocks) }));
      d.totalPoints = counts.reduce((a, b) => a + b, 0);
    }
    return d;
  }

  return { diagnose };
}
