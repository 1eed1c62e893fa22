// Verification of a Backup Now: follow the operation to its job and the job to its end, within a
// bounded wait. A job still running at the deadline is `pending`: the next run verifies it instead
// of triggering another backup.

import type { ArmContext } from './arm/clients';
import { isNotFound } from './arm/errors';
import { parseJobId, parseProtectedItemId, parseVaultId, type VaultRef } from './arm/ids';
import { classify, type JobLike } from './classify';
import type { Logger } from './log';
import type { Verification } from './types';

/** Verification's failure code for a job ARM answers 404 for (the job or its vault is gone). */
export const JOB_NOT_FOUND = 'JobNotFound';

/** Job states after which a job never changes again. */
const SUCCEEDED = new Set(['completed', 'completedwithwarnings']);
const FAILED = new Set(['failed', 'cancelled']);

export interface VerifyTiming {
  /** Upper bound on the whole wait (settings.verifyTimeoutMs). */
  timeoutMs: number;
  /** Time between two polls; the service's jobs take minutes, so the default is 30 s. */
  pollIntervalMs?: number;
  /**
   * How to wait between polls. Default: a real timer. Tests against the in-process emulator pass
   * `async (ms) => emulator.clock.advance(ms)` so simulated time passes and nothing sleeps.
   */
  wait?: (ms: number) => Promise<void>;
}

export interface VerifyTarget {
  /** The job Backup Now created: a full ARM job id, or a job name together with `vaultId`. */
  jobId?: string;
  vaultId?: string;
  /** When only the operation is known: the protected item and the operation id from its Location header. */
  protectedItemId?: string;
  operationId?: string;
}

export interface VerifyOptions extends VerifyTiming {
  arm: ArmContext;
  log?: Logger;
}

const realWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function resolveVault(target: VerifyTarget): VaultRef {
  if (target.vaultId) return parseVaultId(target.vaultId);
  if (target.protectedItemId) return parseProtectedItemId(target.protectedItemId).vault;
  if (target.jobId && target.jobId.includes('/')) return parseJobId(target.jobId).vault;
  throw new Error('verify: cannot tell which vault the job is in (give a full job id, vaultId or protectedItemId)');
}

function jobName(jobId: string): string {
  return jobId.includes('/') ? parseJobId(jobId).name : jobId;
}

/** The failure code of a finished job, through the same classifier discovery uses. */
export function failureCodeOf(properties: unknown): string {
  const job = (properties ?? {}) as JobLike;
  return classify(job).code;
}

type BackupClient = ReturnType<ArmContext['backup']>;
/** One bounded pause between polls; false once the wait is used up. */
type Pause = () => Promise<boolean>;

function boundedPause(opts: VerifyOptions): Pause {
  const wait = opts.wait ?? realWait;
  const interval = Math.max(1, opts.pollIntervalMs ?? 30_000);
  const started = Date.now();
  let waited = 0;
  // Simulated waits and wall time both count, so the bound holds with either kind of clock.
  const timeLeft = (): number => opts.timeoutMs - Math.max(waited, Date.now() - started);
  return async () => {
    const step = Math.min(interval, timeLeft());
    if (step <= 0) return false;
    await wait(step);
    waited += step;
    return true;
  };
}

/** Follows the Backup Now operation until it names its job: the job name, or how it ended without one. */
async function jobOfOperation(client: BackupClient, vault: VaultRef, target: VerifyTarget, pause: Pause): Promise<string | Verification> {
  if (!target.protectedItemId || !target.operationId) {
    throw new Error('verify: need a job id, or a protected item id and an operation id');
  }
  const item = parseProtectedItemId(target.protectedItemId);
  // The operation names its job once the service has accepted the backup.
  for (;;) {
    const op = await client.protectedItemOperationStatuses.get(vault.name, vault.resourceGroup, 'Azure', item.containerName, item.itemName, target.operationId);
    const status = (op.status ?? '').toLowerCase();
    const props = op.properties as { jobId?: string } | undefined;
    if (props?.jobId) return jobName(props.jobId);
    if (status === 'failed' || status === 'canceled' || status === 'cancelled') {
      return { outcome: 'escalated', status: op.status, failureCode: op.error?.code ?? 'OperationFailed' };
    }
    if (!(await pause())) return { outcome: 'pending', status: op.status };
  }
}

/** Follows the job to its end within the wait. */
async function followJob(client: BackupClient, vault: VaultRef, name: string, pause: Pause, log?: Logger): Promise<Verification> {
  const jobId = `${vault.id}/backupJobs/${name}`;
  for (;;) {
    let job: Awaited<ReturnType<typeof client.jobDetails.get>>;
    try {
      job = await client.jobDetails.get(vault.name, vault.resourceGroup, name);
    } catch (e) {
      // The job (or its vault) no longer exists: it can never be seen to end, so following it again
      // would fail the same way on every later run. Hand it to a human instead.
      if (!isNotFound(e)) throw e;
      log?.warn('verification: backup job no longer exists', { backupJobId: jobId, code: (e as { code?: unknown }).code });
      return { outcome: 'escalated', jobId, status: 'NotFound', failureCode: JOB_NOT_FOUND };
    }
    const status = job.properties?.status ?? 'Unknown';
    const s = status.toLowerCase();
    if (SUCCEEDED.has(s)) {
      log?.info('verification: backup job completed', { backupJobId: jobId, status });
      return { outcome: 'resolved', jobId, status };
    }
    if (FAILED.has(s)) {
      const failureCode = failureCodeOf(job.properties);
      log?.warn('verification: backup job failed', { backupJobId: jobId, status, failureCode });
      return { outcome: 'escalated', jobId, status, failureCode };
    }
    if (!(await pause())) {
      log?.info('verification: backup job still running at the deadline', { backupJobId: jobId, status });
      return { outcome: 'pending', jobId, status };
    }
  }
}

export async function verifyBackup(target: VerifyTarget, opts: VerifyOptions): Promise<Verification> {
  const vault = resolveVault(target);
  const client = opts.arm.backup(vault.subscriptionId);
  const pause = boundedPause(opts);
  const name = target.jobId ? jobName(target.jobId) : await jobOfOperation(client, vault, target, pause);
  if (typeof name !== 'string') return name;
  return followJob(client, vault, name, pause, opts.log);
}
