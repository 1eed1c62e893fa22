// Events and alerts are hints that a VM's backup failed. They are parsed into a Target (re-read from
// ARM before anything is done) or an explicit "ignore" with the reason, which the caller logs and
// acknowledges. Accepted shapes:
// - Event Grid schema ({ id, eventType, subject, data, dataVersion, eventTime }) and CloudEvents 1.0
//   ({ specversion: '1.0', id, type, source, data }), whose `data` is either
// - an Azure Monitor common-alert-schema payload (lib/intake/alerts says which kinds), or
// - a minimal hint: { vmId } | { protectedItemId } | { jobId, vaultId } (jobId may also be a full id).

import { InputError } from './errors';
import { checkParsedDepth } from './json';
import { parseAlert, type AlertIntake } from './alerts';
import { itemRef, jobRef, vmOfItem, vmRef, vaultRef, type Target } from './target';

export { parseAlert };

/** What to do about one input. `dedupeKey`: same key = same failure, so duplicates and replays collapse. */
export type Intake = AlertIntake;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MINIMAL_KEYS = new Set(['vmId', 'protectedItemId', 'jobId', 'vaultId']);

function dedupeKeyOf(target: Target, fallback: string): string {
  return target.job ? `job:${target.job.id.toLowerCase()}` : `${fallback}`;
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
