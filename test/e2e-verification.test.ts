// Verification across runs: a Backup Now still running at the verification deadline is recorded
// as pending; later runs verify it (no second trigger) and record how it ended.

import { failedJob, ids, oneVaultEstate, RG, SUB, useHarness, vmSpec } from './helpers/harness';

const env = useHarness();

/**
 * One VM whose failed job is fixed by a Backup Now that takes a simulated hour, against a
 * 10-minute verification deadline: the first apply triggers it (its only write) and leaves it pending.
 */
async function slowBackupTriggered(failedJobName: string) {
  const e = await env(
    oneVaultEstate({
      vms: [vmSpec('vm-slow')],
      jobs: [failedJob(failedJobName, 'vm-slow', 'BackUpOperationFailedV2')],
      simulation: { backupDurationSeconds: 3600 },
    }),
    { settings: { verifyTimeoutMs: 10 * 60_000 } },
  );
  const first = await e.run('apply');
  expect(e.writes().map((w) => w.method)).toEqual(['POST']);
  return { e, vmId: ids.vm(SUB, RG, 'vm-slow'), first };
}

test('a slow backup is pending, then verified as resolved by a later run without a second trigger', async () => {
  const { e, vmId, first } = await slowBackupTriggered('00000000-0000-4000-8000-00000000d001');
  const v1 = first.items[0].verification;
  expect(v1?.outcome).toBe('pending');
  expect(v1?.status).toBe('InProgress');
  expect(v1?.jobId).toMatch(/\/backupJobs\//i);
  const attempts = await e.ledger.attempts(vmId, new Date(0));
  expect(attempts.map((a) => a.outcome)).toEqual(['started', 'pending']);

  // Still running: the next run neither triggers again nor forgets it.
  e.emu.requests.reset();
  const second = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(second.items.map((i) => i.verification?.outcome)).toEqual(['pending']);

  // After the backup's simulated hour, a run finds it completed and records the resolution.
  e.emu.clock.advance(3_600_000);
  const third = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(third.items).toHaveLength(1);
  expect(third.items[0].verification).toMatchObject({ outcome: 'resolved', status: 'Completed', jobId: v1?.jobId });
  const after = await e.ledger.attempts(vmId, new Date(0));
  expect(after.map((a) => a.outcome)).toEqual(['started', 'pending', 'resolved']);

  // Once resolved, later runs have nothing to say about it.
  const fourth = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(fourth.items).toEqual([]);
});

test('a pending backup is verified by a later run even after its failed job left the look-back window; out-of-scope runs leave it alone', async () => {
  const { e, vmId, first } = await slowBackupTriggered('00000000-0000-4000-8000-00000000d002');
  const v1 = first.items[0].verification!;
  expect(v1.outcome).toBe('pending');
  const pending = await e.ledger.pendingVerifications();
  expect(pending).toEqual([
    { vmId, runId: first.runId, jobId: v1.jobId, failedJobId: first.items[0].jobId, at: expect.any(Date) },
  ]);

  // Two days later: the failed job is outside the 24 h look-back window (and the attempt window), the backup long finished.
  e.emu.clock.advance(48 * 3_600_000);
  e.emu.requests.reset();
  // A run scoped elsewhere does not touch it.
  const elsewhere = await e.run('apply', { scope: { subscriptions: ['99999999-9999-9999-9999-999999999999'] } });
  expect(elsewhere.items).toEqual([]);
  expect(await e.ledger.pendingVerifications()).toHaveLength(1);

  const later = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(later.items).toHaveLength(1);
  expect(later.items[0]).toMatchObject({ vmId, jobId: first.items[0].jobId, actions: [] });
  expect(later.items[0].verification).toMatchObject({ outcome: 'resolved', status: 'Completed', jobId: v1.jobId });
  expect(later.items[0].findings.map((f) => f.kind)).toEqual(['verification']);
  const attempts = await e.ledger.attempts(vmId, new Date(0));
  expect(attempts.map((a) => a.outcome)).toEqual(['started', 'pending', 'resolved']);
  expect(attempts[2]).toMatchObject({ runId: first.runId, jobId: v1.jobId, failedJobId: first.items[0].jobId });

  // Resolved: no longer pending, and later runs have nothing to say about it.
  expect(await e.ledger.pendingVerifications()).toEqual([]);
  const after = await e.run('apply');
  expect(after.items).toEqual([]);
  expect(e.writes()).toEqual([]);
});

test('a pending backup whose job vanished (404) is escalated once with JobNotFound, and later runs stop following it', async () => {
  const { e, vmId, first } = await slowBackupTriggered('00000000-0000-4000-8000-00000000d003');
  const v1 = first.items[0].verification!;
  expect(v1.outcome).toBe('pending');
  expect(await e.ledger.pendingVerifications()).toHaveLength(1);

  // The job disappears from the vault between runs: its GET now answers 404.
  const [vaultId, jobName] = v1.jobId!.split('/backupJobs/');
  const ref = /\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.RecoveryServices\/vaults\/([^/]+)$/i.exec(vaultId)!;
  const vault = e.emu.state.vault(ref[1], ref[2], ref[3])!;
  expect(e.emu.state.removeJob(vault, jobName)).toBeDefined();

  // Two days later the failed job has left the look-back window: the VM's only business is the pending backup.
  e.emu.clock.advance(48 * 3_600_000);
  e.emu.requests.reset();
  const second = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(e.emu.requests.all().filter((r) => r.path.toLowerCase().endsWith(`/backupjobs/${jobName.toLowerCase()}`)).map((r) => r.status)).toEqual([404]);
  expect(second.items).toHaveLength(1);
  expect(second.items[0]).toMatchObject({ vmId, jobId: first.items[0].jobId, actions: [] });
  expect(second.items[0].verification).toEqual({ outcome: 'escalated', jobId: v1.jobId, status: 'NotFound', failureCode: 'JobNotFound' });
  expect(second.items[0].failure.code).toBe('JobNotFound');
  const finding = second.items[0].findings.find((f) => f.kind === 'verification')!;
  expect(finding.message).toMatch(/no longer exists/);
  expect(finding.message).toMatch(/human must look/);
  expect(second.summary['verification.escalated']).toBe(1);
  const attempts = await e.ledger.attempts(vmId, new Date(0));
  expect(attempts.map((a) => a.outcome)).toEqual(['started', 'pending', 'escalated']);
  expect(attempts[2]).toMatchObject({ runId: first.runId, jobId: v1.jobId, failedJobId: first.items[0].jobId });

  // Ended: no longer pending, no more reads of the vanished job, no write either.
  expect(await e.ledger.pendingVerifications()).toEqual([]);
  e.emu.requests.reset();
  const third = await e.run('apply');
  expect(third.items.filter((i) => i.verification)).toEqual([]);
  expect(e.emu.requests.all().filter((r) => r.path.toLowerCase().includes(`/backupjobs/${jobName.toLowerCase()}`))).toEqual([]);
  expect(e.writes()).toEqual([]);
});
