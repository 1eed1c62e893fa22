// Events and alerts are hints that a VM's backup failed. They are parsed into a Target (re-read from
// ARM before anything is done) or an explicit "ignore" with the reason, which the caller logs and
// acknowledges. Accepted shapes:
// - Event Grid schema ({ id, eventType, subject, data, dataVersion, eventTime }) and CloudEvents 1.0
//   ({ specversion: '1.0', id, type, source, data }), whose `data` is either
// - an Azure Monitor common-alert-schema payload for an Azure Backup job failure, or
// - a minimal hint: { vmId } | { protectedItemId } | { jobId, vaultId } (jobId may also be a full id).

import { InputError } from './errors';
import { jobIdFrom, protectedItemTarget, vmTarget, type Target } from './target';

export type Intake =
  | { kind: 'remediate'; target: Target; /** Same key = same failure: duplicates and replays collapse. */ dedupeKey: string; source: string }
  | { kind: 'ignore'; reason: string; source: string };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MINIMAL_KEYS = new Set(['vmId', 'protectedItemId', 'jobId', 'vaultId']);

function dedupeKeyOf(target: Target, fallback: string): string {
  return target.jobId ? `job:${target.jobId.toLowerCase()}` : `${fallback}`;
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
  const fromItem = protectedItemTarget('alertContext.protectedItemId', itemId);
  if (ctx.linkedResourceId !== undefined) {
    const linked = vmTarget('alertContext.linkedResourceId', ctx.linkedResourceId);
    if (linked.vmId.toLowerCase() !== fromItem.vmId.toLowerCase()) {
      // Two different VMs in one alert is an ambiguous target: report, do nothing.
      throw new InputError(400, 'AmbiguousTarget', `alertContext.linkedResourceId (${linked.vmId}) and protectedItemId name different VMs`);
    }
  }
  const ext = isObject(ctx.extendedInfo) ? ctx.extendedInfo : {};
  const target: Target = { ...fromItem };
  if (ext.jobId !== undefined && ext.jobId !== null) {
    const vaultId = fromItem.protectedItemId!.split('/backupFabrics/')[0];
    target.jobId = jobIdFrom('alertContext.extendedInfo.jobId', ext.jobId, vaultId);
  }
  const alertId = typeof essentials.alertId === 'string' ? essentials.alertId.toLowerCase() : '';
  return { kind: 'remediate', target, dedupeKey: dedupeKeyOf(target, `alert:${alertId || fromItem.vmId.toLowerCase()}`), source };
}

/** The minimal hint shape: exactly one way of naming the failure. */
export function parseHint(data: Json, source: string): Intake {
  const unknown = Object.keys(data).filter((k) => !MINIMAL_KEYS.has(k));
  if (unknown.length > 0) throw new InputError(400, 'InvalidEvent', `unexpected field(s) in event data: ${unknown.join(', ')}`);
  let target: Target;
  if (data.vmId !== undefined) {
    target = vmTarget('data.vmId', data.vmId);
    if (data.jobId !== undefined) target.jobId = jobIdFrom('data.jobId', data.jobId, data.vaultId);
  } else if (data.protectedItemId !== undefined) {
    target = protectedItemTarget('data.protectedItemId', data.protectedItemId);
    if (data.jobId !== undefined) target.jobId = jobIdFrom('data.jobId', data.jobId, target.protectedItemId!.split('/backupFabrics/')[0]);
  } else if (data.jobId !== undefined) {
    // A job alone does not say which VM until ARM is read; the engine resolves it from the job.
    const jobId = jobIdFrom('data.jobId', data.jobId, data.vaultId);
    return { kind: 'remediate', target: { jobId }, dedupeKey: `job:${jobId.toLowerCase()}`, source };
  } else {
    throw new InputError(400, 'InvalidEvent', 'event data names no vmId, protectedItemId or jobId');
  }
  return { kind: 'remediate', target, dedupeKey: dedupeKeyOf(target, `vm:${target.vmId!.toLowerCase()}`), source };
}

function parseData(data: unknown, source: string): Intake {
  if (!isObject(data)) throw new InputError(400, 'InvalidEvent', 'event data must be a JSON object');
  if ('schemaId' in data) return parseAlert(data, source);
  return parseHint(data, source);
}

/** One Event Grid or CloudEvents 1.0 event. */
export function parseEvent(event: unknown): Intake {
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
