// Fresh (uncached) reads shared by the action preconditions.
import type { ArmContext } from '../arm/clients';
import { parseProtectedItemId, parseVaultId, parseVmId } from '../arm/ids';
import { runningBackupsOfVault } from '../discover/rest';
import type { PlanItem } from '../types';
import { OPT_OUT_TAG } from '../plan';
import { locksCovering } from '../diagnose';
import type { LockRef } from '../diagnose';

export function statusCode(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Runs a read; a 404 becomes undefined. */
export async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (statusCode(e) === 404) return undefined;
    throw e;
  }
}

function optOutIn(tags: Record<string, string> | undefined): string | undefined {
  for (const [k, v] of Object.entries(tags ?? {})) {
    if (k.trim().toLowerCase() === OPT_OUT_TAG && String(v).trim().toLowerCase() === 'off') return `${k}: ${v}`;
  }
  return undefined;
}

/**
 * The opt-out tag, re-read from the VM and its resource group. A precondition that has just read
 * the VM itself passes it as `freshVm` so the same check does not read it twice.
 */
export async function freshOptOut(arm: ArmContext, vmId: string, freshVm?: { tags?: Record<string, string> }): Promise<string | undefined> {
  const ref = parseVmId(vmId);
  const [vm, rg] = await Promise.all([
    freshVm ?? orMissing(() => arm.compute(ref.subscriptionId).virtualMachines.get(ref.resourceGroup, ref.name)),
    orMissing(() => arm.resources(ref.subscriptionId).resourceGroups.get(ref.resourceGroup)),
  ]);
  const onVm = optOutIn(vm?.tags);
  if (onVm) return `the VM now carries '${onVm}'`;
  const onRg = optOutIn(rg?.tags);
  if (onRg) return `the VM's resource group now carries '${onRg}'`;
  return undefined;
}

/** Locks covering a resource at subscription, resource-group or resource scope, read now. */
export async function freshLocksCovering(arm: ArmContext, subscriptionId: string, resourceGroup: string, resourceId: string): Promise<LockRef[]> {
  const client = arm.locks(subscriptionId).managementLocks;
  const raw: { id: string; name: string; level: string; notes?: string }[] = [];
  for await (const l of client.listAtSubscriptionLevel({ filter: 'atScope()' })) if (l.id) raw.push({ id: l.id, name: l.name ?? '', level: l.level, notes: l.notes });
  for await (const l of client.listAtResourceGroupLevel(resourceGroup)) if (l.id) raw.push({ id: l.id, name: l.name ?? '', level: l.level, notes: l.notes });
  return locksCovering(resourceId, raw);
}

/**
 * A backup of the VM running in its vault now (InProgress or Cancelling, started in the last 7 days),
 * read now: its job name, or undefined. The vault is the one of the plan's protected item.
 */
export async function freshBackupInProgress(arm: ArmContext, vault: { subscriptionId: string; resourceGroup: string; name: string }, vm: { resourceGroup: string; name: string }, now: Date): Promise<string | undefined> {
  const running = await runningBackupsOfVault(arm, vault, new Date(now.getTime() - 7 * 86_400_000), now);
  return running.get(`${vm.resourceGroup};${vm.name}`.toLowerCase());
}

/** The vault of the plan item's protected item (else its vaultId); undefined when neither parses. */
export function vaultOfItem(item: PlanItem): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  try {
    if (item.protectedItemId) return parseProtectedItemId(item.protectedItemId).vault;
  } catch {
    // fall through to vaultId
  }
  try {
    return item.vaultId ? parseVaultId(item.vaultId) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The planner writes nothing while a backup of the item runs; the deletes re-check it just before
 * writing (a scheduled backup may have started since the plan). Undefined when no backup runs.
 */
export async function noBackupRunning(arm: ArmContext, ctx: { item: PlanItem; now: Date }): Promise<{ ok: false; reason: string; findingKind: 'backup-in-progress' | 'ambiguous-target' } | undefined> {
  const vault = vaultOfItem(ctx.item);
  if (!vault) return { ok: false, reason: 'the plan names no vault whose running backups could be checked', findingKind: 'ambiguous-target' };
  const vm = parseVmId(ctx.item.vmId);
  const running = await freshBackupInProgress(arm, vault, vm, ctx.now);
  return running ? { ok: false, reason: `backup job ${running} of this VM started after planning and is in progress`, findingKind: 'backup-in-progress' } : undefined;
}
