// One reading of an Azure SDK failure: its HTTP status comes from the SDK's own RestError (never
// sniffed off an arbitrary object), and a fault is either upstream (Azure answered with an error or
// throttled us: 502) or the app's own (anything else: 500).
import { isRestError } from '@azure/core-rest-pipeline';
import { ThrottledError } from './pacing';

/** The HTTP status of an Azure SDK RestError; undefined for anything else. */
export function httpStatusOf(e: unknown): number | undefined {
  return isRestError(e) && typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

/** ARM answered 404 for the resource. */
export function isNotFound(e: unknown): boolean {
  return httpStatusOf(e) === 404;
}

/** Runs a read; a 404 becomes undefined, every other failure is thrown. */
export async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Azure (or the network to it) failed, as opposed to a fault of the app itself. */
export function isUpstreamFault(e: unknown): boolean {
  return isRestError(e) || e instanceof ThrottledError;
}

/** The HTTP status an API answers for a fault it did not expect: 502 upstream, 500 its own. */
export function faultStatus(e: unknown): 500 | 502 {
  return isUpstreamFault(e) ? 502 : 500;
}
