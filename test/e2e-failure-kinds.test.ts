// End to end, per failure kind, through the real SDK clients against the emulator and Azurite:
// plan writes nothing and proposes exactly the expected actions; apply changes the estate exactly
// so and verification says whether the cause is gone; a second apply writes nothing.

import { failedJob, ids, lc, oneVaultEstate as estate, RG, snapshotExtension, SUB, useHarness, VAULT, vmSpec as vm } from './helpers/harness';

const env = useHarness();

const plain = (a: { kind: string; target: string; method: string }) => ({ kind: a.kind, target: lc(a.target), method: a.method });

describe('snapshot extension failed (ExtensionOperationFailedForManagedDisks)', () => {
  const raw = () =>
    estate({
      vms: [
        vm('vm-ext', {
          extensions: [snapshotExtension('Failed')],
        }),
      ],
      jobs: [failedJob('00000000-0000-4000-8000-000000000001', 'vm-ext', 'ExtensionOperationFailedForManagedDisks')],
    });

  test('plan proposes remove-extension then Backup Now and writes nothing', async () => {
    const e = await env(raw());
    const report = await e.run('plan');
    expect(e.writes()).toEqual([]);
    expect(report.items).toHaveLength(1);
    const item = report.items[0];
    expect(lc(item.vmId)).toBe(lc(ids.vm(SUB, RG, 'vm-ext')));
    expect(item.failure.code).toBe('ExtensionOperationFailedForManagedDisks');
    expect(item.actions.map(plain)).toEqual([
      { kind: 'remove-snapshot-extension', target: lc(ids.extension(SUB, RG, 'vm-ext', 'VMSnapshot')), method: 'DELETE' },
      { kind: 'trigger-backup', target: lc(ids.protectedItem(SUB, RG, VAULT, RG, 'vm-ext')), method: 'POST' },
    ]);
    expect(item.actions.every((a) => (a.status ?? 'proposed') === 'proposed')).toBe(true);
    expect(report.summary.writes).toBe(0);
  });

  test('apply removes the extension, triggers one backup, verifies resolved; a re-run writes nothing', async () => {
    const e = await env(raw());
    const report = await e.run('apply');
    const writes = e.writes();
    expect(writes.map((w) => w.method)).toEqual(['DELETE', 'POST']);
    expect(lc(writes[0].path)).toBe(lc(ids.extension(SUB, RG, 'vm-ext', 'VMSnapshot')));
    expect(lc(writes[1].path)).toMatch(/protecteditems\/vm;iaasvmcontainerv2;rg-app;vm-ext\/backup$/);
    const item = report.items[0];
    expect(item.actions.map((a) => a.status)).toEqual(['applied', 'applied']);
    expect(item.verification?.outcome).toBe('resolved');
    expect(report.summary['writes.remove-snapshot-extension']).toBe(1);
    expect(report.summary['writes.trigger-backup']).toBe(1);
    expect(report.summary['verification.resolved']).toBe(1);
    // Structured logs: every line names the run; lines about the VM's writes name the VM and the job.
    expect(e.logs.records.length).toBeGreaterThan(0);
    expect(e.logs.records.every((r) => r.runId === report.runId)).toBe(true);
    const writeLines = e.logs.records.filter((r) => typeof r.action === 'string');
    expect(writeLines.map((r) => r.action)).toEqual(expect.arrayContaining(['remove-snapshot-extension', 'trigger-backup']));
    for (const line of writeLines) expect([line.vmId, line.jobId]).toEqual([item.vmId, item.jobId]);
    // Every write is logged before (its ARM operation) and after (its outcome and result).
    const outcomes = writeLines.filter((r) => r.status === 'applied');
    expect(outcomes.map((r) => [r.action, r.method, lc(String(r.target))])).toEqual([
      ['remove-snapshot-extension', 'DELETE', lc(ids.extension(SUB, RG, 'vm-ext', 'VMSnapshot'))],
      ['trigger-backup', 'POST', lc(ids.protectedItem(SUB, RG, VAULT, RG, 'vm-ext'))],
    ]);
    expect(outcomes[0].result).toEqual({ outcome: 'deleted' });
    expect(outcomes[1].result).toMatchObject({ status: 'Succeeded', jobId: item.verification?.jobId });
    expect(String((outcomes[1].result as { operationId?: unknown }).operationId)).not.toBe('');
    // The failed extension is gone; the successful backup reinstalled a healthy one, as the service does.
    const vmState = e.emu.state.estate.subscriptions[0].resourceGroups[0].virtualMachines[0];
    expect(vmState.extensions.filter((x) => x.provisioningState === 'Failed')).toEqual([]);
    const vaultState = e.emu.state.estate.subscriptions[0].resourceGroups[0].vaults[0];
    expect(vaultState.jobs.filter((j) => j.operation === 'Backup' && j.status === 'Completed')).toHaveLength(1);

    e.emu.requests.reset();
    const again = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(again.summary.writes).toBe(0);
  });
});

describe('snapshot extension failed under a subscription-wide lock', () => {
  const raw = () =>
    estate({
      vms: [vm('vm-ext', { extensions: [snapshotExtension('Failed')] })],
      jobs: [failedJob('00000000-0000-4000-8000-000000000011', 'vm-ext', 'ExtensionOperationFailedForManagedDisks')],
      subLocks: [{ name: 'legal-hold', level: 'CanNotDelete', notes: 'litigation hold' }],
    });

  test('plan names the lock and proposes nothing; apply sends no write (ARM would refuse the DELETE)', async () => {
    const e = await env(raw());
    const planned = await e.run('plan');
    expect(planned.items[0].actions).toEqual([]);
    const finding = planned.items[0].findings.find((f) => f.kind === 'lock-blocks-cleanup')!;
    expect(finding.evidence).toEqual({
      lock: { id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/locks/legal-hold`, name: 'legal-hold', level: 'CanNotDelete', scope: 'subscription' },
      extension: ids.extension(SUB, RG, 'vm-ext', 'VMSnapshot'),
    });
    const applied = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(applied.items[0].actions).toEqual([]);
    expect(applied.summary.writes).toBe(0);
  });

  test('a lock ARM enforces after the re-read: the refused DELETE is reported failed (lock-blocks-cleanup) and its outcome logged', async () => {
    const e = await env(
      estate({
        vms: [vm('vm-ext', { extensions: [snapshotExtension('Failed')] })],
        jobs: [failedJob('00000000-0000-4000-8000-000000000012', 'vm-ext', 'ExtensionOperationFailedForManagedDisks')],
      }),
    );
    e.emu.faults.add({ method: 'DELETE', path: '*/extensions/VMSnapshot', status: 409, errorCode: 'ScopeLocked', times: 1 });
    const report = await e.run('apply');
    expect(e.writes().map((w) => w.method)).toEqual(['DELETE']);
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([
      ['remove-snapshot-extension', 'failed'],
      ['trigger-backup', 'skipped'],
    ]);
    expect(item.findings.find((f) => f.kind === 'lock-blocks-cleanup')?.evidence).toMatchObject({ code: 'ScopeLocked', statusCode: 409 });
    const outcome = e.logs.records.find((r) => r.action === 'remove-snapshot-extension' && r.status === 'failed')!;
    expect(outcome).toMatchObject({ runId: report.runId, vmId: item.vmId, jobId: item.jobId, method: 'DELETE', error: { code: 'ScopeLocked', statusCode: 409 } });
  });
});

describe('restore point limit (UserErrorRpCollectionLimitReached)', () => {
  const raw = (rgLocks: unknown[] = []) =>
    estate({
      vms: [vm('vm-rp'), vm('vm-rp2')],
      jobs: [failedJob('00000000-0000-4000-8000-000000000002', 'vm-rp', 'UserErrorRpCollectionLimitReached')],
      rgLocks,
      collections: [
        { name: 'AzureBackup_vm-rp_1001', sourceVmId: ids.vm(SUB, RG, 'vm-rp'), restorePoints: 18, locks: [] },
        // Same VM name prefix, other VM: must never be touched.
        { name: 'AzureBackup_vm-rp2_1002', sourceVmId: ids.vm(SUB, RG, 'vm-rp2'), restorePoints: 5, locks: [] },
      ],
    });

  test('plan proposes deleting only the VM’s collection, then Backup Now; no writes', async () => {
    const e = await env(raw());
    const report = await e.run('plan');
    expect(e.writes()).toEqual([]);
    expect(report.items[0].actions.map(plain)).toEqual([
      { kind: 'delete-restore-point-collection', target: lc(ids.collection(SUB, RG, 'AzureBackup_vm-rp_1001')), method: 'DELETE' },
      { kind: 'trigger-backup', target: lc(ids.protectedItem(SUB, RG, VAULT, RG, 'vm-rp')), method: 'POST' },
    ]);
  });

  test('apply deletes only that collection and the backup succeeds; a re-run writes nothing', async () => {
    const e = await env(raw());
    const report = await e.run('apply');
    const writes = e.writes();
    expect(writes.map((w) => [w.method, lc(w.path).split('/').pop()])).toEqual([
      ['DELETE', lc('AzureBackup_vm-rp_1001')],
      ['POST', 'backup'],
    ]);
    expect(report.items[0].verification?.outcome).toBe('resolved');
    const names = e.emu.state.estate.subscriptions[0].resourceGroups[0].restorePointCollections.map((c) => c.name);
    expect(names).toContain('AzureBackup_vm-rp2_1002');
    expect(names).not.toContain('AzureBackup_vm-rp_1001');

    e.emu.requests.reset();
    await e.run('apply');
    expect(e.writes()).toEqual([]);
  });

  test('a resource-group lock turns the cleanup into a finding naming the lock; nothing is written', async () => {
    const e = await env(raw([{ name: 'keep-rg', level: 'CanNotDelete', notes: 'change #42' }]));
    const planned = await e.run('plan');
    expect(planned.items[0].actions).toEqual([]);
    const finding = planned.items[0].findings.find((f) => f.kind === 'lock-blocks-cleanup');
    expect(finding).toBeDefined();
    expect(JSON.stringify(finding!.evidence).toLowerCase()).toContain('keep-rg');
    const applied = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(applied.items[0].actions).toEqual([]);
    expect(e.emu.state.estate.subscriptions[0].resourceGroups[0].locks.map((l) => l.name)).toEqual(['keep-rg']);
    expect(e.emu.state.estate.subscriptions[0].resourceGroups[0].restorePointCollections).toHaveLength(2);
  });
});

describe('guest agent not ready (UserErrorGuestAgentStatusUnavailable): report only', () => {
  test('plan and apply write nothing and say what a human must do', async () => {
    const e = await env(
      estate({
        vms: [vm('vm-agent', { agent: { status: 'NotReady', version: 'Unknown' } })],
        jobs: [failedJob('00000000-0000-4000-8000-000000000003', 'vm-agent', 'UserErrorGuestAgentStatusUnavailable')],
      }),
    );
    const planned = await e.run('plan');
    expect(planned.items[0].actions).toEqual([]);
    expect(planned.items[0].findings.map((f) => f.kind)).toContain('agent-not-ready');
    expect(planned.items[0].findings.find((f) => f.kind === 'agent-not-ready')!.nextStep).toBeTruthy();
    const applied = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(applied.summary.writes).toBe(0);
    expect(applied.items[0].verification).toBeUndefined();
  });
});

describe('extension fix on a VM without outbound connectivity', () => {
  test('apply removes the extension and triggers a backup that fails for lack of network: escalated', async () => {
    const e = await env(
      estate({
        vms: [
          vm('vm-nonet', {
            outboundConnectivity: false,
            extensions: [snapshotExtension('Failed')],
          }),
        ],
        jobs: [failedJob('00000000-0000-4000-8000-000000000004', 'vm-nonet', 'ExtensionOperationFailedForManagedDisks')],
      }),
    );
    const report = await e.run('apply');
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([
      ['remove-snapshot-extension', 'applied'],
      ['trigger-backup', 'applied'],
    ]);
    expect(item.verification?.outcome).toBe('escalated');
    expect(item.verification?.failureCode).toBe('ExtensionSnapshotFailedNoNetwork');
    expect(item.findings.map((f) => f.kind)).toContain('verification');
    expect(e.writes().filter((w) => w.method === 'POST')).toHaveLength(1);

    // The new failure is this VM's latest job now; cooldown keeps the next run from writing.
    e.emu.requests.reset();
    const again = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(again.items.flatMap((i) => i.findings.map((f) => f.kind))).toEqual(expect.arrayContaining(['no-outbound-connectivity']));
  });
});

describe('transient failure (BackUpOperationFailedV2): Backup Now only', () => {
  test('plan proposes one Backup Now; apply triggers it and verification resolves', async () => {
    const e = await env(
      estate({
        vms: [vm('vm-retry')],
        jobs: [failedJob('00000000-0000-4000-8000-000000000005', 'vm-retry', 'BackUpOperationFailedV2')],
      }),
    );
    const planned = await e.run('plan');
    expect(e.writes()).toEqual([]);
    expect(planned.items[0].actions.map(plain)).toEqual([
      { kind: 'trigger-backup', target: lc(ids.protectedItem(SUB, RG, VAULT, RG, 'vm-retry')), method: 'POST' },
    ]);
    const applied = await e.run('apply');
    expect(e.writes().map((w) => w.method)).toEqual(['POST']);
    expect(applied.items[0].verification?.outcome).toBe('resolved');
    e.emu.requests.reset();
    await e.run('apply');
    expect(e.writes()).toEqual([]);
  });
});
