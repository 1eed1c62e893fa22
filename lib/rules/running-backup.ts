// "A backup of this VM is running": InProgress or Cancelling (a cancelled backup still holds the
// extension until it ends) in the vault, started in the last 7 days. The planner never stacks a
// backup on a running one and the deletes re-check it just before writing.
import type { ArmContext } from '../arm/clients';
import { runningBackupsOfVault } from '../discover/rest';

/** How far back a running backup job is looked for (a backup job that runs longer is stuck). */
export const RUNNING_BACKUP_LOOKBACK_MS = 7 * 86_400_000;

export interface VaultAddress { subscriptionId: string; resourceGroup: string; name: string }

/** The key runningBackupsOfVault files a VM's running job under. */
export function runningBackupKey(vm: { resourceGroup: string; name: string }): string {
  return `${vm.resourceGroup};${vm.name}`.toLowerCase();
}

/** The vault's running VM backups now: VM key (runningBackupKey) → job name. */
export function runningBackupsNow(arm: ArmContext, vault: VaultAddress, now: Date): Promise<Map<string, string>> {
  return runningBackupsOfVault(arm, vault, new Date(now.getTime() - RUNNING_BACKUP_LOOKBACK_MS), now);
}

/** The running backup job of `vm` in the vault, read now: its job name, or undefined. */
export async function runningBackupOf(arm: ArmContext, vault: VaultAddress, vm: { resourceGroup: string; name: string }, now: Date): Promise<string | undefined> {
  return (await runningBackupsNow(arm, vault, now)).get(runningBackupKey(vm));
}
