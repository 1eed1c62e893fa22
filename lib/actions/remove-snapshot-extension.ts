// remove-snapshot-extension: DELETE the VMSnapshot / VMSnapshotLinux extension so Azure Backup reinstalls a
// working copy with the next backup. Never any other extension.
import type { ArmContext } from '../arm/clients';
import { parseExtensionId, sameId } from '../arm/ids';
import { extensionFailedOrStuck, isExtensionReloadCode, SNAPSHOT_PUBLISHER, SNAPSHOT_TYPES } from '../plan';
import type { PlannedAction } from '../types';
import type { ActionContext, ActionModule, PreconditionResult } from './index';
import { freshLocksCovering, freshOptOut, noBackupRunning, orMissing } from './fresh';

/**
 * Actions whose extension the precondition found already gone: apply sends no DELETE then (nothing is
 * left to fix, and the checks after the existence check, opt-out and locks, were not made).
 */
const absentAtCheck = new WeakSet<PlannedAction>();

export const removeSnapshotExtension: ActionModule = {
  kind: 'remove-snapshot-extension',

  describe: ({ target, reason, evidence }) => ({ kind: 'remove-snapshot-extension', target, method: 'DELETE', reason, evidence, status: 'proposed' }),

  async preconditions(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<PreconditionResult> {
    const ext = parseExtensionId(action.target);
    if (!sameId(ext.vm.id, ctx.item.vmId)) {
      return { ok: false, reason: `extension ${action.target} does not belong to VM ${ctx.item.vmId}`, findingKind: 'precondition-changed' };
    }
    const compute = arm.compute(ext.vm.subscriptionId);
    const [current, vm] = await Promise.all([
      // With its instance view: the planner counts an error there as failed, and so must this check.
      orMissing(() => compute.virtualMachineExtensions.get(ext.vm.resourceGroup, ext.vm.name, ext.name, { expand: 'instanceView' })),
      orMissing(() => compute.virtualMachines.get(ext.vm.resourceGroup, ext.vm.name, { expand: 'instanceView' })),
    ]);
    if (!vm) return { ok: false, reason: 'the VM no longer exists', findingKind: 'vm-not-found' };
    absentAtCheck.delete(action);
    if (!current) {
      absentAtCheck.add(action);
      return { ok: true, note: 'already-absent' };
    }
    const isSnapshot = (current.publisher ?? '').toLowerCase() === SNAPSHOT_PUBLISHER.toLowerCase()
      && SNAPSHOT_TYPES.some((t) => t.toLowerCase() === (current.typePropertiesType ?? '').toLowerCase());
    if (!isSnapshot) {
      return { ok: false, reason: `extension ${ext.name} is now ${current.publisher}/${current.typePropertiesType}, not the Azure Backup snapshot extension`, findingKind: 'precondition-changed' };
    }
    // The planner reads the first status of the extension's instance view; so does this check.
    const ivStatus = current.instanceView?.statuses?.[0];
    const stuck = extensionFailedOrStuck({ provisioningState: current.provisioningState, instanceViewStatus: ivStatus ? { level: ivStatus.level } : undefined });
    if (!stuck && !isExtensionReloadCode(ctx.item.failure.code)) {
      return { ok: false, reason: `extension ${ext.name} is ${current.provisioningState ?? 'healthy'} now (instance view: ${ivStatus?.displayStatus ?? ivStatus?.level ?? 'no status'}) and ${ctx.item.failure.code} does not call for a reload`, findingKind: 'precondition-changed' };
    }
    const agent = vm.instanceView?.vmAgent?.statuses?.[0];
    if ((agent?.displayStatus ?? '').toLowerCase() !== 'ready') {
      return { ok: false, reason: `the VM agent is ${agent?.displayStatus ?? 'unknown'} now; the extension is only removed while the agent is Ready`, findingKind: 'agent-not-ready' };
    }
    // Any lock at or above the extension makes ARM refuse the DELETE: say so instead of trying.
    const locks = await freshLocksCovering(arm, ext.vm.subscriptionId, ext.vm.resourceGroup, ext.id);
    if (locks.length > 0) {
      const l = locks[0];
      return { ok: false, reason: `lock '${l.name}' (${l.level}, ${l.scope} scope, ${l.id}) now covers the extension`, findingKind: 'lock-blocks-cleanup' };
    }
    // The VM was read just above (same check, same instant): only its resource group is read again.
    const optOut = await freshOptOut(arm, ctx.item.vmId, vm);
    if (optOut) return { ok: false, reason: optOut, findingKind: 'opted-out' };
    // A backup that started after planning is taking its snapshot through this extension.
    const refused = await noBackupRunning(arm, ctx);
    if (refused) return refused;
    return { ok: true };
  },

  async apply(arm: ArmContext, action: PlannedAction): Promise<Record<string, unknown>> {
    const ext = parseExtensionId(action.target);
    if (absentAtCheck.has(action)) return { outcome: 'already-absent', target: ext.id };
    const compute = arm.compute(ext.vm.subscriptionId);
    try {
      await compute.virtualMachineExtensions.delete(ext.vm.resourceGroup, ext.vm.name, ext.name, { updateIntervalInMs: arm.lroPollIntervalMs });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return { outcome: 'already-absent', target: ext.id };
      throw e;
    }
    return { outcome: 'deleted', target: ext.id };
  },
};
