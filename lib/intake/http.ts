// Request bodies of the HTTP API and the alert webhook, and the work-queue message format.

import type { JobRef, VmRef } from '../arm/ids';
import { InputError } from './errors';
import { checkParsedDepth, readJson, requireJsonContentType } from './json';
import { jobRef, vmRef } from './target';

export type RequestedMode = 'dry-run' | 'apply';

export interface RemediateRequest {
  vm: VmRef;
  mode: RequestedMode;
}

/** The body of an HTTP request: JSON by its Content-Type (415 otherwise), read strictly. */
export function readJsonRequest(text: string, headers: { get(name: string): string | null }): unknown {
  requireJsonContentType(headers.get('content-type'));
  return readJson(text, undefined, headers.get('content-length'));
}

/** `POST /api/remediate` body: `{ "vmId": "...", "mode": "dry-run" | "apply" }` (mode defaults to dry-run). */
export function parseRemediateRequest(body: unknown): RemediateRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError(400, 'InvalidBody', 'body must be a JSON object { "vmId": "...", "mode": "dry-run" | "apply" }');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'vmId' && k !== 'mode');
  if (unknown.length > 0) throw new InputError(400, 'InvalidBody', `unexpected field(s): ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
  // Only an absent mode means dry-run; null or anything else is a mistake worth a 400.
  const mode = b.mode === undefined ? 'dry-run' : b.mode;
  if (mode !== 'dry-run' && mode !== 'apply') {
    throw new InputError(400, 'InvalidBody', `mode must be "dry-run" or "apply", got ${JSON.stringify(mode)}`);
  }
  if (b.vmId === undefined) throw new InputError(400, 'InvalidBody', 'vmId is required');
  return { vm: vmRef('vmId', b.vmId), mode };
}

export interface WorkMessage {
  vm: VmRef;
  job?: JobRef;
  /** The timer run that fanned this VM out. */
  parentRunId?: string;
}

const WORK_KEYS = new Set(['vmId', 'jobId', 'parentRunId']);
const RUN_ID = /^[0-9a-zA-Z-]{1,64}$/;

export function parseRunId(v: unknown): string {
  if (typeof v !== 'string' || !RUN_ID.test(v)) throw new InputError(400, 'InvalidRunId', 'runId must be 1-64 letters, digits or hyphens');
  return v;
}

/** One VM per queue message; anything else is a poison message (recorded, never acted on). */
export function parseWorkMessage(msg: unknown): WorkMessage {
  const m = typeof msg === 'string' ? readJson(msg) : msg;
  checkParsedDepth(m);
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new InputError(400, 'InvalidMessage', 'queue message must be a JSON object');
  const o = m as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !WORK_KEYS.has(k));
  if (unknown.length > 0) throw new InputError(400, 'InvalidMessage', `unexpected field(s): ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
  const out: WorkMessage = { vm: vmRef('vmId', o.vmId) };
  if (o.jobId !== undefined) out.job = jobRef('jobId', o.jobId, undefined);
  if (o.parentRunId !== undefined) out.parentRunId = parseRunId(o.parentRunId);
  return out;
}
