// The strict JSON reader every entry point uses. JSON.parse lets the last of two equal keys win while
// a proxy, WAF or log reader may see the first, so `{"mode":"dry-run","mode":"apply"}` could mean
// two things: duplicate keys are refused at any depth. Size and depth are checked before parsing, by
// loops, never recursion, so no input can exhaust the stack.

import { InputError, MAX_BODY_BYTES } from './errors';

/** Deeper than any alert, event or API body we accept (common alert schema: about 8 levels). */
export const MAX_JSON_DEPTH = 32;

export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}

const DEFAULT_LIMITS: JsonLimits = { maxBytes: MAX_BODY_BYTES, maxDepth: MAX_JSON_DEPTH };

/** Parses untrusted JSON text: 413 too large, 400 empty, too deep, malformed or with a duplicate key. */
export function readJson(text: string, limits: JsonLimits = DEFAULT_LIMITS, declaredLength?: string | null): unknown {
  if (declaredLength && Number(declaredLength) > limits.maxBytes) {
    throw new InputError(413, 'PayloadTooLarge', `body of ${Number(declaredLength)} bytes exceeds the ${limits.maxBytes}-byte limit`);
  }
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) throw new InputError(413, 'PayloadTooLarge', `body exceeds the ${limits.maxBytes}-byte limit`);
  if (text.trim().length === 0) throw new InputError(400, 'EmptyBody', 'body is empty: expected JSON');
  if (textDepth(text) > limits.maxDepth) throw tooDeep(limits.maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's own message quotes the input; the position is enough to fix it.
    throw new InputError(400, 'MalformedJson', 'body is not valid JSON');
  }
  const dup = duplicateKey(text);
  if (dup) throw new InputError(400, 'DuplicateKey', `duplicate key ${JSON.stringify(dup.key).slice(0, 80)} at ${dup.path}: each key may appear once`);
  return value;
}

/** For values a host already parsed (Event Grid, queue): depth checked with a loop before any walk. */
export function checkParsedDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    const containers = level.filter((v): v is object => typeof v === 'object' && v !== null);
    if (containers.length === 0) return;
    if (depth >= maxDepth) throw tooDeep(maxDepth);
    level = containers.flatMap((c) => Object.values(c));
  }
}

function tooDeep(max: number): InputError {
  return new InputError(400, 'TooDeep', `JSON nests deeper than ${max} levels`);
}

/** Deepest nesting of `{`/`[` outside strings (malformed text is left to JSON.parse). */
function textDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i);
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Index of the quote closing the string that opens at `start` (text.length when unterminated). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}

interface Frame {
  keys: Set<string> | undefined; // undefined: an array
  current: string;
}

/** The first key that appears twice in one object, compared after unescaping (`"a"` = `"\u0061"`). */
function duplicateKey(text: string): { key: string; path: string } | undefined {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { key, path: pathOf(stack) };
        top.keys.add(key);
        top.current = key;
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      stack.push({ keys: c === '{' ? new Set() : undefined, current: '' });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1]?.keys !== undefined;
    }
  }
  return undefined;
}

function pathOf(stack: Frame[]): string {
  const parts = stack.slice(0, -1).map((f) => (f.keys ? `.${f.current}` : '[]'));
  return `$${parts.join('')}`.slice(0, 200);
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/;

/** HTTP bodies must say they are JSON (`application/json`, `application/*+json`), in UTF-8: else 415. */
export function requireJsonContentType(header: string | null | undefined): void {
  const [type, ...params] = String(header ?? '').toLowerCase().split(';').map((p) => p.trim());
  if (!JSON_TYPE.test(type)) {
    throw new InputError(415, 'UnsupportedMediaType', `Content-Type must be application/json, got ${JSON.stringify(type.slice(0, 80) || null)}`);
  }
  const charset = params.find((p) => p.startsWith('charset='));
  if (charset && !/^charset="?utf-8"?$/.test(charset)) throw new InputError(415, 'UnsupportedMediaType', 'JSON bodies must be UTF-8');
}
