// trigger-backup: Backup Now on the VM's protected item, with a bounded retention, never while another
// backup of the item runs. Follows the operation until it names the backup job.
import type { ArmContext } from '../arm/clients';
import { orMissing } from '../arm/errors';
import { parseProtectedItemId, sameId, vmOfContainerName, type ProtectedItemRef } from '../arm/ids';
import { isAmbiguousWrite } from '../arm/send-once';
import { jobListFilter } from '../discover/jobs';
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
    const running = await runningBackupOf(arm, ref.vault, ref.vm, ctx.now, ctx.item);
    if (running) return { ok: false, reason: `backup job ${running} of this item is already in progress`, findingKind: 'backup-in-progress' };
    const optOut = await freshOptOut(arm, ctx.item.vmId);
    if (optOut) return { ok: false, reason: optOut, findingKind: 'opted-out' };
    return { ok: true };
  },

  async apply(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<Record<string, unknown>> {
    const ref = parseProtectedItemId(action.target);
    const backup = arm.backup(ref.vault.subscriptionId);
    const expiry = expiryOf(action, ctx);
    const sent = await triggerOnce(arm, ref, expiry, ctx.now);
    if ('jobId' in sent) {
      return { protectedItemId: ref.id, vaultId: ref.vault.id, recoveryPointExpiryTimeInUTC: expiry.toISOString(), status: 'Succeeded', jobId: sent.jobId, detail: sent.detail };
    }
    const { asyncUrl, locationUrl } = sent;
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

/** Backup Now's POST, sent once: the SDK never retries it (lib/arm/send-once). */
async function sendTrigger(arm: ArmContext, ref: ProtectedItemRef, expiry: Date): Promise<{ asyncUrl?: string; locationUrl?: string }> {
  const urls: { asyncUrl?: string; locationUrl?: string } = {};
  await arm.backup(ref.vault.subscriptionId).backups.trigger(
    ref.vault.name, ref.vault.resourceGroup, FABRIC, ref.containerName, ref.itemName,
    { properties: { objectType: 'IaasVMBackupRequest', recoveryPointExpiryTimeInUTC: expiry } },
    {
      onResponse: (raw) => {
        urls.asyncUrl = raw.headers.get('azure-asyncoperation') ?? urls.asyncUrl;
        urls.locationUrl = raw.headers.get('location') ?? urls.locationUrl;
      },
    },
  );
  return urls;
}

/**
 * After an ambiguous answer (connection reset, timeout, 5xx after sending) the backup may exist:
 * its job is looked for first, and the POST is sent again only when there is none. A second
 * ambiguous answer is an error: the next run's precondition read sees a backup that did start.
 */
async function triggerOnce(arm: ArmContext, ref: ProtectedItemRef, expiry: Date, requestedAt: Date): Promise<{ asyncUrl?: string; locationUrl?: string } | { jobId: string; detail: string }> {
  try {
    return await sendTrigger(arm, ref, expiry);
  } catch (e) {
    if (!isAmbiguousWrite(e)) throw e;
    const jobId = await awaitTriggeredJob(arm, ref, requestedAt);
    if (jobId) return { jobId, detail: `the answer to Backup Now was lost (${e.message}); the backup job it created was found` };
    return sendTrigger(arm, ref, expiry);
  }
}

/**
 * The service lists the job a few seconds after it accepted Backup Now, so "no job yet" right after a
 * lost answer proves nothing: the job is looked for a few times over half a minute before the POST
 * is sent again (sending it while the first backup is about to appear would trigger it twice).
 */
const APPEAR_TRIES = 6;
const APPEAR_INTERVAL_MS = 5_000;

async function awaitTriggeredJob(arm: ArmContext, ref: ProtectedItemRef, requestedAt: Date): Promise<string | undefined> {
  for (let i = 0; i < APPEAR_TRIES; i++) {
    if (i > 0) await sleep(APPEAR_INTERVAL_MS);
    const jobId = await findTriggeredJob(arm, ref, requestedAt);
    if (jobId) return jobId;
  }
  return undefined;
}

/**
 * Clock skew allowed between this host and the service when matching a job to a request. A job of
 * the item started this shortly before the request and not running at the precondition re-read
 * would have to be a backup shorter than a minute, which VM backups never are.
 */
const SKEW_MS = 60_000;

/** The Backup job of this item that started at or after `requestedAt` (less the skew), if any (its full id). */
export async function findTriggeredJob(arm: ArmContext, ref: ProtectedItemRef, requestedAt: Date): Promise<string | undefined> {
  const from = new Date(Math.floor((requestedAt.getTime() - SKEW_MS) / 1000) * 1000);
  const to = new Date(Math.max(Date.now(), requestedAt.getTime()) + 3_600_000);
  const vm = ref.vm;
  const pages = arm.backup(ref.vault.subscriptionId).backupJobs.list(ref.vault.name, ref.vault.resourceGroup, { filter: jobListFilter(from, to) });
  for await (const j of pages) {
    const p = (j.properties ?? {}) as { containerName?: string; startTime?: Date | string; operation?: string };
    const of = p.containerName ? vmOfContainerName(p.containerName) : undefined;
    const started = p.startTime ? new Date(p.startTime).getTime() : Number.NaN;
    if (!of || of.name.toLowerCase() !== vm.name.toLowerCase() || of.resourceGroup.toLowerCase() !== vm.resourceGroup.toLowerCase()) continue;
    if ((p.operation ?? 'Backup').toLowerCase() !== 'backup' || !(started >= from.getTime())) continue;
    return j.id ?? `${ref.vault.id}/backupJobs/${j.name}`;
  }
  return undefined;
}
