// Maps the outcome of a use case to an HTTP response. Bad input is always a 4xx with a precise
// message (InputError, thrown before any ARM call); the app's own faults are 500, Azure's 502, each
// with a stable code and a safe message (lib/intake/errors); details go to the log, redacted.

import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { answerFor } from '../lib/intake/errors';

export async function respond(context: InvocationContext, work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (e) {
    const answer = answerFor(e, context.invocationId);
    const line = JSON.stringify({ msg: answer.status < 500 ? 'request refused' : 'request failed', status: answer.status, code: answer.code, reason: answer.message, detail: answer.detail });
    if (answer.status < 500) context.warn(line);
    else context.error(line);
    return { status: answer.status, jsonBody: { error: { code: answer.code, message: answer.message } } };
  }
}
