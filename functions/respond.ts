// Maps the outcome of a use case to an HTTP response. Bad input is always a 4xx with a precise
// message (InputError, thrown before any ARM call); only our own faults or Azure's are 5xx.

import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { ConfigError } from '../lib/config';
import { isInputError } from '../lib/intake/errors';

export async function respond(context: InvocationContext, work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (e) {
    if (isInputError(e)) {
      context.warn(JSON.stringify({ msg: 'request refused', status: e.status, code: e.code, reason: e.message }));
      return { status: e.status, jsonBody: { error: { code: e.code, message: e.message } } };
    }
    if (e instanceof ConfigError) {
      context.error(JSON.stringify({ msg: 'app settings are invalid', problems: e.problems }));
      return { status: 500, jsonBody: { error: { code: 'Misconfigured', message: e.message } } };
    }
    context.error(JSON.stringify({ msg: 'request failed', err: (e as Error).message }));
    return { status: 502, jsonBody: { error: { code: 'UpstreamFailure', message: (e as Error).message } } };
  }
}
