// Request bodies of the HTTP API and the alert webhook, and the work-queue message format.

import { InputError, MAX_BODY_BYTES } from './errors';
import { jobIdFrom, vmTarget } from './target';

export type RequestedMode = 'dry-run' | 'apply';

/** Reads and parses a JSON body, refusing oversized (413) and malformed (400) bodies precisely. */
export function parseJsonBody(text: string, declaredLength?: string | null): unknown {
  if (declaredLength && Number(declaredLength) > MAX_BODY_BYTES) {
    throw new InputError(413, 'PayloadTooLarge', `body of ${declaredLength} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new InputError(413, 'PayloadTooLarge', `body exceeds the ${MAX_BODY_BYTES}-byte limit`);
  }
  if (text.trim().length === 0) throw new InputError(400, 'EmptyBody', 'request body is empty: expected JSON');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(400, 'MalformedJson', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

export interface RemediateRequest {
  vmId: string;
  mode: RequestedMode;
}

/** `POST /api/remediate` body: `{ "vmId": "...", "mode": "dry-run" | "apply" }` (mode defaults to dry-run). */
export function parseRemediateRequest(body: unknown): RemediateRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError(400, 'InvalidBody', 'body must be a JSON object { "vmId": "...", "mode": "dry-run" | "apply" }');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'vmId' && k !== 'mode');
  if (unknown.length > 0) throw new InputError(400, 'InvalidBody', `unexpected field(s): ${unknown.join(', ')}`);
  // Only an absent mode means dry-run; null or anything else is a mistake worth a 400.
  const mode = b.mode === undefined ? 'dry-run' : b.mode;
  if (mode !== 'dry-run' && mode !== 'apply') {
    throw new InputError(400, 'InvalidBody', `mode must be "dry-run" or "apply", got ${JSON.stringify(mode)}`);
  }
  if (b.vmId === undefined) throw new InputError(400, 'InvalidBody', 'vmId is required');
  return { vmId: vmTarget('vmId', b.vmId).vmId, mode };
}

export interface WorkMessage {
  vmId: string;
  jobId?: string;
  /** The timer run that fanned this VM out. */
  parentRunId?: string;
}

const RUN_ID = /^[0-9a-zA-Z-]{1,64}$/;

export function parseRunId(v: unknown): string {
  if (typeof v !== 'string' || !RUN_ID.test(v)) throw new InputError(400, 'InvalidRunId', 'runId must be 1-64 letters, digits or hyphens');
  return v;
}

/** One VM per queue message; anything else is a poison message (recorded, never acted on). */
export function parseWorkMessage(msg: unknown): WorkMessage {
  const m = typeof msg === 'string' ? parseJsonBody(msg) : msg;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new InputError(400, 'InvalidMessage', 'queue message must be a JSON object');
  const o = m as Record<string, unknown>;
  const out: WorkMessage = { vmId: vmTarget('vmId', o.vmId).vmId };
  if (o.jobId !== undefined) out.jobId = jobIdFrom('jobId', o.jobId, undefined);
  if (o.parentRunId !== undefined) out.parentRunId = parseRunId(o.parentRunId);
  return out;
}
