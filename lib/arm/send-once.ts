// Non-idempotent writes are sent once. The SDK's retry policy resends a request after a dropped
// connection or a 5xx/408, which is right for reads, PUTs and DELETEs but not for a POST such as
// Backup Now: the first request may have been accepted before its answer was lost, and resending it
// would trigger a second backup. This per-retry policy (outside the pacer, which retries 429s: ARM
// refuses those before the resource provider sees them) turns an ambiguous answer to a POST into an
// AmbiguousWriteError, which the retry policy does not retry; the caller looks before resending.
import { isRestError, type PipelinePolicy } from '@azure/core-rest-pipeline';

/** A POST whose outcome is unknown: it may or may not have taken effect. */
export class AmbiguousWriteError extends Error {
  readonly code = 'AmbiguousWrite';
  readonly statusCode: number | undefined;
  constructor(method: string, url: string, why: string, statusCode?: number, cause?: unknown) {
    super(`${method} ${url.split('?')[0]}: ${why}; the write may or may not have taken effect, so it is not resent blindly`, { cause });
    this.name = 'AmbiguousWriteError';
    this.statusCode = statusCode;
  }
}

export function isAmbiguousWrite(err: unknown): err is AmbiguousWriteError {
  return (err as { name?: unknown })?.name === 'AmbiguousWriteError';
}

/** POSTs that change something; Resource Graph queries are POSTs that only read. */
function sendsOnce(method: string, url: string): boolean {
  return method.toUpperCase() === 'POST' && !/\/providers\/Microsoft\.ResourceGraph\//i.test(url);
}

export function sendOncePolicy(): PipelinePolicy {
  return {
    name: 'sendOncePolicy',
    async sendRequest(request, next) {
      if (!sendsOnce(request.method, request.url)) return next(request);
      let response;
      try {
        response = await next(request);
      } catch (e) {
        // Only transport failures are ambiguous; a RestError with a response is an answer.
        if (!isRestError(e) || e.response) throw e;
        throw new AmbiguousWriteError(request.method, request.url, `no answer (${e.code ?? e.message})`, undefined, e);
      }
      if (response.status === 408 || (response.status >= 500 && response.status !== 501 && response.status !== 505)) {
        throw new AmbiguousWriteError(request.method, request.url, `answered ${response.status}`, response.status);
      }
      return response;
    },
  };
}
