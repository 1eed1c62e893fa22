// Input that reaches us from outside (HTTP bodies, events, alerts, queue messages) is untrusted.
// Anything we refuse is refused with a status and a sentence an operator can act on, never a 500,
// and always before any ARM call is made.

export type InputStatus = 400 | 403 | 404 | 409 | 413 | 415;

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
