// Azure Monitor common-alert-schema payloads an operator can point at us (docs/design.md, "Alert
// shapes"). Three kinds are understood; every other kind is acknowledged and recorded as ignored
// with its kind and the reason:
// - built-in Azure Backup "Backup Failure" (monitoringService "Azure Backup"): the protected item and
//   the job come from alertContext.protectedItemId / extendedInfo.jobId;
// - a metric alert on a vault's Backup Health Events metric (monitoringService "Platform", metric
//   BackupHealthEvent): the VM from the dataSourceURL dimension, the vault from alertTargetIDs; the
//   failed job is found by reading ARM (the engine's VM discovery);
// - a log search alert (monitoringService "Log Alerts V2") over backup diagnostics: the VM only by
//   display name in a dimension, resolved later through the vault the alert names, and only there.
// Ids arrive in any casing (alertTargetIDs are lower-cased); they are parsed case-insensitively and
// the canonical casing is taken from ARM's answers downstream.

import type { VaultRef } from '../arm/ids';
import { nameProblem } from '../arm/names';
import { InputError } from './errors';
import { itemRef, jobRef, vaultRef, vmOfItem, vmRef, type Target } from './target';

export type AlertKind = 'backup-failure' | 'backup-health-metric' | 'log-search' | 'other';

export type AlertIntake =
  | { kind: 'remediate'; target: Target; dedupeKey: string; source: string; alertKind?: AlertKind }
  | { kind: 'resolve-name'; vault: VaultRef; displayName: string; dedupeKey: string; source: string; alertKind: 'log-search' }
  | { kind: 'ignore'; reason: string; source: string; alertKind?: AlertKind };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Alert {
  essentials: Json;
  ctx: Json;
  source: string;
  alertId: string;
}

/** Azure Monitor common alert schema → what to do about it. */
export function parseAlert(payload: unknown, source = 'alert'): AlertIntake {
  if (!isObject(payload)) throw new InputError(400, 'InvalidAlert', 'alert payload must be a JSON object');
  if (payload.schemaId !== 'azureMonitorCommonAlertSchema') {
    throw new InputError(400, 'InvalidAlert', `unsupported alert schemaId ${JSON.stringify(String(payload.schemaId ?? null).slice(0, 80))}: expected "azureMonitorCommonAlertSchema"`);
  }
  const data = payload.data;
  if (!isObject(data) || !isObject(data.essentials)) throw new InputError(400, 'InvalidAlert', 'alert payload has no data.essentials');
  const essentials = data.essentials;
  const alert: Alert = {
    essentials,
    ctx: isObject(data.alertContext) ? data.alertContext : {},
    source,
    alertId: typeof essentials.alertId === 'string' ? essentials.alertId.toLowerCase().slice(0, 300) : '',
  };
  const kind = alertKindOf(alert);
  if (kind === 'other') {
    const what = `${JSON.stringify(String(essentials.monitoringService ?? null).slice(0, 60))} ${JSON.stringify(String(essentials.signalType ?? null).slice(0, 20))}`;
    return { kind: 'ignore', reason: `alert kind not handled (monitoringService/signalType ${what}): only Azure Backup failure, Backup Health metric and backup log search alerts are`, source, alertKind: kind };
  }
  if (essentials.monitorCondition !== 'Fired') {
    return { kind: 'ignore', reason: `alert condition ${JSON.stringify(String(essentials.monitorCondition ?? null).slice(0, 40))} (only Fired alerts are acted on)`, source, alertKind: kind };
  }
  if (kind === 'backup-failure') return backupFailure(alert);
  if (kind === 'backup-health-metric') return backupHealthMetric(alert);
  return logSearch(alert);
}

function alertKindOf({ essentials, ctx }: Alert): AlertKind {
  if (essentials.monitoringService === 'Azure Backup') return 'backup-failure';
  if (essentials.monitoringService === 'Platform' && conditions(ctx).some((c) => String(c.metricName).toLowerCase() === 'backuphealthevent')) return 'backup-health-metric';
  if (essentials.monitoringService === 'Log Alerts V2') return 'log-search';
  return 'other';
}

/** alertContext.condition.allOf[] (metric and Log Alerts V2 alerts). */
function conditions(ctx: Json): Json[] {
  const cond = isObject(ctx.condition) ? ctx.condition : {};
  return Array.isArray(cond.allOf) ? cond.allOf.filter(isObject) : [];
}

/** The dimensions of every condition, name (lower-cased) → values. */
function dimensions(ctx: Json): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of conditions(ctx)) {
    for (const d of Array.isArray(c.dimensions) ? c.dimensions.filter(isObject) : []) {
      if (typeof d.name !== 'string' || typeof d.value !== 'string') continue;
      const key = d.name.toLowerCase();
      out.set(key, [...(out.get(key) ?? []), d.value]);
    }
  }
  return out;
}

/** One value for a dimension; two different ones (any casing aside) make the alert ambiguous. */
function oneValue(dims: Map<string, string[]>, name: string): string | undefined {
  const values = dims.get(name.toLowerCase()) ?? [];
  const distinct = new Set(values.map((v) => v.toLowerCase()));
  if (distinct.size > 1) throw new InputError(400, 'AmbiguousTarget', `dimension ${name} has ${distinct.size} different values`);
  return values[0];
}

function backupFailure({ ctx, source, alertId }: Alert): AlertIntake {
  // Built-in backup alerts cover every workload; only Azure VM items are ours (SQL/SAP in a VM are not).
  const itemId = ctx.protectedItemId;
  if (typeof itemId !== 'string' || !/\/protectionContainers\/IaasVMContainer;/i.test(itemId)) {
    return { kind: 'ignore', reason: `alert is not for an Azure VM backup item (sourceType ${JSON.stringify(String(ctx.sourceType ?? null).slice(0, 40))})`, source, alertKind: 'backup-failure' };
  }
  const item = itemRef('alertContext.protectedItemId', itemId);
  const vm = vmOfItem(item);
  if (ctx.linkedResourceId !== undefined) {
    const linked = vmRef('alertContext.linkedResourceId', ctx.linkedResourceId);
    // Two different VMs in one alert is an ambiguous target: report, do nothing.
    if (linked.id.toLowerCase() !== vm.id.toLowerCase()) throw new InputError(400, 'AmbiguousTarget', 'alertContext.linkedResourceId and protectedItemId name different VMs');
  }
  const ext = isObject(ctx.extendedInfo) ? ctx.extendedInfo : {};
  const target: Target = { vm, item };
  if (ext.jobId !== undefined && ext.jobId !== null) target.job = jobRef('alertContext.extendedInfo.jobId', ext.jobId, item.vault);
  const dedupeKey = target.job ? `job:${target.job.id.toLowerCase()}` : `alert:${alertId || vm.id.toLowerCase()}`;
  return { kind: 'remediate', target, dedupeKey, source, alertKind: 'backup-failure' };
}

/** The vault an alert targets (alertTargetIDs), if it names exactly one Recovery Services vault. */
function targetVault(essentials: Json): VaultRef | undefined {
  const ids = Array.isArray(essentials.alertTargetIDs) ? essentials.alertTargetIDs.filter((i): i is string => typeof i === 'string') : [];
  const vaults = ids.filter((id) => /\/providers\/microsoft\.recoveryservices\/vaults\/[^/]+\/?$/i.test(id));
  if (vaults.length > 1) throw new InputError(400, 'AmbiguousTarget', 'alertTargetIDs names more than one vault');
  return vaults.length === 1 ? vaultRef('essentials.alertTargetIDs', vaults[0]) : undefined;
}

function backupHealthMetric({ essentials, ctx, source, alertId }: Alert): AlertIntake {
  const dims = dimensions(ctx);
  const vault = targetVault(essentials);
  if (!vault) throw new InputError(400, 'InvalidAlert', 'Backup Health metric alert: alertTargetIDs names no Recovery Services vault');
  const health = oneValue(dims, 'healthStatus');
  if (health !== undefined && /^healthy$/i.test(health)) {
    return { kind: 'ignore', reason: 'Backup Health metric alert for a healthy item', source, alertKind: 'backup-health-metric' };
  }
  const url = oneValue(dims, 'dataSourceURL');
  if (url === undefined) throw new InputError(400, 'InvalidAlert', 'Backup Health metric alert has no dataSourceURL dimension (split the rule by it)');
  if (!/\/providers\/microsoft\.compute\/virtualmachines\/[^/]+\/?$/i.test(url)) {
    return { kind: 'ignore', reason: 'Backup Health metric alert for a data source that is not an Azure VM', source, alertKind: 'backup-health-metric' };
  }
  const vm = vmRef('dimension dataSourceURL', url);
  // No job in the alert: the engine finds the VM's latest failed job by reading ARM.
  return { kind: 'remediate', target: { vm, vault }, dedupeKey: `alert:${alertId || vm.id.toLowerCase()}`, source, alertKind: 'backup-health-metric' };
}

/** Dimension names that carry the VM's display name / the vault in backup diagnostics (AddonAzureBackup*, CoreAzureBackup). */
const NAME_DIMENSIONS = ['BackupItemFriendlyName', 'BackupItemName', 'VMName'];
const VAULT_DIMENSIONS = ['ResourceId', '_ResourceId', 'VaultResourceId'];

function logSearch({ essentials, ctx, source, alertId }: Alert): AlertIntake {
  const dims = dimensions(ctx);
  const named = NAME_DIMENSIONS.map((n) => oneValue(dims, n)).filter((v): v is string => v !== undefined);
  if (new Set(named.map((n) => n.toLowerCase())).size > 1) throw new InputError(400, 'AmbiguousTarget', 'the alert\'s dimensions name different VMs');
  const vaultIds = VAULT_DIMENSIONS.map((n) => oneValue(dims, n)).filter((v): v is string => v !== undefined && /\/vaults\//i.test(v));
  const vault = vaultIds.length > 0 ? vaultRef('dimension ResourceId', vaultIds[0]) : targetVault(essentials);
  if (named.length === 0 || !vault) {
    const missing = named.length === 0 ? `a VM name dimension (${NAME_DIMENSIONS.join(', ')})` : 'a vault (a ResourceId dimension or a vault in alertTargetIDs)';
    return { kind: 'ignore', reason: `log search alert does not name ${missing}: split the rule by those dimensions`, source, alertKind: 'log-search' };
  }
  const problem = nameProblem('virtual machine', named[0]);
  if (problem) throw new InputError(400, 'InvalidField', `VM display name: ${problem}`);
  return { kind: 'resolve-name', vault, displayName: named[0], dedupeKey: `alert:${alertId || `${vault.id}/${named[0]}`.toLowerCase()}`, source, alertKind: 'log-search' };
}
