// The diagnosis of one failed job's VM: what the planner decides on, assembled from the named fact
// readers of lib/facts (their per-run cache reads each shared thing once per run). Read failures are
// recorded, never guessed around: any of them stops every write for the VM.
import type { VirtualMachine } from '@azure/arm-compute';
import type { EffectiveNetworkSecurityGroup, EffectiveRoute } from '@azure/arm-network';
import type { ArmContext } from './arm/clients';
import { sameId } from './arm/ids';
import type { LockRef } from './arm/locks';
import type { Candidate } from './discover/types';
import { createFactReaders, FactReadError, type FactName, type FactReaderOptions, type RpcSummary, type VmFacts } from './facts';
import { isSnapshotExtension, isSnapshotExtensionFullType, SNAPSHOT_PUBLISHER } from './rules/snapshot-extension';

export type { LockRef } from './arm/locks';
export { locksCovering, lockScopeOf } from './arm/locks';

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

/**
 * The VM's primary NIC as ARM reports it in effect. Read only when a cause check asks for it and the
 * VM is running with a Ready agent (Azure computes effective rules and routes only for a running VM,
 * and the check judges nothing otherwise). A failed read is kept here, not in readErrors: these
 * facts feed a finding only, never a write, so they do not stop the item's other work.
 */
export interface NetworkFacts {
  nicId?: string;
  location?: string;
  securityGroups?: EffectiveNetworkSecurityGroup[];
  routes?: EffectiveRoute[];
  problems: string[];
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
    /** ARM's properties.vmId: tells a VM from another created later under the same resource id. */
    uniqueId?: string;
  };
  agent: { status: 'Ready' | 'NotReady' | 'Unknown'; version?: string; message?: string };
  snapshotExtension?: SnapshotExtensionFacts;
  /** Collections whose properties.source.id is this VM (never matched by name). */
  collections: CollectionFacts[];
  totalPoints: number;
  /** Protected items in the job's vault whose source is this VM (0 = missing, >1 = ambiguous). */
  protectedItems: string[];
  backupInProgress: boolean;
  /** Set when read (see NetworkFacts). */
  network?: NetworkFacts;
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
  /** Read the primary NIC's effective security rules and routes (see NetworkFacts). Default false. */
  network?: boolean;
  /**
   * Read the vault's running backups (backupInProgress). Default true; the engine skips them when the
   * failure's catalogue entry can neither write nor check them (a report-only entry), and then does
   * not let a later write rely on this read (lib/rules/running-backup.ts).
   */
  runningBackups?: boolean;
}

export interface Diagnoser {
  diagnose(candidate: Candidate, opts?: DiagnoseOptions): Promise<Diagnosis>;
}

/** The reads diagnosis makes for a set of named facts (what the planner's rules asked for). */
export function diagnoseOptionsForFacts(facts: ReadonlySet<FactName>): Required<Pick<DiagnoseOptions, 'extension' | 'collections' | 'extensionLocks' | 'network' | 'runningBackups'>> {
  return {
    extension: facts.has('extensions'), collections: facts.has('restore-points'), extensionLocks: facts.has('extension-locks'), network: facts.has('network'),
    runningBackups: facts.has('running-backups'),
  };
}

type Guard = <T>(read: Promise<T>, fallback: T) => Promise<T>;

/**
 * Throttling beyond what the pacer sits out must reach the caller (it re-queues); other read
 * failures become readErrors, which stop every write for this VM. A problem already noted in the
 * same phase (a shared list two collections both needed) is noted once.
 */
function guardInto(readErrors: string[]): Guard {
  return async <T>(read: Promise<T>, fallback: T): Promise<T> => {
    try {
      return await read;
    } catch (e) {
      if (!(e instanceof FactReadError)) throw e;
      readErrors.push(...e.problems);
      return fallback;
    }
  };
}

export function createDiagnoser(arm: ArmContext, opts: FactReaderOptions): Diagnoser {
  const readers = createFactReaders(arm, opts);
  return {
    diagnose: (candidate, dopts = {}) => diagnoseWith(readers.forVm(candidate.vmId, candidate.vaultId), candidate, dopts),
  };
}

async function diagnoseWith(facts: VmFacts, candidate: Candidate, dopts: DiagnoseOptions): Promise<Diagnosis> {
  const ref = facts.ref;
  const readErrors: string[] = [];
  const guard = guardInto(readErrors);
  const d: Diagnosis = {
    vm: { id: ref.id, exists: false, name: ref.name, resourceGroup: ref.resourceGroup, subscriptionId: ref.subscriptionId, tags: {}, rgTags: {} },
    agent: { status: 'Unknown' },
    collections: [],
    totalPoints: 0,
    protectedItems: [],
    backupInProgress: candidate.inProgress,
    readErrors,
  };
  // Independent reads in parallel; the shared ones are cached per run.
  const [vm, tags, items, running] = await Promise.all([
    guard(facts.vm(), undefined),
    guard(facts.resourceGroupTags(), {} as Record<string, string>),
    guard(facts.protectedItems(), [] as string[]),
    dopts.runningBackups === false ? false : guard(facts.runningBackup(), false),
  ]);
  d.vm.rgTags = tags;
  d.protectedItems = items;
  if (running) d.backupInProgress = true;
  if (!vm) return d; // missing (exists=false) or unreadable (readErrors says which)
  Object.assign(d, vmFacts(d.vm, vm));
  if (dopts.extension !== false) d.snapshotExtension = await readSnapshotExtension(facts, vm, guard);
  if (dopts.extensionLocks && d.snapshotExtension?.id) {
    d.snapshotExtension.locks = await guard(facts.locksCovering(d.snapshotExtension.id), []);
  }
  if (dopts.collections !== false) await readCollections(d, facts, dopts, readErrors);
  if (dopts.network && d.agent.status === 'Ready' && (d.vm.powerState ?? '').toLowerCase() === 'running') d.network = await readNetwork(facts, vm.location);
  return d;
}

/** The primary NIC of the VM's own network profile (same subscription), its effective rules and routes. */
async function readNetwork(facts: VmFacts, location: string | undefined): Promise<NetworkFacts> {
  const n: NetworkFacts = { location, problems: [] };
  const nicId = await facts.primaryNetworkInterface();
  const sub = /^\/subscriptions\/([^/]+)\//i.exec(nicId ?? '')?.[1];
  if (!nicId) return n;
  if ((sub ?? '').toLowerCase() !== facts.ref.subscriptionId.toLowerCase()) return { ...n, problems: [`network interface ${nicId} is outside the VM's subscription; not read`] };
  n.nicId = nicId;
  const guard = guardInto(n.problems);
  [n.securityGroups, n.routes] = await Promise.all([guard(facts.effectiveSecurityGroups(nicId), undefined), guard(facts.effectiveRoutes(nicId), undefined)]);
  return n;
}

/** The VM part of the diagnosis and its agent, from the VM GET with its instance view. */
function vmFacts(base: Diagnosis['vm'], vm: VirtualMachine): Pick<Diagnosis, 'vm' | 'agent'> {
  const iv = vm.instanceView;
  const power = (iv?.statuses ?? []).find((s) => (s.code ?? '').toLowerCase().startsWith('powerstate/'));
  const osType = vm.storageProfile?.osDisk?.osType;
  const agentStatus = iv?.vmAgent?.statuses?.[0];
  const display = (agentStatus?.displayStatus ?? '').toLowerCase();
  const notReady = display.includes('not ready') || display === 'notready' || (agentStatus?.code ?? '').toLowerCase().includes('unavailable');
  return {
    vm: {
      ...base,
      exists: true,
      name: vm.name ?? base.name,
      tags: vm.tags ?? {},
      provisioningState: vm.provisioningState,
      powerState: power?.code?.split('/')[1],
      os: osType === 'Linux' || osType === 'Windows' ? osType : undefined,
      uniqueId: vm.vmId,
    },
    agent: {
      status: !agentStatus ? 'Unknown' : display === 'ready' ? 'Ready' : notReady ? 'NotReady' : 'Unknown',
      version: iv?.vmAgent?.vmAgentVersion,
      message: agentStatus?.message,
    },
  };
}

/**
 * Snapshot extension: the extension resources are authoritative for deletion; the instance view
 * fills gaps. ARM's VM GET carries the VM's child extensions as `resources` (full extension
 * objects), so the separate list call is made only when the VM GET has none (an ARM that leaves
 * them out, or a VM without extensions). The write re-reads the extension before deleting it.
 */
async function readSnapshotExtension(facts: VmFacts, vm: VirtualMachine, guard: Guard): Promise<SnapshotExtensionFacts | undefined> {
  const { list, source } = await guard(facts.extensions(), { list: [], source: 'extensions-list' as const });
  const listed = list.find((x) => isSnapshotExtension(x.publisher, x.typePropertiesType));
  const iv = vm.instanceView;
  const ivExt = (iv?.extensions ?? []).find((x) => isSnapshotExtensionFullType(x.type) || (listed && (x.name ?? '').toLowerCase() === (listed.name ?? '').toLowerCase()));
  const ivHandler = (iv?.vmAgent?.extensionHandlers ?? []).find((h) => isSnapshotExtensionFullType(h.type));
  const s = ivExt?.statuses?.[0] ?? ivHandler?.status;
  const instanceViewStatus = s ? { code: s.code, level: s.level, displayStatus: s.displayStatus, message: s.message } : undefined;
  if (listed && listed.id && listed.name) {
    return {
      id: sameId(listed.id, `${facts.ref.id}/extensions/${listed.name}`) ? listed.id : undefined,
      name: listed.name,
      type: listed.typePropertiesType ?? '',
      publisher: listed.publisher ?? '',
      provisioningState: listed.provisioningState,
      source,
      instanceViewStatus,
    };
  }
  if (!ivExt && !ivHandler) return undefined;
  const fullType = ivExt?.type ?? ivHandler?.type ?? '';
  return {
    name: ivExt?.name ?? fullType.split('.').pop() ?? '',
    type: fullType.split('.').pop() ?? '',
    publisher: SNAPSHOT_PUBLISHER,
    source: 'instance-view',
    instanceViewStatus,
  };
}

/** Restore point collections tied to the VM by properties.source.id (never by name), their locks and points. */
async function readCollections(d: Diagnosis, facts: VmFacts, dopts: DiagnoseOptions, readErrors: string[]): Promise<void> {
  const mine = await guardInto(readErrors)(facts.restorePointCollections(), [] as RpcSummary[]);
  if (mine.length === 0) return;
  // The lists the collections share are read once; a failed one is noted once.
  const lockErrors: string[] = [];
  const locks = await Promise.all(mine.map((c) => guardInto(lockErrors)(facts.locksCovering(c.id), [] as LockRef[])));
  readErrors.push(...new Set(lockErrors));
  const guard = guardInto(readErrors);
  const counts = await Promise.all(mine.map((c) => (dopts.countPoints === false ? Promise.resolve(0) : guard(facts.restorePointCount(c), 0))));
  d.collections = mine.map((c, i) => ({ ...c, pointCount: counts[i], locks: locks[i] }));
  d.totalPoints = counts.reduce((a, b) => a + b, 0);
}
