// What ARM accepts as a resource name, per resource type, checked before an id is used for any read.
// A name ARM would never have issued (a look-alike dot, a fullwidth letter, a lone surrogate, `.`) is
// refused here with the part that is wrong, instead of being sent to ARM and answered "not found".
// Rules: https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules

export type NamedPart = 'resource group' | 'virtual machine' | 'vault' | 'backup job' | 'restore point collection' | 'extension';

interface NameRule {
  min: number;
  max: number;
  /** Every character must match. */
  chars: RegExp;
  /** What `chars` allows, in words, for the error message. */
  allowed: string;
  /** Extra whole-name rule (start/end characters). */
  shape?: { test: RegExp; says: string };
}

const ASCII_NAME = /^[A-Za-z0-9_.-]$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const RULES: Record<NamedPart, NameRule> = {
  // Letters and digits as .NET's Char.IsLetterOrDigit (so Unicode letters), `_ - . ( )`; not ending in `.`.
  'resource group': {
    min: 1, max: 90, chars: /^[\p{L}\p{Nd}_.()-]$/u, allowed: 'letters, digits, _ - . ( )',
    shape: { test: /[^.]$/, says: 'must not end with a period' },
  },
  'virtual machine': {
    min: 1, max: 64, chars: ASCII_NAME, allowed: 'ASCII letters, digits, _ - .',
    shape: { test: /^[A-Za-z0-9_].*(?<![.-])$|^[A-Za-z0-9_]$/, says: 'must start with a letter, digit or _ and not end with . or -' },
  },
  vault: {
    min: 2, max: 50, chars: /^[A-Za-z0-9-]$/, allowed: 'ASCII letters, digits, -',
    shape: { test: /^[A-Za-z]/, says: 'must start with a letter' },
  },
  'backup job': { min: 1, max: 128, chars: /^[A-Za-z0-9-]$/, allowed: 'ASCII letters, digits, -' },
  'restore point collection': {
    min: 1, max: 80, chars: ASCII_NAME, allowed: 'ASCII letters, digits, _ - .',
    shape: { test: /^[A-Za-z0-9_].*(?<![.-])$|^[A-Za-z0-9_]$/, says: 'must start with a letter, digit or _ and not end with . or -' },
  },
  extension: {
    min: 1, max: 64, chars: ASCII_NAME, allowed: 'ASCII letters, digits, _ - .',
    shape: { test: /[^.]$/, says: 'must not end with a period' },
  },
};

/** Why `name` is not a valid ARM name for `part`, or undefined when it is. */
export function nameProblem(part: NamedPart, name: string): string | undefined {
  const rule = RULES[part];
  if (LONE_SURROGATE.test(name)) return `${part} name contains a lone surrogate (not valid UTF-16)`;
  // A compatibility form (fullwidth letters, look-alike dots) is not the name it resembles.
  if (name.normalize('NFKC') !== name) return `${part} name '${show(name)}' contains compatibility characters (e.g. fullwidth forms)`;
  const length = [...name].length;
  if (length < rule.min || length > rule.max) return `${part} name must be ${rule.min}-${rule.max} characters, got ${length}`;
  const bad = [...name].find((c) => !rule.chars.test(c));
  if (bad !== undefined) return `${part} name '${show(name)}' contains ${codePoint(bad)}; allowed: ${rule.allowed}`;
  if (rule.shape && !rule.shape.test.test(name)) return `${part} name '${show(name)}' ${rule.shape.says}`;
  return undefined;
}

function codePoint(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return /^[\x21-\x7e]$/.test(c) ? `'${c}' (${hex})` : hex;
}

/** Non-printable and non-ASCII characters as escapes, so an error message never carries them raw. */
function show(s: string): string {
  return s.replace(/[^\x20-\x7e]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`).slice(0, 100);
}
