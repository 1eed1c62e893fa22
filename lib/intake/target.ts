// What an event, alert, HTTP call or queue message asks us to look at, once validated. Ids are parsed
// once, here, into typed references (lib/arm/ids: strict, names checked against ARM's rules), so a
// crafted id (path tricks, other resource types, encoded slashes, look-alike characters) never reaches
// an ARM call and no lower layer parses the same string again.

import {
  InvalidResourceIdError,
  parseJobId,
  parseProtectedItemId,
  parseVaultId,
  parseVmId,
  type JobRef,
  type ProtectedItemRef,
  type VaultRef,
  type VmRef,
} from '../arm/ids';
import { Scope, type ScopeLists } from '../scope';
import { InputError } from './errors';

export interface Target {
  /** Absent only when the source named just a job (or a vault to search): the engine resolves it. */
  vm?: VmRef;
  /** The failed job, when the source named one. */
  job?: JobRef;
  item?: ProtectedItemRef;
  /** The vault an alert named (Backup Health metric, log search): scope-checked like the rest. */
  vault?: VaultRef;
}

const GUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function bad(field: string, e: unknown): InputError {
  const why = e instanceof InvalidResourceIdError ? e.message : 'not a valid resource id';
  return new InputError(400, 'InvalidResourceId', `${field}: ${why}`);
}

function asString(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new InputError(400, 'InvalidField', `${field} must be a non-empty string`);
  if (v.length > 1024) throw new InputError(400, 'InvalidField', `${field} is longer than 1024 characters`);
  return v;
}

function parsed<T>(field: string, v: unknown, parse: (s: string) => T): T {
  const text = asString(field, v);
  try {
    return parse(text);
  } catch (e) {
    throw bad(field, e);
  }
}

export const vmRef = (field: string, v: unknown): VmRef => parsed(field, v, parseVmId);
export const vaultRef = (field: string, v: unknown): VaultRef => parsed(field, v, parseVaultId);
export const itemRef = (field: string, v: unknown): ProtectedItemRef => parsed(field, v, parseProtectedItemId);

/** A protected item names its VM (`...;<rg>;<vm>`) in the vault's subscription. */
export function vmOfItem(item: ProtectedItemRef): VmRef {
  return parseVmId(`/subscriptions/${item.vault.subscriptionId}/resourceGroups/${item.vm.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${item.vm.name}`);
}

/** A job is either a full ARM id, or a bare job name (a GUID) with the vault it ran in. */
export function jobRef(field: string, job: unknown, vault: VaultRef | unknown): JobRef {
  const text = asString(field, job);
  if (text.startsWith('/')) return parsed(field, text, parseJobId);
  if (!GUIDISH.test(text)) throw new InputError(400, 'InvalidField', `${field} must be a job's ARM id or its GUID name`);
  const v = isVaultRef(vault) ? vault : vaultRef('vaultId', vault);
  return parsed(field, `${v.id}/backupJobs/${text}`, parseJobId);
}

function isVaultRef(v: unknown): v is VaultRef {
  return typeof v === 'object' && v !== null && typeof (v as VaultRef).id === 'string' && typeof (v as VaultRef).resourceGroup === 'string';
}

/**
 * The configured scope is a hard boundary: every id the input names (VM, job and its vault, protected
 * item, its vault and its VM) must be inside it, at subscription and resource-group level, or the
 * input is refused (403) before any read.
 */
export function assertInScope(target: Target, lists: ScopeLists): void {
  if (!target.vm && !target.job && !target.item && !target.vault) throw new InputError(400, 'InvalidTarget', 'no VM, vault, protected item or job named');
  const scope = Scope.of(lists);
  for (const ref of [target.vm, target.job, target.item, target.vault]) {
    const outside = ref ? scope.outside(ref) : undefined;
    if (outside) throw new InputError(403, 'OutOfScope', outside.message);
  }
}

/** The engine's view of a target (ids as canonical strings), built from the parsed references. */
export function engineScope(target: Target): { vmId?: string; jobId?: string } {
  return { ...(target.vm ? { vmId: target.vm.id } : {}), ...(target.job ? { jobId: target.job.id } : {}) };
}
