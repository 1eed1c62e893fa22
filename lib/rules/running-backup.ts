// "A backup of this VM is running": InProgress or Cancelling (a cancelled backup still holds the
// extension until it ends) in the vault, started in the last 7 days. The planner never writes to an
// item while a backup of it runs (lib/plan.ts blocks it) and every write re-checks just before it is
// sent (a scheduled backup may have started since the plan).
//
// What a run reads for it, with the least job lists that still see every running backup at a write:
// - plan (diagnosis): for a run found through Resource Graph, one Graph query for all its vaults
//   (lib/facts/running-backups.ts); else the vault's two status lists over ARM (the job filter has
//   no `or`). The planner holds back every item with a running backup.
// - each write of an item planned in this run: ONE list of the vault's jobs started since that run
//   began (any status, kept client-side), and the vault's running jobs of the look-back (InProgress,
//   then Cancelling), read once per vault per run at its first write. Why that sees every backup
//   running at the write: one that started after the run began is in the first list. One that
//   started before and still runs was running at the vault's first write of the run too (which came
//   after the run began and no later than this write), so the once-per-run lists show it. This
//   holds whatever the plan read, so Resource Graph's lag can hide a running backup from a plan,
//   never from a write.
// - a write of an item planned elsewhere (a saved plan read from a file): both status lists over the
//   whole look-back.
import type { ArmContext } from '../arm/clients';
import { CLOCK_SKEW_MS } from '../discover/jobs';
import { runningBackupKey, runningBackupsOfVault, runningBackupsStartedSince } from '../discover/rest';

export { runningBackupKey };

/** How far back a running backup job is looked for (a backup job that runs longer is stuck). */
export const RUNNING_BACKUP_LOOKBACK_MS = 7 * 86_400_000;

export interface VaultAddress { subscriptionId: string; resourceGroup: string; name: string }

const lookbackFrom = (now: Date) => new Date(now.getTime() - RUNNING_BACKUP_LOOKBACK_MS);

/** The vault's running VM backups now, both statuses: VM key (runningBackupKey) → job name. */
export function runningBackupsNow(arm: ArmContext, vault: VaultAddress, now: Date): Promise<Map<string, string>> {
  return runningBackupsOfVault(arm, vault, lookbackFrom(now), now);
}

/** One run's write-time reads, shared by the items it planned: when the run began, and each vault's running backups once read. */
export interface RunningBackupReads {
  /** The run's start: no later than any of its reads. */
  asOf: Date;
  /** Vault key → its running backups, read at the vault's first write of the run. */
  running: Map<string, Promise<Map<string, string>>>;
}

export function newRunningBackupReads(asOf: Date): RunningBackupReads {
  return { asOf, running: new Map() };
}

/** Items planned in a run, with that run's write-time reads (set by the engine for every item it plans). */
const plannedOn = new WeakMap<object, RunningBackupReads>();

export function notePlannedOnRunningBackups(item: object, reads: RunningBackupReads): void {
  plannedOn.set(item, reads);
}

/** The vault's running backups of the look-back, read at most once per run; a failed read is forgotten, so the next write reads again. */
function runningOnce(arm: ArmContext, reads: RunningBackupReads, vault: VaultAddress, now: Date): Promise<Map<string, string>> {
  const key = `${vault.subscriptionId}/${vault.resourceGroup}/${vault.name}`.toLowerCase();
  let p = reads.running.get(key);
  if (!p) {
    p = runningBackupsNow(arm, vault, now);
    reads.running.set(key, p);
    p.catch(() => reads.running.delete(key));
  }
  return p;
}

/**
 * The running backup job of `vm` in the vault, read now: its job name, or undefined. For an item the
 * engine planned in this process (notePlannedOnRunningBackups): one list of the vault's jobs started
 * since its run began (less the clock skew the service's dates may have, either way) and the vault's
 * running backups as read at its first write of that run; otherwise one status-filtered list per
 * running status over the whole look-back.
 */
export async function runningBackupOf(arm: ArmContext, vault: VaultAddress, vm: { resourceGroup: string; name: string }, now: Date, item?: object): Promise<string | undefined> {
  const reads = item ? plannedOn.get(item) : undefined;
  const key = runningBackupKey(vm);
  if (!reads) return (await runningBackupsNow(arm, vault, now)).get(key);
  const [started, running] = await Promise.all([
    runningBackupsStartedSince(arm, vault, new Date(reads.asOf.getTime() - CLOCK_SKEW_MS), now),
    runningOnce(arm, reads, vault, now),
  ]);
  return started.get(key) ?? running.get(key);
}
