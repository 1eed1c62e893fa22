// Fresh (uncached) reads shared by the action preconditions: the plan may be minutes old.
import type { ArmContext } from '../arm/clients';
import { orMissing } from '../arm/errors';
import { parseProtectedItemId, parseVaultId, parseVmId } from '../arm/ids';
import { readLocksCovering } from '../arm/locks';
import { optOutSource } from '../rules/opt-out';
import { runningBackupOf, type VaultAddress } from '../rules/running-backup';
import type { PlanItem } from '../types';

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
  const found = optOutSource(vm?.tags, rg?.tags);
  if (!found) return undefined;
  const where = found.on === 'vm' ? 'the VM' : "the VM's resource group";
  return `${where} now carries '${found.key}: ${found.value}'`;
}

/** The vault of the plan item's protected item (else its vaultId); undefined when neither parses. */
export function vaultOfItem(item: PlanItem): VaultAddress | undefined {
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
  const running = await runningBackupOf(arm, vault, parseVmId(ctx.item.vmId), ctx.now, ctx.item);
  return running ? { ok: false, reason: `backup job ${running} of this VM started after planning and is in progress`, findingKind: 'backup-in-progress' } : undefined;
}

/** Any lock at or above the target makes ARM refuse its DELETE: the refusal naming the first, read now. */
export async function lockRefusal(
  arm: ArmContext,
  at: { subscriptionId: string; resourceGroup: string; id: string },
  what: string,
): Promise<{ ok: false; reason: string; findingKind: 'lock-blocks-cleanup' } | undefined> {
  const locks = await readLocksCovering(arm, at.subscriptionId, at.resourceGroup, at.id);
  if (locks.length === 0) return undefined;
  const l = locks[0];
  return { ok: false, reason: `lock '${l.name}' (${l.level}, ${l.scope} scope, ${l.id}) now covers ${what}`, findingKind: 'lock-blocks-cleanup' };
}
