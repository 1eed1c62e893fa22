// Input that reaches us from outside (HTTP bodies, events, alerts, queue messages) is untrusted.
// Anything we refuse is refused with a status and a sentence an operator can act on, never a 5xx,
// and always before any ARM call is made. Every failure maps to one answer here: a stable code and a
// safe message for the caller; the details (redacted) go to the log only.

import { isRestError } from '@azure/core-rest-pipeline';
import { ConfigError } from '../config';
import { redact } from '../redact';

export type InputStatus = 400 | 403 | 404 | 409 | 413 | 415 | 429;

export class InputError extends Error {
  constructor(
    readonly status: InputStatus,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}

/** 64 KiB: far above any alert payload or API body we accept, far below what could hurt a worker. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface Answer {
  status: number;
  code: string;
  /** Safe for the caller: no internal detail, credentials redacted. */
  message: string;
  /** For the log only (redacted too): what actually went wrong. */
  detail?: string;
}

/** The Azure REST error behind `e`, if any (ARM, Table Storage and queues wrap theirs as `cause`). */
function upstreamOf(e: unknown): { statusCode?: number; code?: string } | undefined {
  for (let cur: unknown = e, i = 0; cur && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    if (isRestError(cur)) return { statusCode: cur.statusCode, code: cur.code };
    if ((cur as { name?: unknown }).name === 'ThrottledError') return { statusCode: 429, code: 'Throttled' };
  }
  return undefined;
}

/** Input → 4xx; settings → 500 Misconfigured; Azure's own failures → 502; our own faults → 500. */
export function answerFor(e: unknown, invocationId: string): Answer {
  const detail = redact(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  if (isInputError(e)) return { status: e.status, code: e.code, message: redact(e.message) };
  if (e instanceof ConfigError) return { status: 500, code: 'Misconfigured', message: redact(e.message), detail };
  const upstream = upstreamOf(e);
  if (upstream) {
    const what = `${upstream.statusCode ?? 'no answer'}${upstream.code ? ` ${upstream.code}` : ''}`;
    const message = `an Azure service call failed (${redact(what).slice(0, 120)}); see the log for invocation ${invocationId}`;
    return { status: 502, code: 'UpstreamFailure', message, detail };
  }
  return { status: 500, code: 'InternalError', message: `internal error; see the log for invocation ${invocationId}`, detail };
}
