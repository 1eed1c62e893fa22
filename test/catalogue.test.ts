import { readFileSync } from 'fs';
import { join } from 'path';
import { ACTION_KINDS } from '../lib/types';
import { CATALOGUE, catalogueEntry, catalogueEntryByNumber } from '../lib/catalogue';
import { headingAnchor, phrasePattern } from '../lib/catalogue/patterns';
import { SOURCE_LABELS } from '../lib/catalogue/sources';
import { GUEST_FIXABLE_CODES } from '../lib/catalogue/guest';

// Every code azure-facts.md lists and every code the seed articles name, with the class azure-facts gives it.
const EXPECTED_CLASS: Record<string, 'auto' | 'report-only'> = {
  ExtensionOperationFailed: 'auto',
  ExtentionOperationFailed: 'auto',
  ExtensionOperationFailedForManagedDisks: 'auto',
  UserErrorVmProvisioningStateFailed: 'auto',
  ExtensionStuckInDeletionState: 'auto',
  BackUpOperationFailed: 'auto',
  BackUpOperationFailedV2: 'auto',
  UserErrorRpCollectionLimitReached: 'auto',
  UserErrorBackupOperationInProgress: 'auto',
  CopyingVHDsFromBackUpVaultTakingLongTime: 'auto',
  VmNotInDesirableState: 'auto',
  UserErrorGuestAgentStatusUnavailable: 'report-only',
  GuestAgentSnapshotTaskStatusError: 'report-only',
  ExtensionSnapshotFailedNoNetwork: 'report-only',
  UserErrorKeyvaultPermissionsNotConfigured: 'report-only',
  UserErrorUnsupportedDiskSize: 'report-only',
  UserErrorRequestDisallowedByPolicy: 'report-only',
  UserErrorCrpReportedUserError: 'report-only',
  UserErrorBcmDatasourceNotPresent: 'report-only',
  UserErrorFsFreezeFailed: 'report-only',
  ExtensionFailedVssWriterInBadState: 'report-only',
  ExtensionFailedVssServiceInBadState: 'report-only',
  ExtensionSnapshotFailedCOM: 'report-only',
  ExtensionInstallationFailedCOM: 'report-only',
  ExtensionInstallationFailedMDTC: 'report-only',
  ExtensionConfigParsingFailure: 'report-only',
  ExtensionFailedSnapshotLimitReachedError: 'report-only',
  ExtensionFailedTimeoutVMNetworkUnresponsive: 'report-only',
  ExtensionSnapshotBitlockerError: 'report-only',
  ExtensionSnapshotFailedNoSecureNetwork: 'report-only',
  ExtensionVCRedistInstallationFailure: 'report-only',
  UserErrorUnableToOpenMount: 'report-only',
  VMRestorePointInternalError: 'report-only',
  UserErrorBCMPremiumStorageQuotaError: 'report-only',
  AzureVmOffline: 'report-only',
  ResourceNotFound: 'report-only',
  BCMV2VMNotFound: 'report-only',
  SnapshotVMSubTaskTimedOut: 'report-only',
  UserErrorSharedDiskBackupNotSupported: 'report-only',
  UserErrorMigrationFromTrustedLaunchVMToNonTrustedVMNotAllowed: 'report-only',
};

const SEED_CODES = [
  'UserErrorGuestAgentStatusUnavailable',
  'ExtensionSnapshotFailedNoNetwork',
  'ExtensionOperationFailed',
  'GuestAgentSnapshotTaskStatusError',
  'BackUpOperationFailed',
];

describe('catalogue coverage', () => {
  test.each(Object.entries(EXPECTED_CLASS))('%s has an entry with automation %s', (code, automation) => {
    const entry = catalogueEntry(code);
    expect(entry).toBeDefined();
    expect(entry!.automation).toBe(automation);
  });

  test('every entry is one of the expected codes (no undocumented codes)', () => {
    for (const e of CATALOGUE) expect(Object.keys(EXPECTED_CLASS)).toContain(e.code);
    expect(CATALOGUE.map((e) => e.code)).toHaveLength(new Set(CATALOGUE.map((e) => e.code)).size);
  });

  test('aliases fold onto their canonical code', () => {
    expect(catalogueEntry('ExtentionOperationFailed')!.code).toBe('ExtensionOperationFailed');
    expect(catalogueEntry('BackUpOperationFailedV2')!.code).toBe('BackUpOperationFailed');
    expect(catalogueEntry('UserErrorVmNotInDesirableState')!.code).toBe('VmNotInDesirableState');
    expect(catalogueEntry('ExtensionOperationFailedForManagedDisks')!.code).toBe('ExtensionOperationFailedForManagedDisks');
  });

  test('lookups ignore case and surrounding whitespace; any <Code>V2 folds; unknown codes are undefined', () => {
    expect(catalogueEntry('  usererrorrpcollectionlimitreached ')!.code).toBe('UserErrorRpCollectionLimitReached');
    expect(catalogueEntry('EXTENSIONOPERATIONFAILEDV2')!.code).toBe('ExtensionOperationFailed');
    expect(catalogueEntry('UserErrorSomethingNew')).toBeUndefined();
    expect(catalogueEntry('ExtensionOperation')).toBeUndefined();
    expect(catalogueEntry('V2')).toBeUndefined();
    expect(catalogueEntry('')).toBeUndefined();
  });

  test('numeric codes are exactly the documented ones', () => {
    const numbers = CATALOGUE.flatMap((e) => e.numericCodes.map((n) => [n, e.code]));
    expect(Object.fromEntries(numbers)).toEqual({ 380008: 'AzureVmOffline', 320001: 'ResourceNotFound', 400094: 'BCMV2VMNotFound' });
    expect(catalogueEntryByNumber(380008)!.code).toBe('AzureVmOffline');
    expect(catalogueEntryByNumber(400236)).toBeUndefined();
  });

  test.each(SEED_CODES)('%s carries messages in English and every seed language', (code) => {
    const languages = new Set(catalogueEntry(code)!.messages.map((m) => m.language));
    expect([...languages].sort()).toEqual(['cs', 'en', 'pt', 'ru', 'zh-TW']);
  });
});

describe('entry invariants', () => {
  test.each(CATALOGUE.map((e) => [e.code, e] as const))('%s: https doc link, causes with next steps, fixes consistent', (_code, e) => {
    expect(e.docUrl).toMatch(/^https:\/\/learn\.microsoft\.com\/azure\/backup\/[a-z-]+#[A-Za-z0-9-]+$/);
    expect(e.title.length).toBeGreaterThan(5);
    expect(e.causes.length).toBeGreaterThan(0);
    for (const c of e.causes) {
      expect(c.id).toMatch(/^[a-z0-9-]+$/);
      expect(c.summary.length).toBeGreaterThan(10);
      expect(c.fix.length).toBeGreaterThan(10);
      expect(c.nextStep.length).toBeGreaterThan(10);
      if (c.automatedFix) expect(e.fixes).toContain(c.automatedFix);
    }
    expect(new Set(e.causes.map((c) => c.id)).size).toBe(e.causes.length);
    for (const f of e.fixes) expect(ACTION_KINDS).toContain(f);
    // Fixes keep the contract's order: extension reload, then cleanup, then Backup Now.
    expect([...e.fixes].sort((a, b) => ACTION_KINDS.indexOf(a) - ACTION_KINDS.indexOf(b))).toEqual(e.fixes);
    if (e.automation === 'report-only') {
      // A report-only entry writes nothing, except a guest fix an operator enables by code (then Backup Now).
      expect(e.fixes).toEqual(GUEST_FIXABLE_CODES.includes(e.code) ? ['run-guest-fix', 'trigger-backup'] : []);
      expect(e.causes.some((c) => c.automatedFix)).toBe(false);
    }
  });

  test('fixes per auto code are exactly the documented writes', () => {
    const fixes = Object.fromEntries(CATALOGUE.filter((e) => e.automation === 'auto').map((e) => [e.code, e.fixes]));
    expect(fixes).toEqual({
      ExtensionOperationFailed: ['remove-snapshot-extension', 'trigger-backup'],
      ExtensionOperationFailedForManagedDisks: ['remove-snapshot-extension', 'trigger-backup'],
      UserErrorVmProvisioningStateFailed: ['remove-snapshot-extension', 'trigger-backup'],
      ExtensionStuckInDeletionState: ['remove-snapshot-extension', 'trigger-backup'],
      BackUpOperationFailed: ['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup'],
      UserErrorRpCollectionLimitReached: ['delete-restore-point-collection', 'trigger-backup'],
      UserErrorBackupOperationInProgress: [],
      CopyingVHDsFromBackUpVaultTakingLongTime: ['trigger-backup'],
      VmNotInDesirableState: ['trigger-backup'],
    });
  });

  test('causes follow the article order for each seed code', () => {
    const ids = (code: string) => catalogueEntry(code)!.causes.map((c) => c.id);
    expect(ids('UserErrorGuestAgentStatusUnavailable')).toEqual([
      'no-internet-access', 'agent-unresponsive-windows', 'agent-outdated-linux', 'snapshot-status-unavailable', 'extension-fails-to-load',
    ]);
    expect(ids('ExtensionSnapshotFailedNoNetwork')).toEqual(['no-internet-access', 'snapshot-status-unavailable', 'extension-fails-to-load']);
    expect(ids('ExtensionOperationFailed')).toEqual([
      'snapshot-status-unavailable', 'extension-fails-to-load', 'agent-unresponsive-windows', 'agent-outdated-linux',
    ]);
    expect(ids('GuestAgentSnapshotTaskStatusError').slice(0, 3)).toEqual(['agent-unresponsive-windows', 'agent-outdated-linux', 'no-internet-access']);
    expect(ids('BackUpOperationFailed')).toEqual([
      'no-internet-access', 'agent-unresponsive-windows', 'agent-outdated-linux', 'snapshot-status-unavailable', 'extension-fails-to-load', 'restore-points-locked',
    ]);
    expect(ids('SnapshotVMSubTaskTimedOut')).toEqual(['no-internet-access', 'agent-outdated-linux', 'extension-fails-to-load', 'snapshot-status-unavailable']);
  });

  test('causes map to the checks that confirm them from ARM data', () => {
    const checks = Object.fromEntries(catalogueEntry('BackUpOperationFailed')!.causes.map((c) => [c.id, [c.check, c.automatedFix]]));
    expect(checks).toEqual({
      'no-internet-access': ['outbound-connectivity', undefined],
      'agent-unresponsive-windows': ['agent-ready', undefined],
      'agent-outdated-linux': ['agent-version', undefined],
      'snapshot-status-unavailable': ['vm-running', undefined],
      'extension-fails-to-load': ['snapshot-extension-state', 'remove-snapshot-extension'],
      'restore-points-locked': ['collection-lock', 'delete-restore-point-collection'],
    });
    // Report-only entries keep the causes (and checks) but never name a write.
    const agent = catalogueEntry('UserErrorGuestAgentStatusUnavailable')!.causes.find((c) => c.id === 'extension-fails-to-load')!;
    expect(agent.check).toBe('snapshot-extension-state');
    expect(agent.automatedFix).toBeUndefined();
  });

  test('doc links use the seed anchors and the learn.microsoft.com heading anchors', () => {
    expect(catalogueEntry('ExtensionOperationFailed')!.docUrl).toBe(
      'https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout#vmsnapshot-extension-operation-failed',
    );
    expect(catalogueEntry('UserErrorVmProvisioningStateFailed')!.docUrl).toBe(
      'https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout#usererrorvmprovisioningstatefailed---the-vm-is-in-failed-provisioning-state',
    );
    expect(headingAnchor('ExtensionSnapshotFailedCOM / ExtensionInstallationFailedCOM / ExtensionInstallationFailedMDTC - Extension installation/operation failed due to a COM+ error')).toBe(
      'extensionsnapshotfailedcom--extensioninstallationfailedcom--extensioninstallationfailedmdtc---extension-installationoperation-failed-due-to-a-com-error',
    );
  });
});

describe('message patterns', () => {
  const all = CATALOGUE.flatMap((e) => e.messages.map((m) => ({ code: e.code, ...m })));

  test.each(all.map((m) => [m.code, m.language, m.text, m] as const))('%s [%s] matches its own text: %s', (_c, _l, text, m) => {
    expect(m.pattern.test(text)).toBe(true);
  });

  test('no pattern matches another entry\'s documented message (shared texts excepted)', () => {
    const clashes: string[] = [];
    for (const m of all) {
      for (const other of all) {
        if (other.code === m.code || other.text === m.text) continue;
        if (m.pattern.test(other.text)) clashes.push(`${m.code} /${m.text}/ matches ${other.code}: ${other.text}`);
      }
    }
    expect(clashes).toEqual([]);
  });

  test('the only shared messages are the VMSnapshot ones of the managed-disk variant, in every language', () => {
    const byText = new Map<string, Set<string>>();
    for (const m of all) byText.set(m.text, new Set([...(byText.get(m.text) ?? []), m.code]));
    const shared = [...byText.entries()].filter(([, codes]) => codes.size > 1);
    expect(shared.map(([t]) => t)).toContain('VMSnapshot extension operation failed');
    expect(shared.length).toBe(catalogueEntry('ExtensionOperationFailed')!.messages.length);
    for (const [text, codes] of shared) {
      expect([text, [...codes]]).toEqual([text, ['ExtensionOperationFailed', 'ExtensionOperationFailedForManagedDisks']]);
      expect(text).toMatch(/VMSnapshot/);
    }
  });

  test('every wording keeps its provenance: no unknown source label', () => {
    for (const m of all) if (m.source) expect(Object.keys(SOURCE_LABELS)).toContain(m.source);
  });

  test('patterns tolerate case, whitespace, dash and quote variants, trailing punctuation', () => {
    const p = phrasePattern('Backup failed with an internal error - Please retry the operation in a few minutes');
    expect(p.test('BACKUP FAILED WITH AN INTERNAL ERROR – please retry the operation\n in a few   minutes.')).toBe(true);
    expect(p.test('"Backup failed with an internal error — Please retry the operation in a few minutes"')).toBe(true);
    expect(p.test('Backup failed with an internal error')).toBe(false);
    const zh = phrasePattern('無法執行操作，因為 VM 代理程式沒有回應');
    expect(zh.test('無法執行操作,因為VM代理程式沒有回應。')).toBe(true);
  });

  test('English negations match contracted or spelled out', () => {
    const p = phrasePattern("The virtual machine doesn't exist");
    expect(p.test('The virtual machine does not exist.')).toBe(true);
    expect(p.test('The virtual machine doesn\u2019t exist')).toBe(true);
    expect(p.test('The virtual machine does exist')).toBe(false);
    expect(phrasePattern("The VM isn't in a state that allows backups").test('the VM is not in a state that allows backups')).toBe(true);
  });

  test('patterns only match on word boundaries', () => {
    const p = phrasePattern('VMSnapshot extension operation failed');
    expect(p.test('Error: VMSnapshot extension operation failed.')).toBe(true);
    expect(p.test('NotVMSnapshot extension operation failed')).toBe(false);
    expect(p.test('VMSnapshot extension operation failedness')).toBe(false);
  });

  test('the current English agent message does not swallow the 2016 timeout form', () => {
    const current = catalogueEntry('GuestAgentSnapshotTaskStatusError')!.messages[0].pattern;
    expect(current.test('Could not communicate with the VM agent for snapshot status')).toBe(true);
    expect(current.test('Could not communicate with the VM agent for snapshot status.')).toBe(true);
    expect(current.test('Could not communicate with the VM agent for snapshot status - Snapshot VM sub task timed out')).toBe(false);
  });
});

describe('docs/catalogue.md', () => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'catalogue.md'), 'utf8');
  test.each(CATALOGUE.map((e) => [e.code, e] as const))('lists %s with its class, aliases, numbers and doc link', (code, e) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
    expect(row).toBeDefined();
    expect(row).toContain(`| ${e.automation}`);
    for (const a of e.aliases) expect(row).toContain(`\`${a}\``);
    for (const n of e.numericCodes) expect(row).toContain(String(n));
    expect(row).toContain(`(${e.docUrl})`);
  });
});
