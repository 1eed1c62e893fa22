// Safety: attempts and cooldown are judged while this run holds the VM's lease. Another run that
// finished its attempt on the VM between this run's first check and its lease must stop this run.

import { failedJob, snapshotExtension, useHarness, vmSpec, oneVaultEstate } from './helpers/harness';
import type { Ledger } from '../lib/ledger';

const env = useHarness();

test('an attempt recorded by another run just before this run takes the lease: cooldown, no write', async () => {
  const e = await env(oneVaultEstate({
    vms: [vmSpec('vm-ext', { extensions: [snapshotExtension('Failed')] })],
    jobs: [failedJob('00000000-0000-4000-8000-00000000c301', 'vm-ext', 'ExtensionOperationFailedForManagedDisks')],
  }));
  // The real ledger; the other run's whole attempt happens while this run waits for the lease.
  const racing: Ledger = Object.create(e.ledger);
  racing.acquireLease = async (vmId, owner, ttlMs) => {
    await e.ledger.recordAttempt(vmId, { runId: 'the-other-run', jobId: 'x', at: e.emu.clock.now(), outcome: 'started' });
    await e.ledger.recordAttempt(vmId, { runId: 'the-other-run', jobId: 'x', at: e.emu.clock.now(), outcome: 'applied' });
    return e.ledger.acquireLease(vmId, owner, ttlMs);
  };
  const report = await e.run('apply', { ledger: racing });
  expect(e.writes()).toEqual([]);
  expect(report.items[0].actions.map((a) => a.status)).toEqual(['skipped', 'skipped']);
  expect(report.items[0].findings.map((f) => f.kind)).toContain('cooldown');
  // The lease was released: a later run is not locked out.
  const lease = await e.ledger.acquireLease(report.items[0].vmId, 'later', 60_000);
  expect(lease).toBeDefined();
});
