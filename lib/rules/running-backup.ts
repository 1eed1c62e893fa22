// "A backup of this VM is running": InProgress or Cancelling (a cancelled backup still holds the
// extension until it ends) in the vault, started in the last 7 days. The planner never writes to an
// item while a backup of it runs (lib/plan.ts blocks it) and every write re-checks just before it is
// sent (a scheduled backup may have started since the plan).
import type { ArmContext } from '../arm/clients';
import { CLOCK_SKEW_MS } from '../discover/jobs';
import { runningBackupsOfVault, runningBackupsStartedSince } from '../discover/rest';

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

/**
 * Plan items whose plan was made on running backups read no earlier than this time (set by the
 * engine for the items it plans in a run). The planner wrote nothing for an item whose backup ran
 * then, and a job does not return to InProgress once it has ended, so a backup running now that
 * such an item's write must not meet started after that time. Items not noted here (a saved plan
 * read from a file) are checked against the whole look-back window.
 */
const plannedOnRunningAsOf = new WeakMap<object, Date>();

export function notePlannedOnRunningBackups(item: object, readNoEarlierThan: Date): void {
  plannedOnRunningAsOf.set(item, readNoEarlierThan);
}

/**
 * The running backup job of `vm` in the vault, read now: its job name, or undefined. For an item the
 * engine planned in this process (notePlannedOnRunningBackups), ONE list of the vault's jobs started
 * since its plan (less the clock skew the service's dates may have, either way), filtered
 * client-side; otherwise one status-filtered list per running status over the whole look-back.
 */
export async function runningBackupOf(arm: ArmContext, vault: VaultAddress, vm: { resourceGroup: string; name: string }, now: Date, item?: object): Promise<string | undefined> {
  const asOf = item ? plannedOnRunningAsOf.get(item) : undefined;
  const running = asOf
    ? await runningBackupsStartedSince(arm, vault, new Date(asOf.getTime() - CLOCK_SKEW_MS), now)
    : await runningBackupsNow(arm, vault, now);
  return running.get(runningBackupKey(vm));
}
