// delete-restore-point-collection: DELETE an Azure Backup restore point collection of the VM when the VM is
// at the 18-point limit. Never under a lock, never a collection tied to another VM or not named as
// Azure Backup names them.
import type { ArmContext } from '../arm/clients';
import { isNotFound, orMissing } from '../arm/errors';
import { parseRestorePointCollectionId, parseVmId, sameId } from '../arm/ids';
import type { LockRef } from '../arm/locks';
import type { CollectionFacts } from '../diagnose';
import { isBackupCollectionName, RESTORE_POINT_LIMIT } from '../rules/restore-points';
import type { Finding, PlannedAction } from '../types';
import { freshOptOut, lockRefusal, noBackupRunning } from './fresh';
import type { ActionContext, ActionModule, PlanContext, PlanStep, PreconditionResult } from './types';

/**
 * Points each collection held when its precondition re-read it just before the DELETE (0 when it
 * was already gone). ARM answers a DELETE of an absent collection with 204 like a real delete, so
 * this, not the plan's count, is what the write freed.
 */
const pointsAtWrite = new WeakMap<PlannedAction, number>();
/** Actions whose collection the precondition found already gone. */
const absentAtCheck = new WeakSet<PlannedAction>();

/** Points in this VM's collections that earlier actions of the same plan already deleted. */
function pointsDeletedEarlier(ctx: ActionContext, action: PlannedAction): number {
  let n = 0;
  for (const a of ctx.item.actions) {
    if (a === action || a.kind !== 'delete-restore-point-collection' || a.status !== 'applied') continue;
    const freed = (a.result as { pointsFreed?: unknown } | undefined)?.pointsFreed;
    if (typeof freed === 'number') {
      n += freed;
      continue;
    }
    if ((a.result as { outcome?: unknown } | undefined)?.outcome === 'already-absent') continue;
    const col = (a.evidence as { collection?: { pointCount?: number } }).collection;
    n += col?.pointCount ?? 0;
  }
  return n;
}

function lockFinding(col: CollectionFacts, lock: LockRef): Finding {
  return {
    kind: 'lock-blocks-cleanup',
    message: `Lock '${lock.name}' (${lock.level}, ${lock.scope} scope) covers restore point collection ${col.name}; the remediator never deletes locks, so the collection stays.`,
    evidence: { lock: { id: lock.id, name: lock.name, level: lock.level, scope: lock.scope }, collection: col.id },
    nextStep: `Ask the lock's owner whether lock ${lock.id} may be removed for cleanup, then delete ${col.id} and retry the backup.`,
  };
}

/** The VM's collections split into those Azure Backup named and nothing locks (deletable), and the points the rest keep. */
function sortCollections({ candidate, diagnosis: d }: PlanContext): { deletable: CollectionFacts[]; keptPoints: number; findings: Finding[] } {
  const findings: Finding[] = [];
  const deletable: CollectionFacts[] = [];
  let keptPoints = 0;
  for (const col of d.collections.filter((c) => sameId(c.sourceId, candidate.vmId))) {
    if (!isBackupCollectionName(col.name, d.vm.name)) {
      keptPoints += col.pointCount;
      findings.push({
        kind: 'restore-point-limit',
        message: `Collection ${col.name} belongs to the VM but is not named like an Azure Backup collection (AzureBackup_${d.vm.name}[_<n>]); it is left alone.`,
        evidence: { collection: col.id, name: col.name, pointCount: col.pointCount },
      });
    } else if (col.locks.length > 0) {
      keptPoints += col.pointCount;
      for (const lock of col.locks) findings.push(lockFinding(col, lock));
    } else {
      deletable.push(col);
    }
  }
  return { deletable, keptPoints, findings };
}

/** The planning rule: at the 18-point limit, delete the collections that bring the VM under it, or block. */
function plan(ctx: PlanContext): PlanStep {
  const d = ctx.diagnosis;
  if (d.totalPoints < RESTORE_POINT_LIMIT) return { findings: [] };
  const { deletable, keptPoints, findings } = sortCollections(ctx);
  // Points in collections not tied to this VM by source.id are not counted by diagnosis, so keptPoints is exact.
  if (keptPoints >= RESTORE_POINT_LIMIT || deletable.length === 0) {
    findings.push({
      kind: 'restore-point-limit',
      message: `The VM holds ${d.totalPoints} restore points (limit ${RESTORE_POINT_LIMIT}); the collections the remediator may delete cannot bring it under the limit, so it deletes nothing and does not trigger a backup (it would fail the same way).`,
      evidence: { totalPoints: d.totalPoints, pointsThatWouldRemain: keptPoints, deletable: deletable.map((x) => x.id) },
      nextStep: 'Remove the lock (or the restore points it protects) by hand, then retry the backup.',
    });
    return { findings, block: true };
  }
  const actions = deletable.map((col) => deleteRestorePointCollection.describe({
    target: col.id,
    reason: `The VM is at the ${RESTORE_POINT_LIMIT}-restore-point limit (${d.totalPoints}); deleting ${col.name} (${col.pointCount} points) frees room for the next backup.`,
    evidence: {
      collection: { id: col.id, name: col.name, sourceId: col.sourceId, pointCount: col.pointCount },
      totalPoints: d.totalPoints,
      pointsAfter: keptPoints,
      // Every collection of the VM seen at planning: the write-time limit check re-reads these (by
      // id) rather than listing every collection of the subscription.
      vmCollections: d.collections.filter((c) => sameId(c.sourceId, ctx.candidate.vmId)).map((c) => c.id),
      locks: [],
      code: ctx.entry.code,
    },
  }));
  return { actions, findings };
}

/** Points of one collection read now, counted only while its source is still the VM (0 when gone). */
async function pointsOfCollection(arm: ArmContext, id: string, vmId: string): Promise<number> {
  const ref = parseRestorePointCollectionId(id);
  const full = await orMissing(() => arm.compute(ref.subscriptionId).restorePointCollections.get(ref.resourceGroup, ref.name, { expand: 'restorePoints' }));
  return full && sameId(full.source?.id ?? '', vmId) ? (full.restorePoints?.length ?? 0) : 0;
}

/** The VM's collections the plan recorded (evidence.vmCollections); undefined for a plan made before they were recorded. */
function plannedCollections(action: PlannedAction): string[] | undefined {
  const ids = (action.evidence as { vmCollections?: unknown }).vmCollections;
  return Array.isArray(ids) && ids.every((x) => typeof x === 'string') ? (ids as string[]) : undefined;
}

/**
 * Points in the VM's other collections (tied by source.id), read now. The collections the plan saw
 * are re-read by id (one GET each): a collection made since the plan is not counted, which can only
 * make the limit check below refuse, never let a delete through that a full listing would refuse.
 * A plan without that record lists the subscription's collections, as before.
 */
async function pointsInOtherCollections(arm: ArmContext, action: PlannedAction, vmId: string, exceptId: string): Promise<number> {
  const known = plannedCollections(action);
  const subscriptionId = parseRestorePointCollectionId(action.target).subscriptionId;
  const ids: string[] = [];
  if (known) ids.push(...known.filter((id) => !sameId(id, exceptId)));
  else for await (const c of arm.compute(subscriptionId).restorePointCollections.listAll()) {
    if (c.id && c.name && sameId(c.source?.id ?? '', vmId) && !sameId(c.id, exceptId)) ids.push(c.id);
  }
  let total = 0;
  for (const id of ids) total += await pointsOfCollection(arm, id, vmId);
  return total;
}

export const deleteRestorePointCollection: ActionModule<'delete-restore-point-collection'> = {
  kind: 'delete-restore-point-collection',
  method: 'DELETE',
  facts: ['vm', 'restore-points'],
  permissions: {
    reads: [
      'Microsoft.Compute/restorePointCollections/read', 'Microsoft.Compute/restorePointCollections/restorePoints/read', 'Microsoft.Authorization/locks/read',
      'Microsoft.Compute/virtualMachines/read', 'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.RecoveryServices/Vaults/backupJobs/read',
    ],
    writes: ['Microsoft.Compute/restorePointCollections/delete'],
    polls: ['Microsoft.Compute/locations/operations/read'],
  },
  followUp: 'next-backup',
  plan,

  describe: ({ target, reason, evidence }) => ({ kind: 'delete-restore-point-collection', target, method: 'DELETE', status: 'proposed', reason, evidence }),

  async preconditions(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<PreconditionResult> {
    const rpc = parseRestorePointCollectionId(action.target);
    const vm = parseVmId(ctx.item.vmId);
    if (rpc.subscriptionId !== vm.subscriptionId) {
      return { ok: false, reason: 'the collection is in another subscription than the VM', findingKind: 'precondition-changed' };
    }
    const compute = arm.compute(rpc.subscriptionId);
    // With its points: the limit check below counts them without reading the collection again.
    const current = await orMissing(() => compute.restorePointCollections.get(rpc.resourceGroup, rpc.name, { expand: 'restorePoints' }));
    if (!current) {
      pointsAtWrite.set(action, 0);
      absentAtCheck.add(action);
      return { ok: true, note: 'already-absent' };
    }
    pointsAtWrite.delete(action);
    absentAtCheck.delete(action);
    const source = current.source?.id ?? '';
    if (!sameId(source, vm.id)) {
      return { ok: false, reason: `collection ${rpc.name} now has source ${source || '(none)'}, not ${vm.id}`, findingKind: 'precondition-changed' };
    }
    if (!isBackupCollectionName(current.name ?? rpc.name, vm.name)) {
      return { ok: false, reason: `collection ${current.name} is not named AzureBackup_${vm.name}[_<n>]`, findingKind: 'precondition-changed' };
    }
    const locked = await lockRefusal(arm, rpc, 'the collection');
    if (locked) return locked;
    // Still at the limit, counting points this plan already freed (a plan may delete several collections).
    const total = (current.restorePoints?.length ?? 0) + (await pointsInOtherCollections(arm, action, vm.id, current.id ?? rpc.id));
    const before = total + pointsDeletedEarlier(ctx, action);
    if (before < RESTORE_POINT_LIMIT) {
      return { ok: false, reason: `the VM now holds ${total} restore points, under the limit of ${RESTORE_POINT_LIMIT}`, findingKind: 'precondition-changed' };
    }
    const optOut = await freshOptOut(arm, vm.id);
    if (optOut) return { ok: false, reason: optOut, findingKind: 'opted-out' };
    // A backup that started after planning adds its restore point to the VM's collection.
    const refused = await noBackupRunning(arm, ctx);
    if (refused) return refused;
    pointsAtWrite.set(action, current.restorePoints?.length ?? 0);
    return { ok: true };
  },

  async apply(arm: ArmContext, action: PlannedAction): Promise<Record<string, unknown>> {
    const rpc = parseRestorePointCollectionId(action.target);
    const freed = pointsAtWrite.get(action);
    const pointsFreed = freed === undefined ? {} : { pointsFreed: freed };
    // Already gone when the precondition looked: no DELETE (the checks after that one were not made).
    if (absentAtCheck.has(action)) return { outcome: 'already-absent', target: rpc.id, pointsFreed: 0 };
    try {
      await arm.compute(rpc.subscriptionId).restorePointCollections.delete(rpc.resourceGroup, rpc.name, { updateIntervalInMs: arm.lroPollIntervalMs });
    } catch (e) {
      if (isNotFound(e)) return { outcome: 'already-absent', target: rpc.id, pointsFreed: 0 };
      throw e;
    }
    return { outcome: 'deleted', target: rpc.id, ...pointsFreed };
  },
};
