// Named fact readers: what diagnosis (and, through it, each action's planning rule) may know about a
// VM, one reader per fact. A run shares one FactCache, so what many VMs have in common is read once
// per run, at the widest level where one request answers them all: every lock of a subscription
// (one list), the tags of every resource group of a subscription (one list), the restore point
// collections and protected items of the run's VMs (Resource Graph), the running backups of a vault. Callers ask
// per VM or per resource; how a reader answers is this module's business alone.
import type { VirtualMachine, VirtualMachineExtension, VirtualMachineInstanceView } from '@azure/arm-compute';
import type { EffectiveNetworkSecurityGroup, EffectiveRoute } from '@azure/arm-network';
import type { ArmContext } from '../arm/clients';
import { httpStatusOf, isNotFound } from '../arm/errors';
import { parseVaultId, parseVmId, sameId, type VmRef } from '../arm/ids';
import { listAllSubscriptionLocks, locksCovering, type LockRef } from '../arm/locks';
import { ThrottledError } from '../arm/pacing';
import { runningBackupKey, runningBackupsNow } from '../rules/running-backup';
import { runningBackupsOfVaults } from './running-backups';
import { collectionsOfVms, fileBySource, sourceKey, summaryOf, type RpcSummary } from './collections';
import { protectedItemsOfVault, protectedItemsOfVms } from './protected-items';

/** The facts an action's planning rule (or a catalogue cause check) can ask diagnosis for. */
export type FactName =
  | 'vm'
  | 'instance-view'
  | 'resource-group-tags'
  | 'protected-items'
  | 'running-backups'
  | 'extensions'
  /** Locks covering the snapshot extension resource. */
  | 'extension-locks'
  /** The VM's restore point collections, their points and the locks covering them. */
  | 'restore-points'
  /** The VM's primary NIC, its effective security rules and effective routes (read-only POSTs). */
  | 'network';

export type { RpcSummary } from './collections';

/** A read that failed for another reason than throttling: what was read, and how it failed. */
export class FactReadError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'FactReadError';
  }
}

function describeFailure(what: string, e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return `${what}: ${httpStatusOf(e) ?? ''} ${typeof code === 'string' ? code : ''} ${(e as Error)?.message ?? String(e)}`.replace(/\s+/g, ' ').trim();
}

/** Runs a read; throttling passes through (the caller re-queues), any other failure becomes a FactReadError naming `what`. */
async function named<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof ThrottledError || e instanceof FactReadError) throw e;
    throw new FactReadError([describeFailure(what, e)]);
  }
}

/** The per-run cache behind the readers: one promise per shared read. */
export interface FactCache {
  once<T>(key: string, read: () => Promise<T>): Promise<T>;
}

export function createFactCache(): FactCache {
  const cache = new Map<string, Promise<unknown>>();
  return {
    once<T>(key: string, read: () => Promise<T>): Promise<T> {
      let p = cache.get(key) as Promise<T> | undefined;
      if (!p) {
        p = read();
        cache.set(key, p);
      }
      return p;
    },
  };
}

/** The fact readers for one VM (and the vault of its failed job). Each read is made at most once per VM. */
export interface VmFacts {
  readonly ref: VmRef;
  /** The VM with its instance view; undefined when ARM answers 404. */
  vm(): Promise<VirtualMachine | undefined>;
  instanceView(): Promise<VirtualMachineInstanceView | undefined>;
  /** Extension resources: the VM GET's `resources` when it has them, else the extensions list. */
  extensions(): Promise<{ list: VirtualMachineExtension[]; source: 'vm-resources' | 'extensions-list' }>;
  resourceGroupTags(): Promise<Record<string, string>>;
  /** Protected items of the job's vault whose source is this VM. */
  protectedItems(): Promise<string[]>;
  /** A backup of this VM runs in the job's vault now (InProgress or Cancelling; how it is read: sharedReads.runningOfVault). */
  runningBackup(): Promise<boolean>;
  restorePointCollections(): Promise<RpcSummary[]>;
  restorePointCount(collection: RpcSummary): Promise<number>;
  /** Locks covering a resource of this VM's subscription (subscription, group, parent, itself). */
  locksCovering(resourceId: string): Promise<LockRef[]>;
  /** The NIC the VM's outbound traffic leaves by: the one marked primary, else the only one. */
  primaryNetworkInterface(): Promise<string | undefined>;
  /** The NSGs in force on the NIC (its own and its subnet's) with their effective rules. */
  effectiveSecurityGroups(nicId: string): Promise<EffectiveNetworkSecurityGroup[]>;
  effectiveRoutes(nicId: string): Promise<EffectiveRoute[]>;
}

export interface FactReaders {
  forVm(vmId: string, vaultId: string): VmFacts;
}

/** Per-subscription and per-group reads shared by every VM of the run. */
function sharedReads(arm: ArmContext, cache: FactCache, now: Date, graph: Pick<FactReaderOptions, 'graphVmIds' | 'graphVaultIds'>) {
  const graphVmIds = graph.graphVmIds ?? [];
  const graphVms = new Set(graphVmIds.map(sourceKey));
  const graphSubs = subscriptionsOf(graphVmIds);
  // A vault's items may sit in another subscription than its VMs: the items query covers both.
  const itemSubs = [...new Set([...graphSubs, ...subscriptionsOf(graph.graphVaultIds ?? [])])];
  return {
    rgTags: async (sub: string, rg: string): Promise<Record<string, string>> => {
      const listed = (await cache.once(`rgs|${sub}`, () => named('resource groups', () => resourceGroupTagsOf(arm, sub)))).get(rg.toLowerCase());
      // A group the list did not show (created since, or not there): its own GET answers, or says why not.
      return listed ?? cache.once(`rg|${sub}|${rg.toLowerCase()}`, () => named('resource group tags', async () => (await arm.resources(sub).resourceGroups.get(rg)).tags ?? {}));
    },
    /**
     * The VM's collections: through Resource Graph for the run's known VMs (one query over all their
     * subscriptions answers every one of them), else every collection of the subscription over ARM.
     */
    collectionsOf: async (sub: string, vmId: string): Promise<RpcSummary[]> => {
      const bySource = graphVms.has(sourceKey(vmId))
        ? await cache.once('rpcs|graph', () => named('restore point collections (Resource Graph)', () => collectionsOfVms(arm, graphSubs, [...graphVms])))
        : await cache.once(`rpcs|${sub}`, () => named('restore point collections', () => collectionsBySource(arm, sub)));
      return bySource.get(sourceKey(vmId)) ?? [];
    },
    /** Every lock of the subscription (its own, its groups', its resources'): one list answers every resource in it. */
    subscriptionLocks: (sub: string) => cache.once(`locks|all|${sub}`, () => named('locks of the subscription', () => listAllSubscriptionLocks(arm, sub))),
    /** The vault's items that claim the VM: through Resource Graph for the run's known VMs, else the vault's list over ARM. */
    protectedItemsOf: async (vaultId: string, vmId: string): Promise<{ id: string; sourceId: string }[]> => {
      const items = graphVms.has(sourceKey(vmId))
        ? ((await cache.once('items|graph', () => named('protected items (Resource Graph)', () => protectedItemsOfVms(arm, itemSubs, graphVmIds)))).get(vaultId.toLowerCase()) ?? [])
        : await cache.once(`items|${vaultId.toLowerCase()}`, () => named('protected items', () => protectedItemsOfVault(arm, vaultId)));
      return items.filter((i) => sameId(i.sourceId, vmId));
    },
    /**
     * The vault's running VM backups (keys): for a Resource Graph run, from the run's one Graph query
     * for all its vaults (lib/facts/running-backups.ts); else the vault's two ARM lists.
     */
    runningOfVault: (vaultId: string) =>
      cache.once(`running|${vaultId.toLowerCase()}`, () => named('backup jobs in progress', async () => {
        if (graphVmIds.length === 0) return new Set((await runningBackupsNow(arm, parseVaultId(vaultId), now)).keys());
        const all = await cache.once('running|graph', () => runningBackupsOfVaults(arm, itemSubs, now));
        return new Set(all.get(vaultId.toLowerCase())?.keys() ?? []);
      })),
  };
}

/** Tags of every resource group of the subscription, by lower-case name: one list instead of a GET per group. */
async function resourceGroupTagsOf(arm: ArmContext, sub: string): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for await (const g of arm.resources(sub).resourceGroups.list()) if (g.name) out.set(g.name.toLowerCase(), g.tags ?? {});
  return out;
}

async function collectionsBySource(arm: ArmContext, sub: string): Promise<Map<string, RpcSummary[]>> {
  const bySource = new Map<string, RpcSummary[]>();
  for await (const c of arm.compute(sub).restorePointCollections.listAll()) {
    const summary = summaryOf({ id: c.id, name: c.name, sourceId: c.source?.id });
    if (summary) fileBySource(bySource, summary);
  }
  return bySource;
}

function subscriptionsOf(ids: string[]): string[] {
  return [...new Set(ids.map((id) => /^\/subscriptions\/([^/]+)\//i.exec(id)?.[1]?.toLowerCase()).filter((x): x is string => Boolean(x)))];
}

function memo<T>(read: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= read());
}

export interface FactReaderOptions {
  now: Date;
  cache?: FactCache;
  /**
   * The VMs the run will diagnose, when discovery found them through Resource Graph: their restore
   * point collections and protected items are then read through Resource Graph too (one query each
   * for all of them), not by paging through every collection of the subscription and every item of
   * each vault.
   */
  graphVmIds?: string[];
  /** The vaults of those VMs' failed jobs: their protected items are read through Resource Graph too. */
  graphVaultIds?: string[];
}

export function createFactReaders(arm: ArmContext, opts: FactReaderOptions): FactReaders {
  const shared = sharedReads(arm, opts.cache ?? createFactCache(), opts.now, opts);
  return {
    forVm(vmId: string, vaultId: string): VmFacts {
      const ref = parseVmId(vmId);
      const sub = ref.subscriptionId;
      const compute = arm.compute(sub);
      // Not cached per run: a second failed job of the same VM plans on what the first one left.
      const vm = memo(() => named('virtual machine', () => compute.virtualMachines.get(ref.resourceGroup, ref.name, { expand: 'instanceView' }).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      })));
      const extensions = memo(async () => {
        const resources = (await vm())?.resources;
        if (resources) return { list: resources.filter((x) => (x.type ?? '').toLowerCase() === 'microsoft.compute/virtualmachines/extensions'), source: 'vm-resources' as const };
        const list = await named('extensions', async () => (await compute.virtualMachineExtensions.list(ref.resourceGroup, ref.name)).value ?? []);
        return { list, source: 'extensions-list' as const };
      });
      const locksOf = async (resourceId: string) => locksCovering(resourceId, await shared.subscriptionLocks(sub));
      return {
        ref,
        vm,
        instanceView: async () => (await vm())?.instanceView,
        extensions,
        resourceGroupTags: () => shared.rgTags(sub, ref.resourceGroup),
        protectedItems: async () => (await shared.protectedItemsOf(vaultId, ref.id)).map((i) => i.id),
        runningBackup: async () => (await shared.runningOfVault(vaultId)).has(runningBackupKey(ref)),
        restorePointCollections: () => shared.collectionsOf(sub, ref.id),
        restorePointCount: (c) =>
          named(`restore points of ${c.name}`, async () => (await compute.restorePointCollections.get(c.resourceGroup, c.name, { expand: 'restorePoints' })).restorePoints?.length ?? 0),
        locksCovering: locksOf,
        ...networkReaders(arm, vm),
      };
    },
  };
}

/** A NIC id of the VM's own network profile, parsed; never matched by name. */
function nicRef(nicId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/networkInterfaces\/([^/]+)$/i.exec(nicId);
  if (!m) throw new FactReadError([`network interface: '${nicId}' is not a network interface id`]);
  return { subscriptionId: m[1], resourceGroup: m[2], name: m[3] };
}

/**
 * The network readers. Both effective-* calls are POST long-running operations that only read
 * (RBAC: networkInterfaces/effective…/action); each NIC is read at most once per VM.
 */
function networkReaders(arm: ArmContext, vm: () => Promise<VirtualMachine | undefined>) {
  const nsgs = new Map<string, Promise<EffectiveNetworkSecurityGroup[]>>();
  const routes = new Map<string, Promise<EffectiveRoute[]>>();
  const opts = { updateIntervalInMs: arm.lroPollIntervalMs };
  const once = <T>(map: Map<string, Promise<T>>, nicId: string, read: () => Promise<T>) => {
    const key = nicId.toLowerCase();
    if (!map.has(key)) map.set(key, read());
    return map.get(key)!;
  };
  return {
    primaryNetworkInterface: async () => {
      const nics = (await vm())?.networkProfile?.networkInterfaces ?? [];
      return (nics.find((n) => n.primary) ?? (nics.length === 1 ? nics[0] : undefined))?.id;
    },
    effectiveSecurityGroups: (nicId: string) => once(nsgs, nicId, () => named('effective security rules', async () => {
      const n = nicRef(nicId);
      return (await arm.network(n.subscriptionId).networkInterfaces.beginListEffectiveNetworkSecurityGroupsAndWait(n.resourceGroup, n.name, opts)).value ?? [];
    })),
    effectiveRoutes: (nicId: string) => once(routes, nicId, () => named('effective routes', async () => {
      const n = nicRef(nicId);
      return (await arm.network(n.subscriptionId).networkInterfaces.beginGetEffectiveRouteTableAndWait(n.resourceGroup, n.name, opts)).value ?? [];
    })),
  };
}
