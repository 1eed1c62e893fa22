// The strict JSON reader, the error answers and the ARM name rules on their own: exact answers for
// the edges the handler corpus (functions-hostile) exercises end to end.

import { RestError } from '@azure/core-rest-pipeline';
import { parseVmId } from '../lib/arm/ids';
import { nameProblem } from '../lib/arm/names';
import { ConfigError } from '../lib/config';
import { answerFor, InputError } from '../lib/intake/errors';
import { checkParsedDepth, readJson, requireJsonContentType } from '../lib/intake/json';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as InputError).code;
  }
};

describe('readJson', () => {
  it.each([
    ['top-level duplicate', '{"a":1,"a":2}', '$'],
    ['duplicate three levels down', '{"x":{"y":[{"z":1,"z":1}]}}', '$.x.y[]'],
    ['duplicate through an escape', '{"mode":"dry-run","mo\\u0064e":"apply"}', '$'],
  ])('%s is a 400 DuplicateKey naming where', (_n, text, where) => {
    expect(() => readJson(text)).toThrow(expect.objectContaining({ status: 400, code: 'DuplicateKey', message: expect.stringContaining(`at ${where}`) }));
  });

  it('keys that only look alike, and braces or quotes inside strings, are fine', () => {
    expect(readJson('{"a":"{\\"a\\":1,","A":"}]","b":{"a":1},"c":[{"a":1},{"a":2}]}')).toEqual({ a: '{"a":1,', A: '}]', b: { a: 1 }, c: [{ a: 1 }, { a: 2 }] });
  });

  it('depth is checked before parsing, brackets inside strings do not count', () => {
    expect(codeOf(() => readJson('['.repeat(33) + ']'.repeat(33)))).toBe('TooDeep');
    expect(codeOf(() => readJson('['.repeat(32) + ']'.repeat(32)))).toBeUndefined();
    expect(codeOf(() => readJson(JSON.stringify({ s: '['.repeat(1000) })))).toBeUndefined();
    expect(codeOf(() => readJson('['.repeat(60_000)))).toBe('TooDeep');
  });

  it('size, emptiness and syntax', () => {
    expect(codeOf(() => readJson(JSON.stringify({ p: 'x'.repeat(70_000) })))).toBe('PayloadTooLarge');
    expect(codeOf(() => readJson('{}', undefined, '999999999'))).toBe('PayloadTooLarge');
    expect(codeOf(() => readJson('  '))).toBe('EmptyBody');
    expect(codeOf(() => readJson('{"a":'))).toBe('MalformedJson');
  });

  it('values a host already parsed: depth by a loop, so 100,000 levels do not overflow', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = { a: v };
    expect(codeOf(() => checkParsedDepth(v))).toBe('TooDeep');
    expect(codeOf(() => checkParsedDepth({ a: [{ b: 1 }] }))).toBeUndefined();
  });

  it.each([
    ['application/json', undefined],
    ['application/json; charset=utf-8', undefined],
    ['application/cloudevents+json; charset=UTF-8', undefined],
    ['text/plain', 'UnsupportedMediaType'],
    ['', 'UnsupportedMediaType'],
    ['application/json; charset=utf-16', 'UnsupportedMediaType'],
    ['application/x-www-form-urlencoded', 'UnsupportedMediaType'],
  ])('Content-Type %j', (type, code) => {
    expect(codeOf(() => requireJsonContentType(type))).toBe(code);
  });
});

describe('answerFor', () => {
  it('input → its 4xx; settings → 500 Misconfigured, redacted; Azure → 502; our own bug → 500 without details', () => {
    expect(answerFor(new InputError(403, 'OutOfScope', 'no'), 'inv')).toEqual({ status: 403, code: 'OutOfScope', message: 'no' });
    const config = answerFor(new ConfigError(['ARM_ENDPOINT: https://admin:hunter2@arm.example is not an https URL']), 'inv');
    expect(config).toMatchObject({ status: 500, code: 'Misconfigured' });
    expect(JSON.stringify(config)).not.toContain('hunter2');
    const upstream = answerFor(new RestError('boom at https://x/?sig=SECRET', { statusCode: 503, code: 'ServiceUnavailable' }), 'inv-1');
    expect(upstream).toMatchObject({ status: 502, code: 'UpstreamFailure', message: expect.stringContaining('503 ServiceUnavailable') });
    expect(upstream.message).not.toContain('boom');
    const wrapped = answerFor(new Error('ledger write failed', { cause: new RestError('x', { statusCode: 500 }) }), 'inv');
    expect(wrapped.status).toBe(502);
    const own = answerFor(new TypeError("Cannot read properties of undefined (reading 'id')"), 'inv-2');
    expect(own).toMatchObject({ status: 500, code: 'InternalError', message: 'internal error; see the log for invocation inv-2' });
  });
});

describe('ARM name rules', () => {
  it.each([
    ['resource group', 'rg.(prod)_1', undefined],
    ['resource group', 'ресурсы', undefined],
    ['resource group', 'rg.', /end with a period/],
    ['resource group', 'rg\uFF0E1', /compatibility/],
    ['resource group', 'rg\u30021', /U\+3002/],
    ['virtual machine', 'web_01.lin', undefined],
    ['virtual machine', '.', /must start/],
    ['virtual machine', 'vm-\uD800', /lone surrogate/],
    ['virtual machine', 'vm a', /U\+0020/],
    ['vault', 'rsv-prod', undefined],
    ['vault', 'rsv_prod', /'_'/],
    ['vault', '1rsv', /start with a letter/],
    ['backup job', '00000000-0000-4000-8000-000000000001', undefined],
  ] as const)('%s %j', (part, name, problem) => {
    const got = nameProblem(part, name);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });

  it('an id names the bad part and stays ASCII in its message', () => {
    expect(() => parseVmId('/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/\uFF56m')).toThrow(/virtual machine name '\\u\{ff56\}m'/);
  });
});
