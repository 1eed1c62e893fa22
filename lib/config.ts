// Settings from app settings / environment, validated once at start-up. Every problem is
// collected and reported together so an operator fixes a bad deployment in one pass.

import { ACTION_KINDS, ActionKind } from './types';

export interface Settings {
  mode: 'dry-run' | 'apply';
  subscriptions: string[];
  /** `<subscriptionId>/<resourceGroup>` entries; empty = every resource group in scope. */
  resourceGroups: string[];
  schedule: string;
  lookbackMs: number;
  allowedActions: ActionKind[];
  maxVmsPerRun: number;
  maxWritesPerKind: number;
  maxAttempts: number;
  attemptWindowMs: number;
  cooldownMs: number;
  concurrency: number;
  killSwitch: boolean;
  backupRetentionDays: number;
  inlineMaxVms: number;
  queueName: string;
  verifyTimeoutMs: number;
  armEndpoint: string;
  optInCodes: string[];
  ledgerPrefix: string;
}

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

/** Every app setting loadSettings reads (infra checks the Bicep sets or documents each). */
export const SETTING_NAMES: readonly string[] = [
  'REMEDIATION_MODE',
  'REMEDIATION_SUBSCRIPTIONS',
  'REMEDIATION_RESOURCE_GROUPS',
  'REMEDIATION_SCHEDULE',
  'REMEDIATION_LOOKBACK',
  'REMEDIATION_ALLOWED_ACTIONS',
  'REMEDIATION_MAX_VMS_PER_RUN',
  'REMEDIATION_MAX_WRITES_PER_KIND',
  'REMEDIATION_MAX_ATTEMPTS',
  'REMEDIATION_ATTEMPT_WINDOW',
  'REMEDIATION_COOLDOWN',
  'REMEDIATION_CONCURRENCY',
  'REMEDIATION_KILL_SWITCH',
  'REMEDIATION_BACKUP_RETENTION_DAYS',
  'REMEDIATION_INLINE_MAX_VMS',
  'REMEDIATION_QUEUE',
  'REMEDIATION_VERIFY_TIMEOUT',
  'REMEDIATION_OPT_IN_CODES',
  'REMEDIATION_LEDGER_PREFIX',
  'ARM_ENDPOINT',
];

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  mode: 'dry-run',
  subscriptions: [],
  resourceGroups: [],
  schedule: '0 */30 * * * *',
  lookbackMs: 24 * 3_600_000,
  allowedActions: [...ACTION_KINDS],
  maxVmsPerRun: 50,
  maxWritesPerKind: 25,
  maxAttempts: 3,
  attemptWindowMs: 24 * 3_600_000,
  cooldownMs: 2 * 3_600_000,
  concurrency: 4,
  killSwitch: false,
  backupRetentionDays: 30,
  inlineMaxVms: 10,
  queueName: 'remediate-vm',
  verifyTimeoutMs: 10 * 60_000,
  armEndpoint: 'https://management.azure.com',
  optInCodes: [],
  ledgerPrefix: 'remediator',
}) as Readonly<Settings>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure resource group names: letters, digits, underscores, hyphens, periods, parentheses; not ending in a period.
const RESOURCE_GROUP = /^[-\w.()]{1,90}$/u;

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

type Env = Record<string, string | undefined>;

/** Splits a comma list; blanks around items and empty items are ignored. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Reads and validates settings. Unset or blank settings take their defaults (docs/design.md);
 * every invalid one is reported in a single ConfigError.
 */
export function loadSettings(env: Env): Settings {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (name: string, value: string, expected: string): void => {
    problems.push(`${name}=${JSON.stringify(value)} is invalid: expected ${expected}`);
  };

  const int = (name: string, def: number, min: number, max: number): number => {
    const v = raw(name);
    if (v === undefined) return def;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      bad(name, v, `a whole number from ${min} to ${max}`);
      return def;
    }
    return Number(v);
  };

  const duration = (name: string, def: number, minMs: number): number => {
    const v = raw(name);
    if (v === undefined) return def;
    const ms = parseDuration(v);
    if (ms === undefined) {
      bad(name, v, 'a duration such as 30s, 90m, 24h, 2d or ISO 8601 PT24H');
      return def;
    }
    if (ms < minMs || ms > MAX_DURATION_MS) {
      bad(name, v, `a duration from ${formatDuration(minMs)} to 366d`);
      return def;
    }
    return ms;
  };

  const s: Settings = { ...DEFAULT_SETTINGS, allowedActions: [...DEFAULT_SETTINGS.allowedActions] };

  const mode = raw('REMEDIATION_MODE');
  if (mode !== undefined) {
    const m = mode.toLowerCase();
    if (m === 'dry-run' || m === 'apply') s.mode = m;
    else bad('REMEDIATION_MODE', mode, '"dry-run" or "apply"');
  }

  const subs = raw('REMEDIATION_SUBSCRIPTIONS');
  if (subs !== undefined) {
    const ids = list(subs);
    const wrong = ids.filter((id) => !GUID.test(id));
    if (wrong.length > 0) {
      bad('REMEDIATION_SUBSCRIPTIONS', subs, `comma-separated subscription GUIDs (not GUIDs: ${wrong.join(', ')})`);
    } else {
      s.subscriptions = dedupe(ids.map((id) => id.toLowerCase()));
    }
  }

  const rgs = raw('REMEDIATION_RESOURCE_GROUPS');
  if (rgs !== undefined) {
    const entries = list(rgs);
    const wrong = entries.filter((e) => {
      const parts = e.split('/');
      return parts.length !== 2 || !GUID.test(parts[0]) || !RESOURCE_GROUP.test(parts[1]) || parts[1].endsWith('.');
    });
    if (wrong.length > 0) {
      bad(
        'REMEDIATION_RESOURCE_GROUPS',
        rgs,
        `comma-separated <subscriptionId>/<resourceGroup> entries (malformed: ${wrong.join(', ')})`,
      );
    } else {
      s.resourceGroups = dedupe(entries);
    }
  }

  const schedule = raw('REMEDIATION_SCHEDULE');
  if (schedule !== undefined) {
    // NCRONTAB for the Functions timer has six fields (seconds first); a five-field Unix cron is a common mistake.
    const fields = schedule.split(/\s+/);
    if (fields.length !== 6 || !fields.every((f) => /^[\d*/,\-A-Za-z]+$/.test(f))) {
      bad('REMEDIATION_SCHEDULE', schedule, 'a six-field NCRONTAB expression such as "0 */30 * * * *"');
    } else {
      s.schedule = fields.join(' ');
    }
  }

  s.lookbackMs = duration('REMEDIATION_LOOKBACK', DEFAULT_SETTINGS.lookbackMs, 60_000);

  const actions = raw('REMEDIATION_ALLOWED_ACTIONS');
  if (actions !== undefined) {
    const kinds = list(actions);
    // `none` is the explicit way to allow no write at all (an empty value means the default).
    if (kinds.length === 1 && kinds[0].toLowerCase() === 'none') {
      s.allowedActions = [];
    } else {
      const unknown = kinds.filter((k) => !(ACTION_KINDS as readonly string[]).includes(k));
      if (unknown.length > 0) {
        bad(
          'REMEDIATION_ALLOWED_ACTIONS',
          actions,
          `a comma list of ${ACTION_KINDS.join(', ')} or "none" (unknown: ${unknown.join(', ')})`,
        );
      } else {
        s.allowedActions = dedupe(kinds) as ActionKind[];
      }
    }
  }

  s.maxVmsPerRun = int('REMEDIATION_MAX_VMS_PER_RUN', DEFAULT_SETTINGS.maxVmsPerRun, 1, 100_000);
  s.maxWritesPerKind = int('REMEDIATION_MAX_WRITES_PER_KIND', DEFAULT_SETTINGS.maxWritesPerKind, 1, 100_000);
  s.maxAttempts = int('REMEDIATION_MAX_ATTEMPTS', DEFAULT_SETTINGS.maxAttempts, 1, 100);
  s.attemptWindowMs = duration('REMEDIATION_ATTEMPT_WINDOW', DEFAULT_SETTINGS.attemptWindowMs, 60_000);
  s.cooldownMs = duration('REMEDIATION_COOLDOWN', DEFAULT_SETTINGS.cooldownMs, 0);
  s.concurrency = int('REMEDIATION_CONCURRENCY', DEFAULT_SETTINGS.concurrency, 1, 64);

  const kill = raw('REMEDIATION_KILL_SWITCH');
  if (kill !== undefined) {
    const k = kill.toLowerCase();
    if (k === 'true' || k === '1') s.killSwitch = true;
    else if (k === 'false' || k === '0') s.killSwitch = false;
    else bad('REMEDIATION_KILL_SWITCH', kill, 'true, false, 1 or 0');
  }

  // Backup Now accepts a retention of 1 to 99 years of days; keep a sane upper bound.
  s.backupRetentionDays = int('REMEDIATION_BACKUP_RETENTION_DAYS', DEFAULT_SETTINGS.backupRetentionDays, 1, 36_135);
  s.inlineMaxVms = int('REMEDIATION_INLINE_MAX_VMS', DEFAULT_SETTINGS.inlineMaxVms, 1, 10_000);

  const queue = raw('REMEDIATION_QUEUE');
  if (queue !== undefined) {
    // Storage queue names: 3-63 lowercase letters, digits and single hyphens; `-poison` (7 chars) is appended.
    if (!/^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(queue) || queue.length < 3 || queue.length > 56) {
      bad('REMEDIATION_QUEUE', queue, 'a storage queue name of 3-56 lowercase letters, digits and single hyphens');
    } else {
      s.queueName = queue;
    }
  }

  s.verifyTimeoutMs = duration('REMEDIATION_VERIFY_TIMEOUT', DEFAULT_SETTINGS.verifyTimeoutMs, 1000);

  const endpoint = raw('ARM_ENDPOINT');
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:' || url.search || url.hash || url.username) {
      bad('ARM_ENDPOINT', endpoint, 'an https:// URL such as https://management.azure.com');
    } else {
      s.armEndpoint = url.origin + url.pathname.replace(/\/+$/, '');
    }
  }

  const optIn = raw('REMEDIATION_OPT_IN_CODES');
  if (optIn !== undefined) {
    const codes = list(optIn);
    const wrong = codes.filter((c) => !/^[A-Za-z][A-Za-z0-9_]*$/.test(c));
    if (wrong.length > 0) {
      bad('REMEDIATION_OPT_IN_CODES', optIn, `a comma list of symbolic error codes (malformed: ${wrong.join(', ')})`);
    } else {
      s.optInCodes = dedupe(codes);
    }
  }

  const prefix = raw('REMEDIATION_LEDGER_PREFIX');
  if (prefix !== undefined) {
    // Table names are alphanumeric, start with a letter, max 63; leave room for the ledger's suffixes.
    if (!/^[A-Za-z][A-Za-z0-9]{2,39}$/.test(prefix)) {
      bad('REMEDIATION_LEDGER_PREFIX', prefix, '3-40 letters and digits starting with a letter');
    } else {
      s.ledgerPrefix = prefix;
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return s;
}

/** Compact human form of a duration (`90m`, `2h`, `1d`), for messages and reports. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
