import { readFileSync } from 'fs';
import { join } from 'path';
import { ConfigError, DEFAULT_SETTINGS, loadSettings, parseDuration, SETTING_NAMES, settingsTable } from '../lib/config';
import { ACTION_KINDS } from '../lib/types';

const SUB_A = '11111111-2222-3333-4444-555555555555';
const SUB_B = 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSettings defaults', () => {
  it('gives the documented defaults for an empty environment, dry-run first', () => {
    expect(loadSettings({})).toEqual({
      mode: 'dry-run',
      subscriptions: [],
      resourceGroups: [],
      schedule: '0 */30 * * * *',
      lookbackMs: 86_400_000,
      allowedActions: ['remove-snapshot-extension', 'delete-restore-point-collection', 'run-guest-fix', 'trigger-backup'],
      maxVmsPerRun: 50,
      maxWritesPerKind: 25,
      maxAttempts: 3,
      attemptWindowMs: 86_400_000,
      cooldownMs: 7_200_000,
      concurrency: 4,
      killSwitch: false,
      backupRetentionDays: 30,
      inlineMaxVms: 10,
      queueName: 'remediate-vm',
      verifyTimeoutMs: 600_000,
      armEndpoint: 'https://management.azure.com',
      optInCodes: [],
      guestFixCodes: [],
      requireApproval: [],
      approvalTtlMs: 86_400_000,
      ledgerPrefix: 'remediator',
    });
  });

  it('treats blank values as unset and does not share arrays with the defaults', () => {
    const s = loadSettings({ REMEDIATION_MODE: '  ', REMEDIATION_ALLOWED_ACTIONS: '' });
    expect(s.mode).toBe('dry-run');
    s.allowedActions.pop();
    expect(DEFAULT_SETTINGS.allowedActions).toHaveLength(ACTION_KINDS.length);
  });

  it('lists every setting it reads, and reads every setting it lists', () => {
    expect(SETTING_NAMES).toContain('REMEDIATION_OPT_IN_CODES');
    expect(SETTING_NAMES).toContain('ARM_ENDPOINT');
    expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
    // A garbage value in each listed setting (except free-form ones) must be reported by name.
    const freeForm = new Set<string>();
    const env = Object.fromEntries(SETTING_NAMES.map((n) => [n, '!!bad value!!']));
    const problems = problemsOf(env);
    for (const name of SETTING_NAMES) {
      if (freeForm.has(name)) continue;
      expect(problems.some((p) => p.startsWith(`${name}=`))).toBe(true);
    }
    expect(problems).toHaveLength(SETTING_NAMES.length);
  });
});

describe('loadSettings parses valid values', () => {
  it('reads every setting', () => {
    const s = loadSettings({
      REMEDIATION_MODE: 'Apply',
      REMEDIATION_SUBSCRIPTIONS: ` ${SUB_A}, ${SUB_B},${SUB_A} `,
      REMEDIATION_RESOURCE_GROUPS: `${SUB_A}/rg-web, ${SUB_B}/rg.(prod)_1`,
      REMEDIATION_SCHEDULE: '0  0 * * * *',
      REMEDIATION_LOOKBACK: 'PT36H',
      REMEDIATION_ALLOWED_ACTIONS: 'trigger-backup,remove-snapshot-extension',
      REMEDIATION_MAX_VMS_PER_RUN: '7',
      REMEDIATION_MAX_WRITES_PER_KIND: '3',
      REMEDIATION_MAX_ATTEMPTS: '5',
      REMEDIATION_ATTEMPT_WINDOW: '2d',
      REMEDIATION_COOLDOWN: '90m',
      REMEDIATION_CONCURRENCY: '8',
      REMEDIATION_KILL_SWITCH: '1',
      REMEDIATION_BACKUP_RETENTION_DAYS: '14',
      REMEDIATION_INLINE_MAX_VMS: '20',
      REMEDIATION_QUEUE: 'work-items',
      REMEDIATION_VERIFY_TIMEOUT: '30s',
      ARM_ENDPOINT: 'https://127.0.0.1:8443/',
      REMEDIATION_OPT_IN_CODES: 'UserErrorGuestAgentStatusUnavailable, ExtensionSnapshotFailedNoNetwork',
      REMEDIATION_GUEST_FIX_CODES: 'extensionfailedvsswriterinbadstate, ExtensionSnapshotFailedCOM,ExtensionFailedVssWriterInBadState',
      REMEDIATION_LEDGER_PREFIX: 'rem2',
      REMEDIATION_REQUIRE_APPROVAL: 'delete-restore-point-collection, delete-restore-point-collection',
      REMEDIATION_APPROVAL_TTL: '36h',
    });
    expect(s).toEqual({
      mode: 'apply',
      subscriptions: [SUB_A, SUB_B.toLowerCase()],
      resourceGroups: [`${SUB_A}/rg-web`, `${SUB_B}/rg.(prod)_1`],
      schedule: '0 0 * * * *',
      lookbackMs: 36 * 3_600_000,
      allowedActions: ['trigger-backup', 'remove-snapshot-extension'],
      maxVmsPerRun: 7,
      maxWritesPerKind: 3,
      maxAttempts: 5,
      attemptWindowMs: 2 * 86_400_000,
      cooldownMs: 90 * 60_000,
      concurrency: 8,
      killSwitch: true,
      backupRetentionDays: 14,
      inlineMaxVms: 20,
      queueName: 'work-items',
      verifyTimeoutMs: 30_000,
      armEndpoint: 'https://127.0.0.1:8443',
      optInCodes: ['UserErrorGuestAgentStatusUnavailable', 'ExtensionSnapshotFailedNoNetwork'],
      guestFixCodes: ['ExtensionFailedVssWriterInBadState', 'ExtensionSnapshotFailedCOM'],
      requireApproval: ['delete-restore-point-collection'],
      approvalTtlMs: 36 * 3_600_000,
      ledgerPrefix: 'rem2',
    });
  });

  it('accepts the boolean spellings', () => {
    expect(loadSettings({ REMEDIATION_KILL_SWITCH: 'TRUE' }).killSwitch).toBe(true);
    expect(loadSettings({ REMEDIATION_KILL_SWITCH: 'false' }).killSwitch).toBe(false);
    expect(loadSettings({ REMEDIATION_KILL_SWITCH: '0' }).killSwitch).toBe(false);
  });

  it('allows no action at all only through the explicit word none', () => {
    expect(loadSettings({ REMEDIATION_ALLOWED_ACTIONS: 'none' }).allowedActions).toEqual([]);
    expect(loadSettings({ REMEDIATION_ALLOWED_ACTIONS: ACTION_KINDS.join(',') }).allowedActions).toEqual([...ACTION_KINDS]);
  });
});

describe('REMEDIATION_GUEST_FIX_CODES', () => {
  it('is empty by default: no guest fix is ever proposed', () => {
    expect(DEFAULT_SETTINGS.guestFixCodes).toEqual([]);
  });

  it('accepts only codes a guest fix script addresses, naming the others', () => {
    const problems = problemsOf({ REMEDIATION_GUEST_FIX_CODES: 'ExtensionFailedVssServiceInBadState,UserErrorFsFreezeFailed,ExtensionOperationFailed' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REMEDIATION_GUEST_FIX_CODES=.*no guest fix script for: UserErrorFsFreezeFailed, ExtensionOperationFailed/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['90m', 5_400_000],
    ['24h', 86_400_000],
    ['2d', 172_800_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['PT24H', 86_400_000],
    ['pt90m', 5_400_000],
    ['P1DT2H', 93_600_000],
    ['P1W', 604_800_000],
    ['PT1H30M15S', 5_415_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '24', 'h', '24 hours', 'P', 'PT', 'P1M', 'P1Y', '-5m', 'PT-1H', '1e3s'])('rejects %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('loadSettings errors', () => {
  it.each([
    ['REMEDIATION_MODE', 'live', 'expected "dry-run" or "apply"'],
    ['REMEDIATION_SUBSCRIPTIONS', `${SUB_A},not-a-guid`, 'not GUIDs: not-a-guid'],
    ['REMEDIATION_RESOURCE_GROUPS', 'rg-web', 'malformed: rg-web'],
    ['REMEDIATION_RESOURCE_GROUPS', `${SUB_A}/rg/x`, 'malformed'],
    ['REMEDIATION_RESOURCE_GROUPS', `${SUB_A}/bad.`, 'malformed'],
    ['REMEDIATION_SCHEDULE', '*/30 * * * *', 'six-field NCRONTAB'],
    ['REMEDIATION_LOOKBACK', '24 hours', 'a duration such as'],
    ['REMEDIATION_LOOKBACK', '10s', 'from 1m to 366d'],
    ['REMEDIATION_LOOKBACK', '400d', 'to 366d'],
    ['REMEDIATION_ALLOWED_ACTIONS', 'trigger-backup,delete-lock', 'unknown: delete-lock'],
    ['REMEDIATION_MAX_VMS_PER_RUN', '0', 'a whole number from 1 to 100000'],
    ['REMEDIATION_MAX_VMS_PER_RUN', '-3', 'a whole number'],
    ['REMEDIATION_MAX_WRITES_PER_KIND', '2.5', 'a whole number'],
    ['REMEDIATION_MAX_ATTEMPTS', '1000', 'from 1 to 100'],
    ['REMEDIATION_ATTEMPT_WINDOW', 'forever', 'a duration'],
    ['REMEDIATION_COOLDOWN', 'P1M', 'a duration'],
    ['REMEDIATION_CONCURRENCY', '65', 'from 1 to 64'],
    ['REMEDIATION_KILL_SWITCH', 'yes', 'true, false, 1 or 0'],
    ['REMEDIATION_BACKUP_RETENTION_DAYS', 'thirty', 'a whole number'],
    ['REMEDIATION_INLINE_MAX_VMS', '0', 'a whole number'],
    ['REMEDIATION_QUEUE', 'Work_Items', 'storage queue name'],
    ['REMEDIATION_QUEUE', 'a--b', 'storage queue name'],
    ['REMEDIATION_VERIFY_TIMEOUT', '100ms', 'from 1s'],
    ['ARM_ENDPOINT', 'http://management.azure.com', 'an https:// URL'],
    ['ARM_ENDPOINT', 'management.azure.com', 'an https:// URL'],
    ['REMEDIATION_OPT_IN_CODES', 'Good,bad code', 'malformed: bad code'],
    ['REMEDIATION_LEDGER_PREFIX', 'my-prefix', '3-40 letters and digits'],
    ['REMEDIATION_REQUIRE_APPROVAL', 'delete-everything', 'unknown: delete-everything'],
    ['REMEDIATION_APPROVAL_TTL', '10s', 'from 1m'],
  ])('%s=%p is rejected naming the setting, the value and what is expected', (name, value, expected) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${name}=${JSON.stringify(value)} is invalid: expected`);
    expect(problems[0]).toContain(expected);
  });

  it('collects every problem, not just the first', () => {
    let err: unknown;
    try {
      loadSettings({ REMEDIATION_MODE: 'x', REMEDIATION_CONCURRENCY: 'many', REMEDIATION_LOOKBACK: 'soon' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.problems.map((p) => p.split('=')[0])).toEqual([
      'REMEDIATION_MODE',
      'REMEDIATION_LOOKBACK',
      'REMEDIATION_CONCURRENCY',
    ]);
    expect(ce.message).toMatch(/^Invalid configuration \(3 problems\):/);
    expect(ce.message).toContain('REMEDIATION_CONCURRENCY="many"');
  });
});

describe('the settings table of docs/design.md', () => {
  it('is the one the schema generates (a new setting is one schema field)', () => {
    const doc = readFileSync(join(__dirname, '..', 'docs', 'design.md'), 'utf8');
    const m = /<!-- settings-table:begin[^>]*-->\n([\s\S]*?)\n<!-- settings-table:end -->/.exec(doc);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(settingsTable());
    for (const name of SETTING_NAMES) expect(settingsTable()).toContain(`| \`${name}\` |`);
  });
});
