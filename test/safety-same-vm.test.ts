// Safety: one VM with failed jobs in two vaults (protection moved from one vault to another inside
// the look-back window) is two items of one run. They must not act on the VM at the same time:
// the lease is per run, so the run itself keeps them apart, and the second then meets the cooldown.

import { failedJob, ids, lc, oneVaultEstate, RG, SUB, useHarness, vmSpec, snapshotExtension } from './helpers/harness';

const env = useHarness();

test('two vaults, one VM: one attempt, one extension delete, one Backup Now', async () => {
  const estate = oneVaultEstate({
    vms: [vmSpec('mover', { extensions: [snapshotExtension('Failed')] })],
    jobs: [failedJob('00000000-0000-4000-8000-00000000d001', 'mover', 'ExtensionOperationFailed')],
  });
  const rg = estate.subscriptions[0].resourceGroups[0] as { vaults: unknown[] };
  rg.vaults.push({
    name: 'rsv-old',
    protectedItems: [{ vmId: ids.vm(SUB, RG, 'mover'), policy: 'DefaultPolicy' }],
    jobs: [failedJob('00000000-0000-4000-8000-00000000d002', 'mover', 'ExtensionOperationFailed', { startTime: '2026-11-20T00:30:00Z', endTime: '2026-11-20T00:50:00Z' })],
  });
  const e = await env(estate);
  const planned = await e.run('plan');
  expect(planned.items).toHaveLength(2);

  expect(e.settings.concurrency).toBeGreaterThan(1); // the default: both items could run at once
  const report = await e.run('apply');
  const writes = e.writes().map((w) => `${w.method} ${lc(w.path)}`);
  expect(writes.filter((w) => w.startsWith('DELETE'))).toEqual([`DELETE ${lc(ids.extension(SUB, RG, 'mover', 'VMSnapshot'))}`]);
  expect(writes.filter((w) => w.startsWith('POST'))).toHaveLength(1);
  const applied = report.items.filter((i) => i.actions.some((a) => a.status === 'applied'));
  expect(applied).toHaveLength(1);
  const other = report.items.find((i) => i !== applied[0])!;
  expect(other.actions.every((a) => a.status === 'skipped')).toBe(true);
  expect(other.findings.map((f) => f.kind)).toContain('cooldown');
});
