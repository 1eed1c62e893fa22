// Running backups (InProgress or Cancelling) for a plan over Resource Graph: one Graph query for
// every vault of the run instead of two status-filtered job lists per vault (the job filter has no
// `or`). Graph lags by minutes, and that only affects what a plan shows: a backup that started just
// before the plan may be missing from it, never from a write's check, which reads the vault's jobs
// over ARM (lib/rules/running-backup.ts). On a settled estate the plan is the one the ARM lists give.
import type { ArmContext } from '../arm/clients';
import { vmOfContainerName } from '../arm/ids';
import { kqlStatuses, queryAll } from '../discover/graph';
import { CLOCK_SKEW_MS, RUNNING_STATUSES } from '../discover/jobs';
import { RUNNING_BACKUP_LOOKBACK_MS, runningBackupKey } from '../rules/running-backup';

const PAGE_SIZE = 1000;

/** Azure VM backup jobs in status InProgress or Cancelling started in the running-backup look-back. */
export function runningJobsQuery(now: Date): string {
  const since = new Date(now.getTime() - RUNNING_BACKUP_LOOKBACK_MS);
  const until = new Date(now.getTime() + CLOCK_SKEW_MS);
  return [
    'RecoveryServicesResources',
    "| where type =~ 'microsoft.recoveryservices/vaults/backupjobs'",
    "| where properties.backupManagementType =~ 'AzureIaasVM' and properties.operation =~ 'Backup'",
    "| extend status = tolower(tostring(properties.status))",
    `| where status in ${kqlStatuses(RUNNING_STATUSES)}`,
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

/** Running VM backups of the subscriptions' vaults: vault id (lower case) → VM key (runningBackupKey) → job name. */
export async function runningBackupsOfVaults(arm: ArmContext, subscriptionIds: string[], now: Date): Promise<Map<string, Map<string, string>>> {
  const byVault = new Map<string, Map<string, string>>();
  if (subscriptionIds.length === 0) return byVault;
  for (const r of await queryAll(arm, subscriptionIds, runningJobsQuery(now), PAGE_SIZE)) {
    const vault = typeof r.id === 'string' ? vaultKeyOfJob(r.id) : undefined;
    const vm = typeof r.containerName === 'string' ? vmOfContainerName(r.containerName) : undefined;
    if (!vault || !vm) continue;
    const jobs = byVault.get(vault) ?? new Map<string, string>();
    jobs.set(runningBackupKey(vm), String(r.name ?? r.id));
    byVault.set(vault, jobs);
  }
  return byVault;
}
