import { planItem, isBackupCollectionName, type PlanCatalogueEntry, type PlanOptions } from '../lib/plan';
import type { Candidate } from '../lib/discover/types';
import type { Diagnosis, CollectionFacts, LockRef } from '../lib/diagnose';
import type { Classification, ActionKind } from '../lib/types';

const SUB = '11111111-1111-1111-1111-111111111111';
const OTHER_SUB = '22222222-2222-2222-2222-222222222222';
const vmIdOf = (name: string, rg = 'rg-app', sub = SUB) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-bkp/providers/Microsoft.RecoveryServices/vaults/rsv1`;
const itemIdOf = (name: string, rg = 'rg-app') => `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;${rg};${name}/protectedItems/VM;iaasvmcontainerv2;${rg};${name}`;
const rpcIdOf = (name: string) => `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/${name}`;
const NOW = new Date('2026-11-20T06:00:00Z');
const ALL: ActionKind[] = ['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup'];

const entries: Record<string, PlanCatalogueEntry> = {
  ExtensionOperationFailedForManagedDisks: {
    code: 'ExtensionOperationFailedForManagedDisks', title: 'VMSnapshot extension operation failed', automation: 'auto',
    fixes: ['remove-snapshot-extension', 'trigger-backup'],
    causes: [
      { id: 'agent', summary: 'agent not ready', check: 'agent-ready', fix: 'fix agent', nextStep: 'Restart the agent.' },
      { id: 'ext', summary: 'extension failed', check: 'snapshot-extension-state', fix: 'remove extension', nextStep: 'Remove the extension.', automatedFix: 'remove-snapshot-extension' },
    ],
    docUrl: 'https://learn.microsoft.com/azure/backup/ext',
  },
  UserErrorRpCollectionLimitReached: {
    code: 'UserErrorRpCollectionLimitReached', title: 'Restore point collection limit reached', automation: 'auto',
    fixes: ['delete-restore-point-collection', 'trigger-backup'],
    causes: [
      { id: 'lock', summary: 'a lock blocks cleanup', check: 'collection-lock', fix: 'remove lock', nextStep: 'Remove the lock.' },
      { id: 'limit', summary: 'limit reached', check: 'restore-point-limit', fix: 'delete collection', nextStep: 'Delete the collection.', automatedFix: 'delete-restore-point-collection' },
    ],
    docUrl: 'https://learn.microsoft.com/azure/backup/rp',
  },
  UserErrorGuestAgentStatusUnavailable: {
    code: 'UserErrorGuestAgentStatusUnavailable', title: 'VM agent unable to communicate with Azure Backup', automation: 'report-only', fixes: [],
    causes: [
      { id: 'agent', summary: 'agent not ready', check: 'agent-ready', fix: 'restart agent', nextStep: 'Restart the VM agent service in the guest.' },
      { id: 'version', summary: 'agent outdated', check: 'agent-version', fix: 'update', nextStep: 'Update the agent.' },
      { id: 'net', summary: 'no outbound', check: 'outbound-connectivity', fix: 'open network', nextStep: 'Allow outbound to Azure Storage.' },
    ],
    docUrl: 'https://learn.microsoft.com/azure/backup/agent',
  },
  ExtensionSnapshotFailedNoNetwork: {
    code: 'ExtensionSnapshotFailedNoNetwork', title: 'No network', automation: 'report-only', fixes: [],
    causes: [{ id: 'net', summary: 'no outbound', check: 'outbound-connectivity', fix: 'open network', nextStep: 'Allow outbound to Azure Storage.' }],
    docUrl: 'https://learn.microsoft.com/azure/backup/net',
  },
  BackUpOperationFailed: {
    code: 'BackUpOperationFailed', title: 'Backup failed with an internal error', automation: 'auto',
    fixes: ['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup'],
    causes: [
      { id: 'net', summary: 'no outbound', check: 'outbound-connectivity', fix: 'open network', nextStep: 'Allow outbound to Azure Storage.' },
      { id: 'lock', summary: 'a lock blocks cleanup', check: 'collection-lock', fix: 'remove lock', nextStep: 'Remove the lock.' },
      { id: 'limit', summary: 'limit reached', check: 'restore-point-limit', fix: 'delete collection', nextStep: 'Delete the collection.', automatedFix: 'delete-restore-point-collection' },
    ],
    docUrl: 'https://learn.microsoft.com/azure/backup/internal',
  },
  CopyingVHDsFromBackUpVaultTakingLongTime: {
    code: 'CopyingVHDsFromBackUpVaultTakingLongTime', title: 'Copy slow', automation: 'opt-in', fixes: ['trigger-backup'], causes: [],
    docUrl: 'https://learn.microsoft.com/azure/backup/copy',
  },
};

function classification(code: string, extra: Partial<Classification> = {}): Classification {
  const e = entries[code];
  return { code, signals: [{ source: 'errorCode', value: code, matched: { by: 'symbolic', code } }], automation: e?.automation ?? 'report-only', docUrl: e?.docUrl, ...extra };
}

function candidate(name = 'web1', rg = 'rg-app'): Candidate {
  return {
    vmId: vmIdOf(name, rg), jobId: `${VAULT}/backupJobs/job-${name}`, vaultId: VAULT, protectedItemId: itemIdOf(name, rg),
    job: { status: 'Failed', operation: 'Backup' }, inProgress: false,
  };
}

function collection(name: string, sourceVm: string, points: number, locks: LockRef[] = []): CollectionFacts {
  return { id: rpcIdOf(name), name, resourceGroup: 'AzureBackupRG_westeurope_1', sourceId: vmIdOf(sourceVm), pointCount: points, locks };
}

function diagnosis(name = 'web1', over: Partial<Diagnosis> = {}, vmOver: Partial<Diagnosis['vm']> = {}): Diagnosis {
  const base: Diagnosis = {
    vm: { id: vmIdOf(name), exists: true, name, resourceGroup: 'rg-app', subscriptionId: SUB, tags: {}, rgTags: {}, powerState: 'running', provisioningState: 'Succeeded', os: 'Windows', ...vmOver },
    agent: { status: 'Ready', version: '2.7.41491.1102' },
    snapshotExtension: undefined,
    collections: [],
    totalPoints: 0,
    protectedItems: [itemIdOf(name)],
    backupInProgress: false,
    readErrors: [],
  };
  return { ...base, ...over };
}

const failedExt = (name = 'web1') => ({
  id: `${vmIdOf(name)}/extensions/VMSnapshot`, name: 'VMSnapshot', type: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices',
  provisioningState: 'Failed', source: 'extensions-list' as const,
});

const opts = (over: Partial<PlanOptions> = {}): PlanOptions => ({
  subscriptions: [SUB], resourceGroups: [], allowedActions: ALL, optInCodes: [], backupRetentionDays: 30, now: NOW, ...over,
});

const plan = (code: string, d: Diagnosis, o: Partial<PlanOptions> = {}, c = candidate(d.vm.name)) =>
  planItem(c, classification(code), d, entries[code], opts(o));

const summary = (p: ReturnType<typeof planItem>) => p.actions.map((a) => `${a.kind} ${a.method} ${a.target}`);
const kinds = (p: ReturnType<typeof planItem>) => p.findings.map((f) => f.kind);

describe('remove-snapshot-extension', () => {
  it('removes the failed VMSnapshot extension, then triggers a backup with retention', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }));
    expect(summary(p)).toEqual([
      `remove-snapshot-extension DELETE ${vmIdOf('web1')}/extensions/VMSnapshot`,
      `trigger-backup POST ${itemIdOf('web1')}`,
    ]);
    expect(p.actions[1].evidence).toMatchObject({ retentionDays: 30, recoveryPointExpiryTimeInUTC: '2026-12-20T06:00:00.000Z' });
    expect(p.actions.every((a) => a.reason.length > 10 && a.status === 'proposed')).toBe(true);
    expect(kinds(p)).toEqual(['extension-failed']);
  });

  it('does not touch the extension while the agent is not Ready (and triggers nothing)', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt(), agent: { status: 'NotReady', version: 'Unknown' } }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toContain('agent-not-ready');
    expect(p.findings.find((f) => f.kind === 'agent-not-ready')!.nextStep).toBe('Restart the agent.');
  });

  it('never removes an extension from another publisher or type', () => {
    const other = { ...failedExt(), name: 'MyVMSnapshot', publisher: 'Contoso.Tools', id: `${vmIdOf('web1')}/extensions/MyVMSnapshot` };
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: other }));
    expect(summary(p)).toEqual([`trigger-backup POST ${itemIdOf('web1')}`]);
    expect(kinds(p)).toContain('extension-missing');
  });

  it('extension visible only in the instance view: no delete, finding extension-missing, trigger-backup only', () => {
    const ext = { ...failedExt(), id: undefined, source: 'instance-view' as const, provisioningState: undefined, instanceViewStatus: { level: 'Error', code: 'ProvisioningState/failed' } };
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: ext }));
    expect(summary(p)).toEqual([`trigger-backup POST ${itemIdOf('web1')}`]);
    expect(kinds(p)).toContain('extension-missing');
  });

  it('a lock at or above the extension (subscription, resource group, VM): finding per lock naming it, no delete, no trigger', () => {
    const locks: LockRef[] = [
      { id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/locks/legal-hold`, name: 'legal-hold', level: 'CanNotDelete', scope: 'subscription' },
      { id: `${vmIdOf('web1')}/providers/Microsoft.Authorization/locks/keep-vm`, name: 'keep-vm', level: 'ReadOnly', scope: 'resource' },
    ];
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: { ...failedExt(), locks } }));
    expect(p.actions).toEqual([]);
    const lockFindings = p.findings.filter((f) => f.kind === 'lock-blocks-cleanup');
    expect(lockFindings.map((f) => f.evidence)).toEqual([
      { lock: { id: locks[0].id, name: 'legal-hold', level: 'CanNotDelete', scope: 'subscription' }, extension: failedExt().id },
      { lock: { id: locks[1].id, name: 'keep-vm', level: 'ReadOnly', scope: 'resource' }, extension: failedExt().id },
    ]);
    expect(lockFindings[0].message).toContain('subscription scope');
    expect(lockFindings[0].nextStep).toContain(locks[0].id);
    expect(kinds(p)).toEqual(['extension-failed', 'lock-blocks-cleanup', 'lock-blocks-cleanup']);
  });

  it('an empty lock list (locks read, none cover the extension) plans the removal', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: { ...failedExt(), locks: [] } }));
    expect(summary(p)).toEqual([`remove-snapshot-extension DELETE ${vmIdOf('web1')}/extensions/VMSnapshot`, `trigger-backup POST ${itemIdOf('web1')}`]);
  });

  it('extension id under another VM is never a target', () => {
    const ext = { ...failedExt('web10') };
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: ext }));
    expect(p.actions.some((a) => a.kind === 'remove-snapshot-extension')).toBe(false);
  });
});

describe('delete-restore-point-collection', () => {
  it('web1/web10 prefix trap: only web1\'s own collection is planned, never web10\'s', () => {
    // Diagnosis for web1 should only list collections whose source is web1, but the planner must not trust that.
    const d = diagnosis('web1', {
      collections: [collection('AzureBackup_web1_1', 'web1', 18), collection('AzureBackup_web10', 'web10', 18), collection('AzureBackup_web10_7', 'web1', 0)],
      totalPoints: 18,
    });
    const p = plan('UserErrorRpCollectionLimitReached', d);
    expect(summary(p)).toEqual([
      `delete-restore-point-collection DELETE ${rpcIdOf('AzureBackup_web1_1')}`,
      `trigger-backup POST ${itemIdOf('web1')}`,
    ]);
    expect(p.actions.some((a) => a.target.includes('web10'))).toBe(false);
  });

  it('name check is exact: AzureBackup_web10 is not a web1 name even with source web1', () => {
    expect(isBackupCollectionName('AzureBackup_web1', 'web1')).toBe(true);
    expect(isBackupCollectionName('AzureBackup_web1_140738144265919', 'web1')).toBe(true);
    expect(isBackupCollectionName('AzureBackup_web10', 'web1')).toBe(false);
    expect(isBackupCollectionName('AzureBackup_web1_x', 'web1')).toBe(false);
    expect(isBackupCollectionName('AzureBackup_web1.x', 'web1')).toBe(false);
    expect(isBackupCollectionName('AzureBackup_vm.1', 'vm.1')).toBe(true);
    expect(isBackupCollectionName('AzureBackup_vmx1', 'vm.1')).toBe(false);
  });

  it('below the 18-point limit nothing is deleted', () => {
    const p = plan('UserErrorRpCollectionLimitReached', diagnosis('web1', { collections: [collection('AzureBackup_web1', 'web1', 17)], totalPoints: 17 }));
    expect(summary(p)).toEqual([`trigger-backup POST ${itemIdOf('web1')}`]);
  });

  it('a subscription-level lock blocks cleanup: finding names the lock, no delete, no trigger', () => {
    const lock: LockRef = { id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/locks/no-delete`, name: 'no-delete', level: 'CanNotDelete', scope: 'subscription' };
    const p = plan('UserErrorRpCollectionLimitReached', diagnosis('web1', { collections: [collection('AzureBackup_web1', 'web1', 18, [lock])], totalPoints: 18 }));
    expect(p.actions).toEqual([]);
    const lf = p.findings.find((f) => f.kind === 'lock-blocks-cleanup' && (f.evidence.lock as LockRef | undefined)?.id === lock.id)!;
    expect(lf.evidence.lock).toEqual({ id: lock.id, name: 'no-delete', level: 'CanNotDelete', scope: 'subscription' });
    expect(lf.message).toContain('subscription scope');
    expect(kinds(p)).toContain('restore-point-limit');
    expect(p.findings.find((f) => f.kind === 'restore-point-limit' && /does not trigger a backup/.test(f.message))).toBeDefined();
  });

  it('deletes the unlocked collection when that is enough to get under the limit, keeps the locked one', () => {
    const lock: LockRef = { id: `${rpcIdOf('AzureBackup_web1_2')}/providers/Microsoft.Authorization/locks/keep`, name: 'keep', level: 'ReadOnly', scope: 'resource' };
    const d = diagnosis('web1', { collections: [collection('AzureBackup_web1_1', 'web1', 12), collection('AzureBackup_web1_2', 'web1', 6, [lock])], totalPoints: 18 });
    const p = plan('UserErrorRpCollectionLimitReached', d);
    expect(summary(p)).toEqual([`delete-restore-point-collection DELETE ${rpcIdOf('AzureBackup_web1_1')}`, `trigger-backup POST ${itemIdOf('web1')}`]);
    expect(p.actions[0].evidence).toMatchObject({ totalPoints: 18, pointsAfter: 6 });
    expect(kinds(p)).toContain('lock-blocks-cleanup');
  });
});

describe('trigger-backup', () => {
  it('backup already in progress: finding, no writes at all', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt(), backupInProgress: true }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toContain('backup-in-progress');
  });

  it('VM stopped: no trigger (it would fail), finding vm-not-running', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', {}, { powerState: 'deallocated' }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toContain('vm-not-running');
  });

  it('missing or ambiguous protected item: ambiguous-target, no writes', () => {
    const none = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt(), protectedItems: [] }));
    expect(none.actions).toEqual([]);
    expect(kinds(none)).toEqual(['ambiguous-target']);
    const two = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt(), protectedItems: [itemIdOf('web1'), itemIdOf('web1', 'rg-x')] }));
    expect(two.actions).toEqual([]);
    expect(kinds(two)).toEqual(['ambiguous-target']);
  });
});

describe('one finding per fact', () => {
  const subLock: LockRef = { id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/locks/legal-hold`, name: 'legal-hold', level: 'CanNotDelete', scope: 'subscription' };
  const rpLock: LockRef = { id: `${rpcIdOf('AzureBackup_web1_2')}/providers/Microsoft.Authorization/locks/keep`, name: 'keep', level: 'CanNotDelete', scope: 'resource' };

  it('a locked collection at the limit: one lock finding naming lock id, scope and collection, one limit finding', () => {
    const p = plan('UserErrorRpCollectionLimitReached', diagnosis('web1', { collections: [collection('AzureBackup_web1', 'web1', 18, [subLock])], totalPoints: 18 }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['lock-blocks-cleanup', 'restore-point-limit']);
    expect(p.findings[0].evidence).toEqual({ lock: { id: subLock.id, name: 'legal-hold', level: 'CanNotDelete', scope: 'subscription' }, collection: rpcIdOf('AzureBackup_web1') });
    expect(p.findings[1].evidence).toMatchObject({ totalPoints: 18, pointsThatWouldRemain: 18, deletable: [] });
    expect(p.findings.every((f) => f.nextStep && f.docUrl === 'https://learn.microsoft.com/azure/backup/rp')).toBe(true);
  });

  it('two locks on two collections: one finding per lock and collection, still one limit finding', () => {
    const d = diagnosis('web1', {
      collections: [collection('AzureBackup_web1_1', 'web1', 12, [subLock]), collection('AzureBackup_web1_2', 'web1', 6, [subLock, rpLock])],
      totalPoints: 18,
    });
    const p = plan('UserErrorRpCollectionLimitReached', d);
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['lock-blocks-cleanup', 'lock-blocks-cleanup', 'lock-blocks-cleanup', 'restore-point-limit']);
    expect(p.findings.slice(0, 3).map((f) => [f.evidence.collection, (f.evidence.lock as LockRef).name])).toEqual([
      [rpcIdOf('AzureBackup_web1_1'), 'legal-hold'],
      [rpcIdOf('AzureBackup_web1_2'), 'legal-hold'],
      [rpcIdOf('AzureBackup_web1_2'), 'keep'],
    ]);
  });

  it('limit reached and cleanup planned: the limit is stated once (the catalogue cause, with its next step)', () => {
    const p = plan('UserErrorRpCollectionLimitReached', diagnosis('web1', { collections: [collection('AzureBackup_web1', 'web1', 18)], totalPoints: 18 }));
    expect(p.actions.map((a) => a.kind)).toEqual(['delete-restore-point-collection', 'trigger-backup']);
    expect(kinds(p)).toEqual(['restore-point-limit']);
    expect(p.findings[0].nextStep).toBe('Delete the collection.');
  });

  it('a Backup Now retry is planned: no inferred connectivity finding (the retry is the next step)', () => {
    const p = plan('BackUpOperationFailed', diagnosis('web1', { snapshotExtension: { ...failedExt(), provisioningState: 'Succeeded' } }));
    expect(summary(p)).toEqual([`trigger-backup POST ${itemIdOf('web1')}`]);
    expect(p.findings).toEqual([]);
  });

  it('no write planned (blocked): the inferred connectivity finding stays, marked inferred and unconfirmed in evidence', () => {
    const p = plan('BackUpOperationFailed', diagnosis('web1', { snapshotExtension: { ...failedExt(), provisioningState: 'Succeeded' }, backupInProgress: true }));
    expect(p.actions).toEqual([]);
    const f = p.findings.find((x) => x.kind === 'no-outbound-connectivity')!;
    expect(f.message).toMatch(/^Inferred, not confirmed/);
    expect(f.evidence).toMatchObject({ inferred: true, confirmed: false, inferredFrom: { agent: 'Ready', powerState: 'running', snapshotExtension: 'Succeeded' } });
    expect(kinds(p)).toEqual(['no-outbound-connectivity', 'backup-in-progress']);
  });

  it('report-only: the inferred connectivity finding stays, marked inferred', () => {
    const p = plan('ExtensionSnapshotFailedNoNetwork', diagnosis('web1'));
    expect(p.findings.find((x) => x.kind === 'no-outbound-connectivity')!.evidence).toMatchObject({ inferred: true, confirmed: false });
  });
});

describe('guardrails in the plan', () => {
  it('VM outside the subscription allow-list: out-of-scope, nothing else', () => {
    const c = { ...candidate('web1'), vmId: vmIdOf('web1', 'rg-app', OTHER_SUB) };
    const p = planItem(c, classification('ExtensionOperationFailedForManagedDisks'), diagnosis('web1', { snapshotExtension: failedExt() }), entries.ExtensionOperationFailedForManagedDisks, opts());
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['out-of-scope']);
  });

  it('VM outside the resource-group allow-list: out-of-scope', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }), { resourceGroups: [`${SUB}/rg-other`] });
    expect(kinds(p)).toEqual(['out-of-scope']);
    const ok = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }), { resourceGroups: [`${SUB.toUpperCase()}/RG-APP`] });
    expect(ok.actions).toHaveLength(2);
  });

  it('opted-out VM (tag key and value case-insensitive): no actions', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }, { tags: { 'Backup-Remediation': 'OFF' } }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['opted-out']);
    expect(p.findings[0].evidence).toEqual({ tag: { 'Backup-Remediation': 'OFF' }, on: 'vm' });
  });

  it('opted-out resource group: no actions', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }, { rgTags: { 'backup-remediation': 'off' } }));
    expect(kinds(p)).toEqual(['opted-out']);
    expect(p.findings[0].evidence.on).toBe('resourceGroup');
    const notOff = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }, { tags: { 'backup-remediation': 'on' } }));
    expect(notOff.actions).toHaveLength(2);
  });

  it('VM not found: vm-not-found, no actions', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', {}, { exists: false }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['vm-not-found']);
  });

  it('VM unreadable (403, 500): read-failed, never "the VM no longer exists" with its advice to stop protection', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { readErrors: ['virtual machine: 403 AuthorizationFailed no read access'] }, { exists: false }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['read-failed']);
    // Whatever the failure code, even an unclassified one.
    const u = planItem(candidate(), { code: 'Unclassified', signals: [], automation: 'report-only' }, diagnosis('web1', { readErrors: ['virtual machine: 500 InternalServerError'] }, { exists: false }), undefined, opts());
    expect(kinds(u)).toEqual(['read-failed']);
  });

  it('allowedActions withholds a fix and the trigger that depends on it', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }), { allowedActions: ['trigger-backup'] });
    expect(p.actions).toEqual([]);
    const guard = p.findings.filter((f) => f.kind === 'guardrail');
    expect(guard.map((g) => g.evidence.withheld).sort()).toEqual(['remove-snapshot-extension', 'trigger-backup']);
  });

  it('allowedActions without trigger-backup keeps the fix and says trigger-backup was withheld', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt() }), { allowedActions: ['remove-snapshot-extension'] });
    expect(summary(p)).toEqual([`remove-snapshot-extension DELETE ${vmIdOf('web1')}/extensions/VMSnapshot`]);
    expect(p.findings.find((f) => f.kind === 'guardrail')!.evidence.withheld).toBe('trigger-backup');
  });

  it('opt-in entry not listed in optInCodes: guardrail, no writes; listed: acts', () => {
    const p = plan('CopyingVHDsFromBackUpVaultTakingLongTime', diagnosis('web1'));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['guardrail']);
    const q = plan('CopyingVHDsFromBackUpVaultTakingLongTime', diagnosis('web1'), { optInCodes: ['copyingvhdsfrombackupvaulttakinglongtime'] });
    expect(summary(q)).toEqual([`trigger-backup POST ${itemIdOf('web1')}`]);
  });

  it('read errors: no writes on partial facts', () => {
    const p = plan('ExtensionOperationFailedForManagedDisks', diagnosis('web1', { snapshotExtension: failedExt(), readErrors: ['locks: 500'] }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['read-failed']);
  });
});

describe('classification outcomes', () => {
  it('unclassified: finding unclassified-error, no actions', () => {
    const c: Classification = { code: 'Unclassified', signals: [{ source: 'errorString', value: 'Something odd' }], automation: 'report-only' };
    const p = planItem(candidate(), c, diagnosis('web1', { snapshotExtension: failedExt() }), undefined, opts());
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['unclassified-error']);
    expect(p.failure.code).toBe('Unclassified');
  });

  it('conflicting signals: finding conflicting-signals, no actions', () => {
    const c: Classification = { code: 'Unclassified', signals: [], automation: 'report-only', conflicting: ['ExtensionOperationFailed', 'UserErrorGuestAgentStatusUnavailable'] };
    const p = planItem(candidate(), c, diagnosis('web1', { snapshotExtension: failedExt() }), undefined, opts());
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['conflicting-signals']);
  });

  it('report-only: confirmed causes first with their next step and doc link, no writes', () => {
    const p = plan('UserErrorGuestAgentStatusUnavailable', diagnosis('web1', { agent: { status: 'NotReady', version: 'Unknown' } }));
    expect(p.actions).toEqual([]);
    expect(kinds(p)).toEqual(['agent-not-ready', 'report-only-error']);
    expect(p.findings[0]).toMatchObject({ nextStep: 'Restart the VM agent service in the guest.', docUrl: 'https://learn.microsoft.com/azure/backup/agent' });
    expect(p.findings[1].nextStep).toBe('Restart the VM agent service in the guest.');
  });

  it('report-only network error: outbound connectivity is inferred and says so', () => {
    const p = plan('ExtensionSnapshotFailedNoNetwork', diagnosis('web1'));
    expect(p.actions).toEqual([]);
    const f = p.findings.find((x) => x.kind === 'no-outbound-connectivity')!;
    expect(f.evidence.inferred).toBe(true);
    expect(f.message).toMatch(/^Inferred, not confirmed/);
  });

  it('every finding carries a message, evidence and the doc link', () => {
    const p = plan('UserErrorRpCollectionLimitReached', diagnosis('web1', { collections: [collection('AzureBackup_web1', 'web1', 18, [{ id: '/subscriptions/x/providers/Microsoft.Authorization/locks/l', name: 'l', level: 'CanNotDelete', scope: 'subscription' }])], totalPoints: 18 }));
    expect(p.findings.length).toBeGreaterThan(0);
    for (const f of p.findings) {
      expect(f.message.length).toBeGreaterThan(10);
      expect(f.evidence).toBeDefined();
      expect(f.docUrl).toBe('https://learn.microsoft.com/azure/backup/rp');
    }
  });
});
