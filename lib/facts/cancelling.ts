// Backups being cancelled, for a plan over Resource Graph: one Graph query for every vault of the run
// instead of one `status eq 'Cancelling'` job list per vault (the job filter has no `or`, so an ARM
// read of a vault's running backups takes two lists). Graph may lag by minutes, and that only
// affects what a plan shows: every write re-reads the vault's Cancelling jobs over ARM first
// (lib/rules/running-backup.ts). On a settled estate the plan is the one the two ARM lists give.
import type { ArmContext } from '../arm/clients';
import { vmOfContainerName } from '../arm/ids';
import { queryAll } from '../discover/graph';
import { CLOCK_SKEW_MS } from '../discover/jobs';
import { RUNNING_BACKUP_LOOKBACK_MS, runningBackupKey } from '../rules/running-backup';

const PAGE_SIZE = 1000;

/** Azure VM backup jobs in status Cancelling started in the running-backup look-back. */
export function cancellingJobsQuery(now: Date): string {
  const since = new Date(now.getTime() - RUNNING_BACKUP_LOOKBACK_MS);
  const until = new Date(now.getTime() + CLOCK_SKEW_MS);
  return [
    'RecoveryServicesResources',
    "| where type =~ 'microsoft.recoveryservices/vaults/backupjobs'",
    "| where properties.backupManagementType =~ 'AzureIaasVM' and properties.operation =~ 'Backup'",
    "| where tolower(tostring(properties.status)) == 'cancelling'",
    '| extend startTime = todatetime(properties.startTime)',
    `| where startTime between (datetime(${since.toISOString()}) .. datetime(${until.toISOString()}))`,
    '| project id, name, containerName = tostring(properties.containerName)',
  ].join('\n');
}

/** The vault id of a job id (lower case), or undefined. */
function vaultKeyOfJob(jobId: string): string | undefined {
  const i = jobId.toLowerCase().indexOf('/backupjobs/');
  return i > 0 ? jobId.slice(0, i).toLowerCase() : undefined;
}

/** Cancelling VM backups of the subscriptions' vaults: vault id (lower case) → VM key (runningBackupKey) → job name. */
export async function cancellingBackupsOfVaults(arm: ArmContext, subscriptionIds: string[], now: Date): Promise<Map<string, Map<string, string>>> {
  const byVault = new Map<string, Map<string, string>>();
  if (subscriptionIds.length === 0) return byVault;
  for (const r of await queryAll(arm, subscriptionIds, cancellingJobsQuery(now), PAGE_SIZE)) {
    const vault = typeof r.id === 'string' ? vaultKeyOfJob(r.id) : undefined;
    const vm = typeof r.containerName === 'string' ? vmOfContainerName(r.containerName) : undefined;
    if (!vault || !vm) continue;
    const jobs = byVault.get(vault) ?? new Map<string, string>();
    jobs.set(runningBackupKey(vm), String(r.name ?? r.id));
    byVault.set(vault, jobs);
  }
  return byVault;
}
