// What an event, alert, HTTP call or queue message asks us to look at, once validated: always a VM,
// optionally the job that failed. Ids are re-parsed with the strict parsers of lib/arm/ids so a
// crafted id (path tricks, other resource types, encoded slashes) never reaches an ARM call.

import {
  InvalidResourceIdError,
  parseJobId,
  parseProtectedItemId,
  parseVaultId,
  parseVmId,
  vmId as buildVmId,
} from '../arm/ids';
import type { Settings } from '../config';
import { InputError } from './errors';

export interface Target {
  /** Absent only when the source named just a job: the engine resolves the VM from the job. */
  vmId?: string;
  /** Full ARM id of the failed job, when the source named one. */
  jobId?: string;
  protectedItemId?: string;
}

const GUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function bad(field: string, e: unknown): InputError {
  const why = e instanceof InvalidResourceIdError ? e.message : String(e);
  return new InputError(400, 'InvalidResourceId', `${field}: ${why}`);
}

function asString(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new InputError(400, 'InvalidField', `${field} must be a non-empty string`);
  if (v.length > 1024) throw new InputError(400, 'InvalidField', `${field} is longer than 1024 characters`);
  return v;
}

export function vmTarget(field: string, v: unknown): Target & { vmId: string } {
  try {
    return { vmId: parseVmId(asString(field, v)).id };
  } catch (e) {
    throw e instanceof InputError ? e : bad(field, e);
  }
}

/** A protected item names its VM (`...;<rg>;<vm>`) in the vault's subscription. */
export function protectedItemTarget(field: string, v: unknown): Target & { vmId: string; protectedItemId: string } {
  try {
    const item = parseProtectedItemId(asString(field, v));
    return {
      vmId: buildVmId(item.vault.subscriptionId, item.vm.resourceGroup, item.vm.name),
      protectedItemId: item.id,
    };
  } catch (e) {
    throw e instanceof InputError ? e : bad(field, e);
  }
}

/** A job is either a full ARM id, or a bare job name (a GUID) with the vault it ran in. */
export function jobIdFrom(field: string, job: unknown, vault: unknown): string {
  const text = asString(field, job);
  try {
    if (text.startsWith('/')) return parseJobId(text).id;
    if (!GUIDISH.test(text)) throw new InputError(400, 'InvalidField', `${field} must be a job's ARM id or its GUID name`);
    const v = parseVaultId(asString('vaultId', vault));
    return parseJobId(`${v.id}/backupJobs/${text}`).id;
  } catch (e) {
    throw e instanceof InputError ? e : bad(field, e);
  }
}

/**
 * The configured scope is a hard boundary: a target outside it is refused (403) before any read,
 * so a caller cannot use us to probe or touch subscriptions we were not given.
 */
export function assertInScope(target: Target, settings: Pick<Settings, 'subscriptions' | 'resourceGroups'>): void {
  const subs = settings.subscriptions.map((s) => s.toLowerCase());
  if (subs.length === 0) {
    // No configured scope means we were not told what we may touch: refuse rather than act everywhere.
    throw new InputError(403, 'OutOfScope', 'REMEDIATION_SUBSCRIPTIONS is empty: no subscription is in scope');
  }
  const vm = target.vmId ? parseVmId(target.vmId) : undefined;
  const jobSubscriptionId = target.jobId ? parseJobId(target.jobId).vault.subscriptionId : undefined;
  if (!vm && !jobSubscriptionId) throw new InputError(400, 'InvalidTarget', 'no VM or job named');
  // Both the VM's and the job's subscriptions: a job named next to an in-scope VM is read from ARM too.
  for (const subscriptionId of [vm?.subscriptionId, jobSubscriptionId]) {
    if (subscriptionId !== undefined && !subs.includes(subscriptionId.toLowerCase())) {
      throw new InputError(403, 'OutOfScope', `subscription ${subscriptionId} is not in REMEDIATION_SUBSCRIPTIONS`);
    }
  }
  // A job-only target's resource group is checked by the engine once the job names its VM.
  if (vm && settings.resourceGroups.length > 0) {
    const key = `${vm.subscriptionId}/${vm.resourceGroup}`.toLowerCase();
    if (!settings.resourceGroups.some((rg) => rg.toLowerCase() === key)) {
      throw new InputError(403, 'OutOfScope', `resource group ${vm.resourceGroup} is not in REMEDIATION_RESOURCE_GROUPS`);
    }
  }
}
