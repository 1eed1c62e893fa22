// Events and alerts are hints that a VM's backup failed. They are parsed into a Target (re-read from
// ARM before anything is done) or an explicit "ignore" with the reason, which the caller logs and
// acknowledges. Accepted shapes:
// - Event Grid schema ({ id, eventType, subject, data, dataVersion, eventTime }) and CloudEvents 1.0
//   ({ specversion: '1.0', id, type, source, data }), whose `data` is either
// - an Azure Monitor common-alert-schema payload for an Azure Backup job failure, or
// - a minimal hint: { vmId } | { protectedItemId } | { jobId, vaultId } (jobId may also be a full id).

import { InputError } from './errors';
import { checkParsedDepth } from './json';
import { itemRef, jobRef, vmOfItem, vmRef, vaultRef, type Target } from './target';

export type Intake =
  | { kind: 'remediate'; target: Target; /** Same key = same failure: duplicates and replays collapse. */ dedupeKey: string; source: string }
  | { kind: 'ignore'; reason: string; source: string; /** For alerts: which kind arrived (recorded with the ignore). */ alertKind?: string };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MINIMAL_KEYS = new Set(['vmId', 'protectedItemId', 'jobId', 'vaultId']);

function dedupeKeyOf(target: Target, fallback: string): string {
  return target.job ? `job:${target.job.id.toLowerCase()}` : `${fallback}`;
}

/** Azure Monitor common alert schema → Target, or ignore for anything that is not a VM backup failure. */
export function parseAlert(payload: unknown, source = 'alert'): Intake {
  if (!isObject(payload)) throw new InputError(400, 'InvalidAlert', 'alert payload must be a JSON object');
  if (payload.schemaId !== 'azureMonitorCommonAlertSchema') {
    throw new InputError(400, 'InvalidAlert', `unsupported alert schemaId ${JSON.stringify(payload.schemaId ?? null)}: expected "azureMonitorCommonAlertSchema"`);
  }
  const data = payload.data;
  if (!isObject(data) || !isObject(data.essentials)) throw new InputError(400, 'InvalidAlert', 'alert payload has no data.essentials');
  const essentials = data.essentials;
  const ctx = isObject(data.alertContext) ? data.alertContext : {};
  if (essentials.monitoringService !== 'Azure Backup') {
    return { kind: 'ignore', reason: `alert from ${JSON.stringify(essentials.monitoringService ?? null)}, not Azure Backup`, source };
  }
  if (essentials.monitorCondition !== 'Fired') {
    return { kind: 'ignore', reason: `alert condition ${JSON.stringify(essentials.monitorCondition ?? null)} (only Fired alerts are acted on)`, source };
  }
  // Built-in backup alerts cover every workload; only Azure VM items are ours (SQL/SAP in a VM are not).
  const itemId = ctx.protectedItemId;
  if (typeof itemId !== 'string' || !/\/protectionContainers\/IaasVMContainer;/i.test(itemId)) {
    return { kind: 'ignore', reason: `alert is not for an Azure VM backup item (sourceType ${JSON.stringify(ctx.sourceType ?? null)})`, source };
  }
  const item = itemRef('alertContext.protectedItemId', itemId);
  const vm = vmOfItem(item);
  if (ctx.linkedResourceId !== undefined) {
    const linked = vmRef('alertContext.linkedResourceId', ctx.linkedResourceId);
    if (linked.id.toLowerCase() !== vm.id.toLowerCase()) {
      // Two different VMs in one alert is an ambiguous target: report, do nothing.
      throw new InputError(400, 'AmbiguousTarget', `alertContext.linkedResourceId (${linked.id}) and protectedItemId name different VMs`);
    }
  }
  const ext = isObject(ctx.extendedInfo) ? ctx.extendedInfo : {};
  const target: Target = { vm, item };
  if (ext.jobId !== undefined && ext.jobId !== null) target.job = jobRef('alertContext.extendedInfo.jobId', ext.jobId, item.vault);
  const alertId = typeof essentials.alertId === 'string' ? essentials.alertId.toLowerCase() : '';
  return { kind: 'remediate', target, dedupeKey: dedupeKeyOf(target, `alert:${alertId || vm.id.toLowerCase()}`), source };
}

/** The minimal hint shape: exactly one way of naming the failure. */
export function parseHint(data: Json, source: string): Intake {
  const unknown = Object.keys(data).filter((k) => !MINIMAL_KEYS.has(k));
  if (unknown.length > 0) throw new InputError(400, 'InvalidEvent', `unexpected field(s) in event data: ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
  let target: Target;
  // A vaultId given with a full job id must be that job's vault; either way it is scope-checked.
  const vault = data.vaultId !== undefined ? vaultRef('data.vaultId', data.vaultId) : undefined;
  if (data.vmId !== undefined) {
    target = { vm: vmRef('data.vmId', data.vmId) };
    if (data.jobId !== undefined) target.job = jobRef('data.jobId', data.jobId, vault);
  } else if (data.protectedItemId !== undefined) {
    const item = itemRef('data.protectedItemId', data.protectedItemId);
    target = { vm: vmOfItem(item), item };
    if (data.jobId !== undefined) target.job = jobRef('data.jobId', data.jobId, item.vault);
  } else if (data.jobId !== undefined) {
    // A job alone does not say which VM until ARM is read; the engine resolves it from the job.
    target = { job: jobRef('data.jobId', data.jobId, vault) };
  } else {
    throw new InputError(400, 'InvalidEvent', 'event data names no vmId, protectedItemId or jobId');
  }
  if (vault && target.job && target.job.vault.id.toLowerCase() !== vault.id.toLowerCase()) {
    throw new InputError(400, 'AmbiguousTarget', 'data.jobId is not a job of data.vaultId');
  }
  if (vault && !target.job) throw new InputError(400, 'InvalidEvent', 'data.vaultId is only accepted with a jobId');
  return { kind: 'remediate', target, dedupeKey: dedupeKeyOf(target, `vm:${target.vm?.id.toLowerCase()}`), source };
}

function parseData(data: unknown, source: string): Intake {
  if (!isObject(data)) throw new InputError(400, 'InvalidEvent', 'event data must be a JSON object');
  if ('schemaId' in data) return parseAlert(data, source);
  return parseHint(data, source);
}

/** One Event Grid or CloudEvents 1.0 event. */
export function parseEvent(event: unknown): Intake {
  checkParsedDepth(event);
  if (!isObject(event)) throw new InputError(400, 'InvalidEvent', 'event must be a JSON object');
  if (event.specversion !== undefined) {
    if (event.specversion !== '1.0') throw new InputError(400, 'InvalidEvent', `unsupported CloudEvents specversion ${JSON.stringify(event.specversion)}`);
    for (const f of ['id', 'type', 'source'] as const) {
      if (typeof event[f] !== 'string' || (event[f] as string).length === 0) throw new InputError(400, 'InvalidEvent', `CloudEvent is missing ${f}`);
    }
    return parseData(event.data, `cloudevent:${event.type as string}`);
  }
  for (const f of ['id', 'eventType', 'subject'] as const) {
    if (typeof event[f] !== 'string' || (event[f] as string).length === 0) throw new InputError(400, 'InvalidEvent', `Event Grid event is missing ${f}`);
  }
  if (/^Microsoft\.EventGrid\.SubscriptionValidationEvent$/i.test(event.eventType as string)) {
    return { kind: 'ignore', reason: 'Event Grid subscription validation is answered by the host', source: 'eventgrid' };
  }
  return parseData(event.data, `eventgrid:${event.eventType as string}`);
}
