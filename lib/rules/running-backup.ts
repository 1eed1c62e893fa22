// "A backup of this VM is running": InProgress or Cancelling (a cancelled backup still holds the
// extension until it ends) in the vault, started in the last 7 days. The planner never writes to an
// item while a backup of it runs (lib/plan.ts blocks it) and every write re-checks just before it is
// sent (a scheduled backup may have started since the plan).
//
// What a run reads for it, with the least job lists that still see every running backup at a write:
// - plan (diagnosis): the vault's InProgress jobs of the look-back, one list per vault per run
//   (runningBackupsAtPlan), and the Cancelling ones: for a run found through Resource Graph, one Graph
//   query for all its vaults (lib/facts/cancelling.ts), else a second list per vault. The planner
//   holds back every item with either.
// - each write of an item planned in this run: ONE list of the vault's jobs started since that run
//   began (any status, kept client-side), and the vault's Cancelling jobs of the look-back, read once
//   per vault per run at its first write. Why that sees every backup running at the write: one that
//   started after the run began is in the first list. One that started before and still runs ran at
//   the plan's read too: InProgress then, and the planner held the item back; Cancelling then, and it
//   still is at the vault's first write (a job never goes back from Cancelling to InProgress, and that
//   write comes after the plan's read), so the once-per-run list shows it.
// - a write of an item planned elsewhere (a saved plan read from a file): both status lists over the
//   whole look-back.
// A Resource Graph run's plan therefore lists each vault's jobs once over ARM; a cancel Graph has not
// caught up with yet (it lags by minutes) can be missing from the plan, never from a write's check.
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

const lookbackFrom = (now: Date) => new Date(now.getTime() - RUNNING_BACKUP_LOOKBACK_MS);

/** The vault's running VM backups now, both statuses: VM key (runningBackupKey) → job name. */
export function runningBackupsNow(arm: ArmContext, vault: VaultAddress, now: Date): Promise<Map<string, string>> {
  return runningBackupsOfVault(arm, vault, lookbackFrom(now), now);
}

/** The vault's InProgress VM backups of the look-back (one list): what the planner reads over ARM when Resource Graph answers for Cancelling ones. */
export function runningBackupsAtPlan(arm: ArmContext, vault: VaultAddress, now: Date): Promise<Map<string, string>> {
  return runningBackupsOfVault(arm, vault, lookbackFrom(now), now, ['InProgress']);
}

/** One run's plan-time reads, shared by the items it planned: when they began, and each vault's Cancelling list once read. */
export interface RunningBackupReads {
  /** No later than the plan's running-backup reads (the run's start). */
  asOf: Date;
  cancelling: Map<string, Promise<Map<string, string>>>;
}

export function newRunningBackupReads(asOf: Date): RunningBackupReads {
  return { asOf, cancelling: new Map() };
}

/** Items planned on a run's running-backup reads (set by the engine for the items whose diagnosis made them). */
const plannedOn = new WeakMap<object, RunningBackupReads>();

export function notePlannedOnRunningBackups(item: object, reads: RunningBackupReads): void {
  plannedOn.set(item, reads);
}

/** The vault's Cancelling backups, read at most once per run; a failed read is forgotten, so the next write reads again. */
function cancellingOnce(arm: ArmContext, reads: RunningBackupReads, vault: VaultAddress, now: Date): Promise<Map<string, string>> {
  const key = `${vault.subscriptionId}/${vault.resourceGroup}/${vault.name}`.toLowerCase();
  let p = reads.cancelling.get(key);
  if (!p) {
    p = runningBackupsOfVault(arm, vault, lookbackFrom(now), now, ['Cancelling']);
    reads.cancelling.set(key, p);
    p.catch(() => reads.cancelling.delete(key));
  }
  return p;
}

/**
 * The running backup job of `vm` in the vault, read now: its job name, or undefined. For an item the
 * engine planned in this process (notePlannedOnRunningBackups): one list of the vault's jobs started
 * since its run began (less the clock skew the service's dates may have, either way) and the vault's
 * Cancelling list of that run; otherwise one status-filtered list per running status over the whole
 * look-back.
 */
export async function runningBackupOf(arm: ArmContext, vault: VaultAddress, vm: { resourceGroup: string; name: string }, now: Date, item?: object): Promise<string | undefined> {
  const reads = item ? plannedOn.get(item) : undefined;
  const key = runningBackupKey(vm);
  if (!reads) return (await runningBackupsNow(arm, vault, now)).get(key);
  const [started, cancelling] = await Promise.all([
    runningBackupsStartedSince(arm, vault, new Date(reads.asOf.getTime() - CLOCK_SKEW_MS), now),
    cancellingOnce(arm, reads, vault, now),
  ]);
  return started.get(key) ?? cancelling.get(key);
}
