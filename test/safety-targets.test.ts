// Safety: the engine writes only to what is provably the failing VM's, and never past a lock,
// a running backup, an opt-out tag or the configured scope.

import { failedJob, ids, lc, oneVaultEstate, RG, SUB, useHarness, vmSpec } from './helpers/harness';

const env = useHarness();

describe('the web1 / web10 prefix trap', () => {
  test('only the collection whose source is web1 is deleted, not web10’s', async () => {
    const e = await env(
      oneVaultEstate({
        vms: [vmSpec('web1'), vmSpec('web10')],
        jobs: [failedJob('00000000-0000-4000-8000-00000000a001', 'web1', 'UserErrorRpCollectionLimitReached')],
        collections: [
          { name: 'AzureBackup_web1_7001', sourceVmId: ids.vm(SUB, RG, 'web1'), restorePoints: 18, locks: [] },
          { name: 'AzureBackup_web10_7002', sourceVmId: ids.vm(SUB, RG, 'web10'), restorePoints: 18, locks: [] },
          // Named after web1 but created for web10: the name lies, source.id does not.
          { name: 'AzureBackup_web1_7003', sourceVmId: ids.vm(SUB, RG, 'web10'), restorePoints: 3, locks: [] },
        ],
      }),
    );
    const planned = await e.run('plan');
    expect(e.writes()).toEqual([]);
    const deletes = planned.items[0].actions.filter((a) => a.kind === 'delete-restore-point-collection');
    expect(deletes.map((a) => lc(a.target))).toEqual([lc(ids.collection(SUB, RG, 'AzureBackup_web1_7001'))]);

    await e.run('apply');
    const deleted = e.writes().filter((w) => w.method === 'DELETE').map((w) => lc(w.path));
    expect(deleted).toEqual([lc(ids.collection(SUB, RG, 'AzureBackup_web1_7001'))]);
    const left = e.emu.state.estate.subscriptions[0].resourceGroups[0].restorePointCollections.map((c: { name: string }) => c.name);
    expect(left).toEqual(expect.arrayContaining(['AzureBackup_web10_7002', 'AzureBackup_web1_7003']));
    expect(left).not.toContain('AzureBackup_web1_7001');
  });
});

describe('a subscription-level lock', () => {
  test('blocks the cleanup: a finding names the lock, nothing is deleted, the lock stays', async () => {
    const e = await env(
      oneVaultEstate({
        subLocks: [{ name: 'sub-freeze', level: 'CanNotDelete', notes: 'audit' }],
        vms: [vmSpec('vm-locked')],
        jobs: [failedJob('00000000-0000-4000-8000-00000000a002', 'vm-locked', 'UserErrorRpCollectionLimitReached')],
        collections: [{ name: 'AzureBackup_vm-locked_1', sourceVmId: ids.vm(SUB, RG, 'vm-locked'), restorePoints: 18, locks: [] }],
      }),
    );
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    const item = report.items[0];
    expect(item.actions.filter((a) => a.kind === 'delete-restore-point-collection')).toEqual([]);
    const finding = item.findings.find((f) => f.kind === 'lock-blocks-cleanup');
    expect(finding).toBeDefined();
    const evidence = JSON.stringify(finding!.evidence).toLowerCase();
    expect(evidence).toContain('sub-freeze');
    expect(evidence).toContain('cannotdelete');
    expect(e.emu.state.estate.subscriptions[0].locks.map((l: { name: string }) => l.name)).toEqual(['sub-freeze']);
    expect(e.emu.state.estate.subscriptions[0].resourceGroups[0].restorePointCollections).toHaveLength(1);
  });
});

describe('a backup already in progress', () => {
  test('a later running backup makes the failure moot: no item acted on, no writes', async () => {
    const e = await env(
      oneVaultEstate({
        vms: [vmSpec('vm-busy')],
        jobs: [
          failedJob('00000000-0000-4000-8000-00000000a003', 'vm-busy', 'BackUpOperationFailedV2'),
          {
            name: '00000000-0000-4000-8000-00000000a004',
            vmId: ids.vm(SUB, RG, 'vm-busy'),
            operation: 'Backup',
            status: 'InProgress',
            startTime: '2026-11-20T05:30:00Z',
          },
        ],
      }),
    );
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(report.items.flatMap((i) => i.actions.filter((a) => a.status === 'applied'))).toEqual([]);
  });
});

describe('a backup being cancelled', () => {
  // Started before the failed job (a user cancelled it; the scheduled backup then failed beside it): not
  // a later job, so the item is a candidate. The plan sees it through one Resource Graph query for the
  // run (no job list per vault); each write would re-read it over ARM (test/actions-preconditions).
  const estate = () =>
    oneVaultEstate({
      vms: [vmSpec('vm-cancel')],
      jobs: [
        { name: '00000000-0000-4000-8000-00000000a0c1', vmId: ids.vm(SUB, RG, 'vm-cancel'), operation: 'Backup', status: 'Cancelling', startTime: '2026-11-20T00:30:00Z' },
        failedJob('00000000-0000-4000-8000-00000000a0c2', 'vm-cancel', 'BackUpOperationFailedV2'),
      ],
    });

  test('plan and apply hold the item back (backup in progress); nothing is written; the plan lists no vault jobs over ARM', async () => {
    const e = await env(estate());
    e.emu.requests.reset();
    const planned = await e.run('plan');
    expect(planned.items.map((i) => [i.actions.map((a) => a.kind), i.findings.map((f) => f.kind)])).toEqual([[[], expect.arrayContaining(['backup-in-progress'])]]);
    const jobLists = e.emu.requests.all().filter((r) => /\/backupJobs$/i.test(r.path)).map((r) => /status eq '(\w+)'/.exec(decodeURIComponent(r.query))?.[1] ?? 'any');
    expect(jobLists).toEqual([]);
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(report.items[0].actions.filter((a) => a.status === 'applied')).toEqual([]);
  });
});

describe('opt-out tags', () => {
  test('backup-remediation: off on the VM stops every write', async () => {
    const e = await env(
      oneVaultEstate({
        vms: [vmSpec('vm-optout', { tags: { 'backup-remediation': 'off' } })],
        jobs: [failedJob('00000000-0000-4000-8000-00000000a005', 'vm-optout', 'BackUpOperationFailedV2')],
      }),
    );
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(report.items[0].findings.map((f) => f.kind)).toContain('opted-out');
    expect(report.items[0].actions.filter((a) => a.status === 'applied')).toEqual([]);
  });

  test('backup-remediation: off on the resource group stops every write', async () => {
    const e = await env(
      oneVaultEstate({
        rgTags: { 'backup-remediation': 'off' },
        vms: [vmSpec('vm-rg-optout')],
        jobs: [failedJob('00000000-0000-4000-8000-00000000a006', 'vm-rg-optout', 'BackUpOperationFailedV2')],
      }),
    );
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(report.items[0].findings.map((f) => f.kind)).toContain('opted-out');
  });
});

describe('resource-group allow-list', () => {
  test('a VM outside REMEDIATION_RESOURCE_GROUPS is reported, not touched', async () => {
    const e = await env(
      oneVaultEstate({
        vms: [vmSpec('vm-outside')],
        jobs: [failedJob('00000000-0000-4000-8000-00000000a007', 'vm-outside', 'BackUpOperationFailedV2')],
      }),
      { settings: { resourceGroups: [`${SUB}/rg-other`] } },
    );
    e.emu.requests.reset();
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    // The allow-list bounds reads too (lib/scope): the vault and the VM in rg-app are never read.
    expect(report.items).toEqual([]);
    expect(e.emu.requests.all().filter((r) => /\/resourceGroups\/rg-app\//i.test(r.path))).toEqual([]);
  });

  test('a VM outside the allow-list protected by an in-scope vault is reported out-of-scope without one read of its state', async () => {
    const outside = ids.vm(SUB, 'rg-other', 'vm-x');
    const estate = oneVaultEstate({ vms: [vmSpec('vm-in')], jobs: [failedJob('00000000-0000-4000-8000-00000000a008', 'vm-x', 'BackUpOperationFailedV2', { vmId: outside })] });
    const vault = estate.subscriptions[0].resourceGroups[0].vaults[0];
    (vault.protectedItems as unknown[]).push({ vmId: outside, policy: 'DefaultPolicy' });
    estate.subscriptions[0].resourceGroups.push({ name: 'rg-other', location: 'westeurope', tags: {}, locks: [], virtualMachines: [vmSpec('vm-x')], restorePointCollections: [], vaults: [] } as never);
    const e = await env(estate, { settings: { resourceGroups: [`${SUB}/${RG}`] } });
    e.emu.requests.reset();
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(report.items.map((i) => [lc(i.vmId), i.findings.map((f) => f.kind)])).toEqual([[lc(outside), ['out-of-scope']]]);
    expect(e.emu.requests.all().filter((r) => /\/resourceGroups\/rg-other\//i.test(r.path))).toEqual([]);
  });
});
