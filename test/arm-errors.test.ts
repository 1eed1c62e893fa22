// One reading of SDK failures (lib/arm/errors.ts): status only from a real RestError, 404 as
// "missing", and upstream (502) told apart from the app's own faults (500).
import { RestError } from '@azure/core-rest-pipeline';
import { faultStatus, httpStatusOf, isNotFound, orMissing } from '../lib/arm/errors';
import { ThrottledError } from '../lib/arm/pacing';

describe('lib/arm/errors', () => {
  it('reads the status of a RestError only', () => {
    expect(httpStatusOf(new RestError('gone', { statusCode: 404 }))).toBe(404);
    expect(httpStatusOf(Object.assign(new Error('look-alike'), { statusCode: 404 }))).toBeUndefined();
    expect(isNotFound(new RestError('denied', { statusCode: 403 }))).toBe(false);
  });

  it('orMissing turns a 404 into undefined and rethrows everything else', async () => {
    await expect(orMissing(async () => { throw new RestError('gone', { statusCode: 404 }); })).resolves.toBeUndefined();
    await expect(orMissing(async () => { throw new RestError('boom', { statusCode: 500 }); })).rejects.toMatchObject({ statusCode: 500 });
    await expect(orMissing(async () => 7)).resolves.toBe(7);
  });

  it('upstream faults answer 502, the app\'s own 500', () => {
    expect(faultStatus(new RestError('boom', { statusCode: 500 }))).toBe(502);
    expect(faultStatus(new ThrottledError(120_000, 'read', 'https://x'))).toBe(502);
    expect(faultStatus(new TypeError('x is undefined'))).toBe(500);
  });
});
