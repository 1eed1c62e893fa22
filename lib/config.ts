// Settings from app settings / environment, validated once at start-up. One zod schema is the only
// home of a setting: its name, type, default, validation message and documentation row
// (docs/design.md's table is checked against settingsTable() by test/config.test.ts). Every problem is
// collected and reported together so an operator fixes a bad deployment in one pass.
import { z } from 'zod';
import { GUEST_FIX_CODES } from './guest/scripts';
import { ACTION_KINDS, type ActionKind } from './types';

export class ConfigError extends Error {
  /** One sentence per bad setting. */
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]}`
        : `Invalid configuration (${problems.length} problems):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_DURATION_MS = 366 * 86_400_000;

/**
 * Parses `90m`, `24h`, `2d`, `30s`, `500ms` or an ISO 8601 duration (`PT24H`, `P1DT2H`, `PT1H30M`).
 * Returns undefined when the text is not a duration; callers phrase the error with context.
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  const simple = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i.exec(t);
  if (simple) return Math.round(Number(simple[1]) * UNIT_MS[simple[2].toLowerCase()]);
  // Years and months have no fixed length, so ISO durations are limited to weeks and below.
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(t);
  if (iso && t.toUpperCase() !== 'P' && !/T$/i.test(t)) {
    const [, w, d, h, m, s] = iso;
    return Math.round(
      Number(w ?? 0) * 7 * 86_400_000 +
        Number(d ?? 0) * 86_400_000 +
        Number(h ?? 0) * 3_600_000 +
        Number(m ?? 0) * 60_000 +
        Number(s ?? 0) * 1000,
    );
  }
  return undefined;
}

/** Compact human form of a duration (`90m`, `2h`, `1d`), for messages and reports. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

// ---------- value parsers: text → value, or what was expected ----------

/** A parsed value, or the phrase completing "is invalid: expected …". */
type Parsed<T> = { value: T } | { expected: string };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure resource group names: letters, digits, underscores, hyphens, periods, parentheses; not ending in a period.
const RESOURCE_GROUP = /^[-\w.()]{1,90}$/u;

/** Splits a comma list; blanks around items and empty items are ignored. */
function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

const wholeNumber = (min: number, max: number) => (v: string): Parsed<number> =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? { value: Number(v) } : { expected: `a whole number from ${min} to ${max}` };

const duration = (minMs: number) => (v: string): Parsed<number> => {
  const ms = parseDuration(v);
  if (ms === undefined) return { expected: 'a duration such as 30s, 90m, 24h, 2d or ISO 8601 PT24H' };
  return ms < minMs || ms > MAX_DURATION_MS ? { expected: `a duration from ${formatDuration(minMs)} to 366d` } : { value: ms };
};

/** A comma list whose every item passes `ok`; `what` names the list, `flaw` the word for the bad items. */
const listOf = (ok: (item: string) => boolean, what: string, flaw: string, norm: (items: string[]) => string[] = (x) => x) => (v: string): Parsed<string[]> => {
  const items = list(v);
  const wrong = items.filter((i) => !ok(i));
  return wrong.length > 0 ? { expected: `${what} (${flaw}: ${wrong.join(', ')})` } : { value: dedupe(norm(items)) };
};

function mode(v: string): Parsed<'dry-run' | 'apply'> {
  const m = v.toLowerCase();
  return m === 'dry-run' || m === 'apply' ? { value: m } : { expected: '"dry-run" or "apply"' };
}

function resourceGroupEntry(e: string): boolean {
  const parts = e.split('/');
  return parts.length === 2 && GUID.test(parts[0]) && RESOURCE_GROUP.test(parts[1]) && !parts[1].endsWith('.');
}

// NCRONTAB for the Functions timer has six fields (seconds first); a five-field Unix cron is a common mistake.
function schedule(v: string): Parsed<string> {
  const fields = v.split(/\s+/);
  return fields.length === 6 && fields.every((f) => /^[\d*/,\-A-Za-z]+$/.test(f))
    ? { value: fields.join(' ') }
    : { expected: 'a six-field NCRONTAB expression such as "0 */30 * * * *"' };
}

// `none` is the explicit way to allow no write at all (an empty value means the default).
function allowedActions(v: string): Parsed<ActionKind[]> {
  const kinds = list(v);
  if (kinds.length === 1 && kinds[0].toLowerCase() === 'none') return { value: [] };
  const unknown = kinds.filter((k) => !(ACTION_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) return { expected: `a comma list of ${ACTION_KINDS.join(', ')} or "none" (unknown: ${unknown.join(', ')})` };
  return { value: dedupe(kinds) as ActionKind[] };
}

function guestFixCodes(v: string): Parsed<string[]> {
  const canonical = (c: string) => GUEST_FIX_CODES.find((k) => k.toLowerCase() === c.toLowerCase());
  const items = list(v);
  const unknown = items.filter((c) => !canonical(c));
  if (unknown.length > 0) return { expected: `a comma list of ${GUEST_FIX_CODES.join(', ')} (no guest fix script for: ${unknown.join(', ')})` };
  return { value: dedupe(items.map((c) => canonical(c)!)) };
}

/** A comma list of action kinds (empty: none). */
function actionKinds(v: string): Parsed<ActionKind[]> {
  const kinds = list(v);
  const unknown = kinds.filter((k) => !(ACTION_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) return { expected: `a comma list of ${ACTION_KINDS.join(', ')} (unknown: ${unknown.join(', ')})` };
  return { value: dedupe(kinds) as ActionKind[] };
}

function killSwitch(v: string): Parsed<boolean> {
  const k = v.toLowerCase();
  if (k === 'true' || k === '1') return { value: true };
  if (k === 'false' || k === '0') return { value: false };
  return { expected: 'true, false, 1 or 0' };
}

// Storage queue names: 3-63 lowercase letters, digits and single hyphens; `-poison` (7 chars) is appended.
function queueName(v: string): Parsed<string> {
  return /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(v) && v.length >= 3 && v.length <= 56
    ? { value: v }
    : { expected: 'a storage queue name of 3-56 lowercase letters, digits and single hyphens' };
}

function armEndpoint(v: string): Parsed<string> {
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.search || url.hash || url.username) return { expected: 'an https:// URL such as https://management.azure.com' };
  return { value: url.origin + url.pathname.replace(/\/+$/, '') };
}

// Table names are alphanumeric, start with a letter, max 63; leave room for the ledger's suffixes.
function ledgerPrefix(v: string): Parsed<string> {
  return /^[A-Za-z][A-Za-z0-9]{2,39}$/.test(v) ? { value: v } : { expected: '3-40 letters and digits starting with a letter' };
}

// ---------- the schema ----------

/** What docs/design.md says about a setting; the schema field carries it. */
export interface SettingDoc {
  /** The app setting / environment variable. */
  name: string;
  /** The default as the table shows it. */
  shown: string;
  meaning: string;
}

const settingDocs = z.registry<SettingDoc>();

/**
 * One setting: the env text (trimmed; blank = unset) → its value, or its default when unset. A bad
 * value is an issue whose message completes "is invalid: expected …".
 */
function setting<T>(doc: SettingDoc, fallback: T, parse: (v: string) => Parsed<T>) {
  const schema = z.string().optional().transform((raw, ctx): T => {
    const v = raw?.trim();
    if (v === undefined || v === '') return structuredClone(fallback);
    const r = parse(v);
    if ('value' in r) return r.value;
    ctx.addIssue({ code: 'custom', message: r.expected, input: v });
    return z.NEVER;
  });
  schema.register(settingDocs, doc);
  return schema;
}

/** Every setting loadSettings reads, in the order problems are reported and the docs table lists them. */
export const settingsSchema = z.object({
  mode: setting({ name: 'REMEDIATION_MODE', shown: '`dry-run`', meaning: '`dry-run` or `apply`' }, 'dry-run' as 'dry-run' | 'apply', mode),
  subscriptions: setting(
    { name: 'REMEDIATION_SUBSCRIPTIONS', shown: '(required for timer)', meaning: 'comma-separated subscription ids: the scope' },
    [] as string[], listOf((id) => GUID.test(id), 'comma-separated subscription GUIDs', 'not GUIDs', (ids) => ids.map((id) => id.toLowerCase())),
  ),
  /** `<subscriptionId>/<resourceGroup>` entries; empty = every resource group in scope. */
  resourceGroups: setting(
    { name: 'REMEDIATION_RESOURCE_GROUPS', shown: '(all)', meaning: 'optional allow-list, comma-separated `<subscriptionId>/<resourceGroup>`' },
    [] as string[], listOf(resourceGroupEntry, 'comma-separated <subscriptionId>/<resourceGroup> entries', 'malformed'),
  ),
  schedule: setting({ name: 'REMEDIATION_SCHEDULE', shown: '`0 */30 * * * *`', meaning: 'timer NCRONTAB' }, '0 */30 * * * *', schedule),
  lookbackMs: setting({ name: 'REMEDIATION_LOOKBACK', shown: '`24h`', meaning: 'look-back window for failed jobs (`90m`, `24h`, `2d`, ISO `PT24H`)' }, 24 * 3_600_000, duration(60_000)),
  allowedActions: setting({ name: 'REMEDIATION_ALLOWED_ACTIONS', shown: 'all', meaning: 'comma-separated action kinds allowed to run (`none`: no write at all)' }, [...ACTION_KINDS] as ActionKind[], allowedActions),
  maxVmsPerRun: setting({ name: 'REMEDIATION_MAX_VMS_PER_RUN', shown: '`50`', meaning: 'cap on VMs acted on per run' }, 50, wholeNumber(1, 100_000)),
  maxWritesPerKind: setting({ name: 'REMEDIATION_MAX_WRITES_PER_KIND', shown: '`25`', meaning: 'cap on writes of each kind per run' }, 25, wholeNumber(1, 100_000)),
  maxAttempts: setting({ name: 'REMEDIATION_MAX_ATTEMPTS', shown: '`3`', meaning: 'automated attempts per VM per window, then escalate' }, 3, wholeNumber(1, 100)),
  attemptWindowMs: setting({ name: 'REMEDIATION_ATTEMPT_WINDOW', shown: '`24h`', meaning: 'the rolling window for attempts' }, 24 * 3_600_000, duration(60_000)),
  cooldownMs: setting({ name: 'REMEDIATION_COOLDOWN', shown: '`2h`', meaning: 'minimum time between two attempts on one VM' }, 2 * 3_600_000, duration(0)),
  concurrency: setting({ name: 'REMEDIATION_CONCURRENCY', shown: '`4`', meaning: 'VMs worked on at once' }, 4, wholeNumber(1, 64)),
  killSwitch: setting({ name: 'REMEDIATION_KILL_SWITCH', shown: '`false`', meaning: '`true` stops every write; also read from the ledger before each write' }, false, killSwitch),
  // Backup Now accepts a retention of 1 to 99 years of days; keep a sane upper bound.
  backupRetentionDays: setting({ name: 'REMEDIATION_BACKUP_RETENTION_DAYS', shown: '`30`', meaning: 'retention of a Backup Now restore point' }, 30, wholeNumber(1, 36_135)),
  inlineMaxVms: setting({ name: 'REMEDIATION_INLINE_MAX_VMS', shown: '`10`', meaning: 'timer remediates inline up to this many VMs, else fans out to the queue' }, 10, wholeNumber(1, 10_000)),
  queueName: setting({ name: 'REMEDIATION_QUEUE', shown: '`remediate-vm`', meaning: 'work queue name (poison: `<name>-poison`)' }, 'remediate-vm', queueName),
  verifyTimeoutMs: setting({ name: 'REMEDIATION_VERIFY_TIMEOUT', shown: '`10m`', meaning: "bounded wait for a triggered backup's job" }, 10 * 60_000, duration(1000)),
  armEndpoint: setting({ name: 'ARM_ENDPOINT', shown: '`https://management.azure.com`', meaning: 'ARM endpoint (sovereign clouds, emulator)' }, 'https://management.azure.com', armEndpoint),
  optInCodes: setting(
    { name: 'REMEDIATION_OPT_IN_CODES', shown: '(none)', meaning: 'error codes whose `opt-in` catalogue entries may act (none are `opt-in` today)' },
    [] as string[], listOf((c) => /^[A-Za-z][A-Za-z0-9_]*$/.test(c), 'a comma list of symbolic error codes', 'malformed'),
  ),
  // Off by default: a guest fix runs a catalogue script inside the VM (lib/guest), so each code is
  // enabled by name, and only codes a fix script addresses are accepted (canonical spelling kept).
  guestFixCodes: setting(
    { name: 'REMEDIATION_GUEST_FIX_CODES', shown: '(none)', meaning: 'error codes whose guest fix (`run-guest-fix`: a catalogue script through Run Command, approval required) may be proposed; each must be a code a guest fix script addresses' },
    [] as string[], guestFixCodes,
  ),
  requireApproval: setting(
    { name: 'REMEDIATION_REQUIRE_APPROVAL', shown: '(none)', meaning: 'comma-separated action kinds that wait for a human approval (`approvals`), on top of those whose module requires it' },
    [] as ActionKind[], actionKinds,
  ),
  approvalTtlMs: setting({ name: 'REMEDIATION_APPROVAL_TTL', shown: '`24h`', meaning: 'how long a proposal may be approved and executed before it expires' }, 24 * 3_600_000, duration(60_000)),
  ledgerPrefix: setting({ name: 'REMEDIATION_LEDGER_PREFIX', shown: '`remediator`', meaning: "prefix of the ledger's table names" }, 'remediator', ledgerPrefix),
});

export type Settings = z.output<typeof settingsSchema>;
type SettingKey = keyof Settings;

const SETTING_KEYS = Object.keys(settingsSchema.shape) as SettingKey[];
const docOf = (key: SettingKey): SettingDoc => settingDocs.get(settingsSchema.shape[key])!;

/** Every app setting loadSettings reads (infra checks the Bicep sets or documents each). */
export const SETTING_NAMES: readonly string[] = SETTING_KEYS.map((k) => docOf(k).name);

/**
 * Reads and validates settings. Unset or blank settings take their defaults (docs/design.md);
 * every invalid one is reported in a single ConfigError.
 */
export function loadSettings(env: Record<string, string | undefined>): Settings {
  const input = Object.fromEntries(SETTING_KEYS.map((k) => [k, env[docOf(k).name]]));
  const parsed = settingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path[0] as SettingKey;
    const value = String(env[docOf(key).name] ?? '').trim();
    return `${docOf(key).name}=${JSON.stringify(value)} is invalid: expected ${issue.message}`;
  });
  throw new ConfigError(problems);
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze(loadSettings({}));

/** The settings table of docs/design.md, generated from the schema (test/config.test.ts keeps them equal). */
export function settingsTable(): string {
  const rows = SETTING_KEYS.map((k) => docOf(k)).map((d) => `| \`${d.name}\` | ${d.shown} | ${d.meaning} |`);
  return ['| name | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
