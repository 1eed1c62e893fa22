// Discovery through the Recovery Services REST API: vaults of each subscription, then each vault's backup
// jobs in the window (no status filter: the later successful or running jobs decide what is still broken).
import pLimit from 'p-limit';
import type { ArmContext } from '../arm/clients';
import { isNotFound } from '../arm/errors';
import { parseJobId, parseSubscriptionId, parseVaultId, parseVmId, sameId, vmBackupNames, vmOfContainerName, type VaultRef } from '../arm/ids';
import { isRunning, jobListFilter, normaliseJob, reduceToLatestPerItem, isVmBackupJob, RUNNING_STATUSES, type RawJob } from './jobs';
import type { Scope } from '../scope';
import type { Candidate, DiscoverOptions, DiscoveryResult, DiscoveryScope } from './types';

export async function listVaults(arm: ArmContext, subscriptionId: string): Promise<VaultRef[]> {
  const out: VaultRef[] = [];
  for await (const v of arm.vaults(subscriptionId).vaults.listBySubscriptionId()) {
    if (v.id) out.push(parseVaultId(v.id));
  }
  return out;
}

/** The key runningBackupsOfVault files a VM's running job under. */
export function runningBackupKey(vm: { resourceGroup: string; name: string }): string {
  return `${vm.resourceGroup};${vm.name}`.toLowerCase();
}

/** A job of a list, if it is a running VM backup: [its VM's key, the job name]. */
function runningEntry(j: { id?: string; name?: string; properties?: unknown }): [string, string] | undefined {
  const p = j.properties as { status?: string; containerName?: string } | undefined;
  const ref = p?.containerName && isRunning(p.status) ? vmOfContainerName(p.containerName) : undefined;
  return ref ? [runningBackupKey(ref), j.name ?? j.id ?? 'unknown'] : undefined;
}

/**
 * The vault's running VM backups (InProgress, then Cancelling) started since `since`, by
 * runningBackupKey, mapped to the job name. The filter grammar has no `or`,
 * so one small status-filtered list per running status: a busy vault's whole week of jobs is never
 * paged through for this. The lists are read one after the other, InProgress first: a job only
 * moves InProgress → Cancelling → ended, so one that runs across both reads is in the first list
 * (InProgress then) or the second (already Cancelling at the first, so still at the second). Read in
 * parallel, a job could move between the two answers and be in neither.
 */
export async function runningBackupsOfVault(
  arm: ArmContext,
  vault: Pick<VaultRef, 'subscriptionId' | 'resourceGroup' | 'name'>,
  since: Date,
  now: Date,
): Promise<Map<string, string>> {
  const client = arm.backup(vault.subscriptionId);
  const found = new Map<string, string>();
  for (const status of RUNNING_STATUSES) {
    const filter = `status eq '${status}' and ${jobListFilter(since, now)}`;
    for await (const j of client.backupJobs.list(vault.name, vault.resourceGroup, { filter })) {
      const entry = runningEntry(j);
      if (entry) found.set(...entry);
    }
  }
  return found;
}

/**
 * The vault's running VM backups among the jobs that started in [since, now]: ONE list without a
 * status filter, running ones kept client-side (same keys as runningBackupsOfVault). Cheap only for
 * a short window (minutes of a vault's jobs): for "a backup started since we last looked".
 */
export async function runningBackupsStartedSince(arm: ArmContext, vault: Pick<VaultRef, 'subscriptionId' | 'resourceGroup' | 'name'>, since: Date, now: Date): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const j of arm.backup(vault.subscriptionId).backupJobs.list(vault.name, vault.resourceGroup, { filter: jobListFilter(since, now) })) {
    const entry = runningEntry(j);
    if (entry) found.set(...entry);
  }
  return found;
}

export async function listVaultJobs(arm: ArmContext, vault: VaultRef, since: Date, now: Date): Promise<RawJob[]> {
  const out: RawJob[] = [];
  const pages = arm.backup(vault.subscriptionId).backupJobs.list(vault.name, vault.resourceGroup, { filter: jobListFilter(since, now) });
  for await (const j of pages) {
    if (j.id && j.properties) out.push({ id: j.id, properties: j.properties as unknown as Record<string, unknown> });
  }
  return out;
}

async function jobsOfVaults(arm: ArmContext, vaults: VaultRef[], opts: DiscoverOptions): Promise<RawJob[]> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? 8));
  let done = 0;
  const lists = await Promise.all(
    vaults.map((v) =>
      limit(async () => {
        const jobs = await listVaultJobs(arm, v, opts.since, opts.now);
        done++;
        if (opts.onProgress && (done % 10 === 0 || done === vaults.length)) opts.onProgress(`read jobs of ${done}/${vaults.length} vault(s)`);
        return jobs;
      }),
    ),
  );
  return lists.flat();
}

/** Vaults outside the configured scope (lib/scope) are never read. */
function inScope(vaults: VaultRef[], scope: Scope | undefined): VaultRef[] {
  return scope ? vaults.filter((v) => scope.contains(v)) : vaults;
}

export async function discoverRest(arm: ArmContext, scope: DiscoveryScope, opts: DiscoverOptions): Promise<DiscoveryResult> {
  if (scope.jobId) return discoverJob(arm, scope.jobId, opts);
  if (scope.vmId) return discoverVm(arm, scope.vmId, opts);
  let vaults: VaultRef[];
  if (scope.vaultId) {
    vaults = [parseVaultId(scope.vaultId)];
  } else {
    const subs = (scope.subscriptions ?? []).map(parseSubscriptionId);
    if (subs.length === 0) throw new Error('discovery needs a scope: subscriptions, a vault, a VM or a job');
    vaults = inScope((await Promise.all(subs.map((s) => listVaults(arm, s)))).flat(), opts.scope);
    opts.onProgress?.(`found ${vaults.length} vault(s) in ${subs.length} subscription(s)`);
  }
  const reduced = reduceToLatestPerItem(await jobsOfVaults(arm, vaults, opts));
  return { ...reduced, path: 'rest' };
}

/** The vault protecting a VM, found through the protected items of each vault in the VM's subscription. */
export async function findVaultOfVm(arm: ArmContext, vmId: string, scope?: Scope): Promise<{ vault: VaultRef; protectedItemId: string; containerName: string }[]> {
  const vm = parseVmId(vmId);
  const vaults = inScope(await listVaults(arm, vm.subscriptionId), scope);
  // The vaults' protected items are read side by side (bounded), not one vault after another; the
  // result keeps the vaults' order.
  const limit = pLimit(8);
  const perVault = await Promise.all(
    vaults.map((vault) =>
      limit(async () => {
        const found: { vault: VaultRef; protectedItemId: string; containerName: string }[] = [];
        const items = arm.backup(vm.subscriptionId).backupProtectedItems.list(vault.name, vault.resourceGroup, {
          filter: "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'",
        });
        for await (const it of items) {
          const src = (it.properties as { sourceResourceId?: string } | undefined)?.sourceResourceId;
          if (it.id && src && sameId(src, vm.id)) {
            const names = vmBackupNames(vm.resourceGroup, vm.name);
            found.push({ vault, protectedItemId: it.id, containerName: names.containerName });
          }
        }
        return found;
      }),
    ),
  );
  return perVault.flat();
}

async function discoverVm(arm: ArmContext, vmId: string, opts: DiscoverOptions): Promise<DiscoveryResult> {
  const vm = parseVmId(vmId);
  const homes = await findVaultOfVm(arm, vm.id, opts.scope);
  if (homes.length === 0) {
    return { candidates: [], skipped: [], notes: [{ vmId: vm.id, reason: 'the VM is not protected by any Recovery Services vault in its subscription' }], path: 'rest' };
  }
  const jobs = await jobsOfVaults(arm, homes.map((h) => h.vault), opts);
  const reduced = reduceToLatestPerItem(jobs);
  return {
    candidates: reduced.candidates.filter((c) => sameId(c.vmId, vm.id)),
    skipped: reduced.skipped.filter((s) => sameId(s.vmId, vm.id)),
    notes: reduced.notes,
    path: 'rest',
  };
}

/** Event path: the job named by an alert or event, re-read from ARM, and any later job of the same item. */
async function discoverJob(arm: ArmContext, jobId: string, opts: DiscoverOptions): Promise<DiscoveryResult> {
  const ref = parseJobId(jobId);
  const client = arm.backup(ref.vault.subscriptionId);
  let job: RawJob;
  try {
    const j = await client.jobDetails.get(ref.vault.name, ref.vault.resourceGroup, ref.name);
    job = { id: j.id ?? ref.id, properties: (j.properties ?? {}) as unknown as Record<string, unknown> };
  } catch (e) {
    if (isNotFound(e)) {
      return { candidates: [], skipped: [], notes: [{ jobId: ref.id, reason: 'the job does not exist' }], path: 'rest' };
    }
    throw e;
  }
  const p = normaliseJob(job.properties);
  if (!isVmBackupJob(p)) {
    return { candidates: [], skipped: [], notes: [{ jobId: ref.id, reason: `not an Azure VM backup job (operation ${p.operation ?? '?'}, ${p.backupManagementType ?? '?'})` }], path: 'rest' };
  }
  if ((p.status ?? '').toLowerCase() !== 'failed') {
    return { candidates: [], skipped: [], notes: [{ jobId: ref.id, reason: `the job's status is ${p.status ?? 'unknown'}, not Failed` }], path: 'rest' };
  }
  const from = p.startTime ? new Date(p.startTime) : opts.since;
  const later = await listVaultJobs(arm, ref.vault, from, opts.now);
  const others = later.filter((j) => !sameId(j.id, ref.id));
  const reduced = reduceToLatestPerItem([job, ...others]);
  const container = (p.containerName ?? '').toLowerCase();
  const mine = (id: string) => sameId(id, ref.id);
  // This job was read with JobDetails_Get: the engine has no reason to read it again.
  const candidates: Candidate[] = reduced.candidates.filter((c) => mine(c.jobId)).map((c) => ({ ...c, detailsRead: true }));
  const skipped = reduced.skipped.filter((s) => mine(s.jobId));
  const notes = [...reduced.notes];
  if (candidates.length === 0 && skipped.length === 0) {
    // A later failed job of the same item supersedes this one; the timer path handles that job.
    const newer = reduced.candidates.find((c) => (c.job.containerName ?? '').toLowerCase() === container);
    notes.push({ jobId: ref.id, reason: newer ? `superseded by a later failed job ${newer.jobId}` : 'the job could not be tied to an Azure VM protected item' });
    if (newer) candidates.push(newer);
  }
  return { candidates, skipped, notes, path: 'rest' };
}
