// remove-snapshot-extension: DELETE the VMSnapshot / VMSnapshotLinux extension so Azure Backup reinstalls a
// working copy with the next backup. Never any other extension.
import type { VirtualMachineExtension } from '@azure/arm-compute';
import type { ArmContext } from '../arm/clients';
import { isNotFound, orMissing } from '../arm/errors';
import { parseExtensionId, sameId } from '../arm/ids';
import type { LockRef } from '../arm/locks';
import type { Diagnosis } from '../diagnose';
import { extensionFailedOrStuck, isExtensionReloadCode, isSnapshotExtension } from '../rules/snapshot-extension';
import type { Finding, PlannedAction } from '../types';
import { freshOptOut, lockRefusal, noBackupRunning } from './fresh';
import type { ActionContext, ActionModule, PlanContext, PlanStep, PreconditionResult } from './types';

const EXTENSION_REFERENCE = 'https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout';

type ExtensionFacts = NonNullable<Diagnosis['snapshotExtension']>;

function sameExtensionParent(extId: string, vmId: string): boolean {
  const i = extId.toLowerCase().lastIndexOf('/extensions/');
  return i > 0 && sameId(extId.slice(0, i), vmId);
}

function extensionLockFinding(ext: ExtensionFacts, lock: LockRef): Finding {
  return {
    kind: 'lock-blocks-cleanup',
    message: `Lock '${lock.name}' (${lock.level}, ${lock.scope} scope) covers the ${ext.type} extension; ARM refuses to delete it and the remediator never deletes locks, so neither the extension reload nor the backup that needs it is attempted.`,
    evidence: { lock: { id: lock.id, name: lock.name, level: lock.level, scope: lock.scope }, extension: ext.id },
    nextStep: `Ask the lock's owner whether lock ${lock.id} may be lifted for the fix, then delete ${ext.id} and retry the backup.`,
  };
}

/** The planning rule: a failed or stuck snapshot extension (or a code whose fix is the reload), unlocked, with a Ready agent. */
function plan({ candidate, diagnosis: d, entry, agentReady }: PlanContext): PlanStep {
  const ext = d.snapshotExtension;
  if (!ext || !isSnapshotExtension(ext.publisher, ext.type)) {
    return { findings: [{ kind: 'extension-missing', message: 'No VMSnapshot/VMSnapshotLinux extension is installed; Azure Backup installs it again with the next backup, so only a backup is needed.', evidence: { extension: ext ?? null } }] };
  }
  if (!ext.id || !sameExtensionParent(ext.id, candidate.vmId)) {
    return { findings: [{ kind: 'extension-missing', message: `The ${ext.type} extension shows only in the instance view, not as an extension resource; there is nothing to delete, so only a backup is planned.`, evidence: { extension: ext } }] };
  }
  // Removing the extension needs a Ready agent to reinstall it; the agent-not-ready finding already explains.
  if (!agentReady) return { block: true };
  const stuck = extensionFailedOrStuck(ext);
  if (!stuck && !isExtensionReloadCode(entry.code)) return {};
  // ARM refuses the DELETE under any lock at or above the extension; the remediator never deletes
  // locks, and a backup without the reload would fail the same way.
  if (ext.locks && ext.locks.length > 0) return { findings: ext.locks.map((lock) => extensionLockFinding(ext, lock)), block: true };
  const reason = stuck
    ? `The ${ext.type} extension is ${ext.provisioningState ?? 'in error'}; removing it lets Azure Backup reinstall a working copy with the next backup.`
    : `${entry.code} is fixed by reloading the snapshot extension: removing it lets Azure Backup reinstall it with the next backup.`;
  const evidence = {
    extension: { id: ext.id, name: ext.name, publisher: ext.publisher, type: ext.type, provisioningState: ext.provisioningState, instanceViewStatus: ext.instanceViewStatus, source: ext.source },
    agent: d.agent,
    code: entry.code,
    docUrl: entry.docUrl ?? EXTENSION_REFERENCE,
  };
  return { actions: [removeSnapshotExtension.describe({ target: ext.id, reason, evidence })] };
}

/**
 * Actions whose extension the precondition found already gone: apply sends no DELETE then (nothing is
 * left to fix, and the checks after the existence check, opt-out and locks, were not made).
 */
const absentAtCheck = new WeakSet<PlannedAction>();

/** The extension read now is no longer the snapshot extension, or no longer needs the reload. */
function extensionChanged(name: string, current: VirtualMachineExtension, code: string): PreconditionResult | undefined {
  if (!isSnapshotExtension(current.publisher, current.typePropertiesType)) {
    return { ok: false, reason: `extension ${name} is now ${current.publisher}/${current.typePropertiesType}, not the Azure Backup snapshot extension`, findingKind: 'precondition-changed' };
  }
  // The planner reads the first status of the extension's instance view; so does this check.
  const ivStatus = current.instanceView?.statuses?.[0];
  const stuck = extensionFailedOrStuck({ provisioningState: current.provisioningState, instanceViewStatus: ivStatus ? { level: ivStatus.level } : undefined });
  if (stuck || isExtensionReloadCode(code)) return undefined;
  return { ok: false, reason: `extension ${name} is ${current.provisioningState ?? 'healthy'} now (instance view: ${ivStatus?.displayStatus ?? ivStatus?.level ?? 'no status'}) and ${code} does not call for a reload`, findingKind: 'precondition-changed' };
}

export const removeSnapshotExtension: ActionModule<'remove-snapshot-extension'> = {
  kind: 'remove-snapshot-extension',
  method: 'DELETE',
  facts: ['vm', 'instance-view', 'extensions'],
  writeFacts: ['extension-locks'],
  permissions: {
    reads: [
      'Microsoft.Compute/virtualMachines/extensions/read', 'Microsoft.Compute/virtualMachines/read', 'Microsoft.Authorization/locks/read',
      'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.RecoveryServices/Vaults/backupJobs/read',
    ],
    writes: ['Microsoft.Compute/virtualMachines/extensions/delete'],
    polls: ['Microsoft.Compute/locations/operations/read'],
  },
  followUp: 'next-backup',
  plan,

  describe: ({ target, reason, evidence }) => ({ kind: 'remove-snapshot-extension', target, method: 'DELETE', status: 'proposed', reason, evidence }),

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
    const changed = extensionChanged(ext.name, current, ctx.item.failure.code);
    if (changed) return changed;
    const agent = vm.instanceView?.vmAgent?.statuses?.[0];
    if ((agent?.displayStatus ?? '').toLowerCase() !== 'ready') {
      return { ok: false, reason: `the VM agent is ${agent?.displayStatus ?? 'unknown'} now; the extension is only removed while the agent is Ready`, findingKind: 'agent-not-ready' };
    }
    // Any lock at or above the extension makes ARM refuse the DELETE: say so instead of trying.
    const locked = await lockRefusal(arm, { ...ext.vm, id: ext.id }, 'the extension');
    if (locked) return locked;
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
      if (isNotFound(e)) return { outcome: 'already-absent', target: ext.id };
      throw e;
    }
    return { outcome: 'deleted', target: ext.id };
  },
};
