// trigger-backup: Backup Now on the VM's protected item, with a bounded retention, never while another
// backup of the item runs. Follows the operation until it names the backup job.
import type { ArmContext } from '../arm/clients';
import { orMissing } from '../arm/errors';
import { parseProtectedItemId, sameId } from '../arm/ids';
import { runningBackupOf } from '../rules/running-backup';
import type { PlannedAction } from '../types';
import { freshOptOut } from './fresh';
import type { ActionContext, ActionModule, PlanContext, PlanStep, PreconditionResult } from './types';

const FABRIC = 'Azure';

function expiryOf(action: PlannedAction, ctx: ActionContext): Date {
  const planned = action.evidence?.recoveryPointExpiryTimeInUTC;
  const fromPlan = typeof planned === 'string' ? new Date(planned) : undefined;
  if (fromPlan && !Number.isNaN(fromPlan.getTime()) && fromPlan.getTime() > ctx.now.getTime()) return fromPlan;
  return new Date(ctx.now.getTime() + ctx.settings.backupRetentionDays * 86_400_000);
}

function operationIdFrom(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const path = url.split('?')[0];
  const m = /\/(?:operationsStatus|operationResults|backupOperations|operations)\/([^/]+)$/i.exec(path);
  return m ? decodeURIComponent(m[1]) : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The planning rule: Backup Now proves every fix and replaces the failed backup, but never on top of
 * a running backup and never when anything before it blocked the item (it would fail the same way).
 */
function plan({ diagnosis, blocked, protectedItemId, entry, opts }: PlanContext): PlanStep {
  if (diagnosis.backupInProgress) {
    return {
      findings: [{
        kind: 'backup-in-progress',
        message: 'A backup of this item is already running; the remediator never stacks a second one.',
        evidence: { protectedItemId },
        nextStep: 'Wait for the running backup to finish; the next run checks its outcome.',
      }],
      block: true,
    };
  }
  if (blocked) return {};
  const expiry = new Date(opts.now.getTime() + opts.backupRetentionDays * 86_400_000);
  return {
    actions: [triggerBackup.describe({
      target: protectedItemId,
      reason: `Backup Now proves the fix for ${entry.code} and replaces the failed backup.`,
      evidence: { retentionDays: opts.backupRetentionDays, recoveryPointExpiryTimeInUTC: expiry.toISOString(), code: entry.code },
    })],
  };
}

export const triggerBackup: ActionModule<'trigger-backup'> = {
  kind: 'trigger-backup',
  method: 'POST',
  facts: ['protected-items', 'running-backups'],
  afterFixes: true,
  permissions: {
    reads: [
      'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/read', 'Microsoft.RecoveryServices/Vaults/backupJobs/read',
      'Microsoft.Compute/virtualMachines/read', 'Microsoft.Resources/subscriptions/resourceGroups/read',
    ],
    writes: ['Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/backup/action'],
    polls: [
      'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/operationResults/read',
      'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/operationsStatus/read',
    ],
  },
  followUp: 'verify-triggered-backup',
  plan,

  describe: ({ target, reason, evidence }) => ({ kind: 'trigger-backup', target, method: 'POST', status: 'proposed', reason, evidence }),

  async preconditions(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<PreconditionResult> {
    const ref = parseProtectedItemId(action.target);
    const backup = arm.backup(ref.vault.subscriptionId);
    const item = await orMissing(() => backup.protectedItems.get(ref.vault.name, ref.vault.resourceGroup, FABRIC, ref.containerName, ref.itemName));
    if (!item) return { ok: false, reason: `protected item ${ref.itemName} no longer exists in vault ${ref.vault.name}`, findingKind: 'ambiguous-target' };
    const src = (item.properties as { sourceResourceId?: string } | undefined)?.sourceResourceId ?? '';
    if (!sameId(src, ctx.item.vmId)) {
      return { ok: false, reason: `protected item ${ref.itemName} now protects ${src || '(unknown)'}, not ${ctx.item.vmId}`, findingKind: 'ambiguous-target' };
    }
    const running = await runningBackupOf(arm, ref.vault, ref.vm, ctx.now);
    if (running) return { ok: false, reason: `backup job ${running} of this item is already in progress`, findingKind: 'backup-in-progress' };
    const optOut = await freshOptOut(arm, ctx.item.vmId);
    if (optOut) return { ok: false, reason: optOut, findingKind: 'opted-out' };
    return { ok: true };
  },

  async apply(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<Record<string, unknown>> {
    const ref = parseProtectedItemId(action.target);
    const backup = arm.backup(ref.vault.subscriptionId);
    const expiry = expiryOf(action, ctx);
    let asyncUrl: string | undefined;
    let locationUrl: string | undefined;
    await backup.backups.trigger(
      ref.vault.name, ref.vault.resourceGroup, FABRIC, ref.containerName, ref.itemName,
      { properties: { objectType: 'IaasVMBackupRequest', recoveryPointExpiryTimeInUTC: expiry } },
      {
        onResponse: (raw) => {
          asyncUrl = raw.headers.get('azure-asyncoperation') ?? asyncUrl;
          locationUrl = raw.headers.get('location') ?? locationUrl;
        },
      },
    );
    const operationId = operationIdFrom(asyncUrl) ?? operationIdFrom(locationUrl);
    const base = { protectedItemId: ref.id, vaultId: ref.vault.id, recoveryPointExpiryTimeInUTC: expiry.toISOString(), operationId };
    if (!operationId) return { ...base, status: 'accepted', detail: 'the service returned no operation to follow' };

    const deadline = Date.now() + (ctx.operationTimeoutMs ?? 5 * 60_000);
    for (;;) {
      const op = await backup.protectedItemOperationStatuses.get(ref.vault.name, ref.vault.resourceGroup, FABRIC, ref.containerName, ref.itemName, operationId);
      const status = (op.status ?? '').toLowerCase();
      if (status === 'succeeded') {
        const jobName = (op.properties as { jobId?: string } | undefined)?.jobId;
        const jobId = jobName ? (jobName.includes('/') ? jobName : `${ref.vault.id}/backupJobs/${jobName}`) : undefined;
        return { ...base, status: 'Succeeded', jobId };
      }
      if (status === 'failed' || status === 'canceled' || status === 'cancelled') {
        const err = op.error ? `${op.error.code ?? ''} ${op.error.message ?? ''}`.trim() : status;
        throw Object.assign(new Error(`Backup Now on ${ref.itemName} ${status}: ${err}`), { code: op.error?.code ?? 'BackupTriggerFailed' });
      }
      if (Date.now() > deadline) return { ...base, status: 'InProgress', detail: 'the operation had not named its job before the timeout' };
      await sleep(arm.lroPollIntervalMs);
    }
  },
};
