// Safety: the per-run caps, the attempt limit with its cooldown and the kill switch stop writes
// when they should, and every time one fires the run says so.

import { failedJob, ids, oneVaultEstate, RG, snapshotExtension, SUB, useHarness, vmSpec } from './helpers/harness';
import type { Ledger } from '../lib/ledger';

const env = useHarness();

/** Three VMs, each with a transient failure whose fix is one Backup Now. */
const threeTransient = () =>
  oneVaultEstate({
    vms: [vmSpec('vm-a'), vmSpec('vm-b'), vmSpec('vm-c')],
    jobs: ['vm-a', 'vm-b', 'vm-c'].map((n, i) => failedJob(`00000000-0000-4000-8000-00000000b00${i}`, n, 'BackUpOperationFailedV2')),
  });

const appliedWrites = (e: { writes(): { method: string; status: number }[] }) => e.writes().filter((w) => w.status < 400);

describe('per-run caps', () => {
  test('maxVmsPerRun: two VMs are acted on, the third gets a guardrail finding and no write', async () => {
    const e = await env(threeTransient(), { settings: { maxVmsPerRun: 2 } });
    const report = await e.run('apply');
    expect(appliedWrites(e).filter((w) => w.method === 'POST')).toHaveLength(2);
    const capped = report.items.filter((i) => i.findings.some((f) => f.kind === 'guardrail' && f.evidence.guardrail === 'max-vms-per-run'));
    expect(capped).toHaveLength(1);
    expect(capped[0].actions.map((a) => a.status)).toEqual(['skipped']);
    expect(report.summary['findings.guardrail']).toBe(1);
    expect(report.summary['writes.trigger-backup']).toBe(2);
  });

  test('maxWritesPerKind: one Backup Now, the other two blocked by the cap and recorded in the ledger', async () => {
    const e = await env(threeTransient(), { settings: { maxWritesPerKind: 1 } });
    const report = await e.run('apply');
    expect(appliedWrites(e).filter((w) => w.method === 'POST')).toHaveLength(1);
    const blocked = report.items.filter((i) => i.actions[0]?.status === 'blocked');
    expect(blocked).toHaveLength(2);
    for (const item of blocked) {
      expect(item.findings.find((f) => f.kind === 'guardrail')?.evidence).toMatchObject({ guardrail: 'max-writes-per-kind', cap: 1 });
    }
    const recorded = await e.ledger.writes(report.runId);
    expect(recorded.map((r) => r.action.status).sort()).toEqual(['applied', 'blocked', 'blocked']);
  });
});

describe('per-run caps count only what proceeds', () => {
  test('maxVmsPerRun: a VM whose lease another run holds does not take a VM slot', async () => {
    const e = await env(threeTransient(), { settings: { maxVmsPerRun: 1, concurrency: 1 } });
    const [vmA] = ['vm-a'].map((n) => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${n}`);
    expect(await e.ledger.acquireLease(vmA, 'another-run', 3_600_000)).toBeDefined();
    const report = await e.run('apply');
    const a = report.items.find((i) => i.vmId.toLowerCase().endsWith('/vm-a'))!;
    expect(a.findings.map((f) => f.kind)).toContain('lease-held');
    // vm-b proceeds in the one slot; vm-c is capped.
    const posts = e.writes().filter((w) => w.method === 'POST' && w.status < 400);
    expect(posts).toHaveLength(1);
    expect(posts[0].path.toLowerCase()).toContain('vm-b');
    const capped = report.items.filter((i) => i.findings.some((f) => f.kind === 'guardrail' && f.evidence.guardrail === 'max-vms-per-run'));
    expect(capped.map((i) => i.vmId.split('/').pop())).toEqual(['vm-c']);
  });

  test('maxWritesPerKind: a write the kill switch blocked does not take a write slot', async () => {
    const e = await env(threeTransient(), { settings: { maxWritesPerKind: 1, concurrency: 1 } });
    // The kill switch reads on for the first write only (an operator flips it off right after).
    const flicker: Ledger = Object.create(e.ledger);
    let reads = 0;
    flicker.killSwitch = async () => (reads++ === 0 ? true : e.ledger.killSwitch());
    const report = await e.run('apply', { ledger: flicker });
    const byVm = (n: string) => report.items.find((i) => i.vmId.toLowerCase().endsWith(`/${n}`))!;
    expect(byVm('vm-a').findings.map((f) => f.kind)).toContain('kill-switch');
    expect(byVm('vm-b').actions.map((a) => a.status)).toEqual(['applied']);
    expect(byVm('vm-c').findings.find((f) => f.kind === 'guardrail')?.evidence).toMatchObject({ guardrail: 'max-writes-per-kind', cap: 1 });
    expect(appliedWrites(e).filter((w) => w.method === 'POST')).toHaveLength(1);
  });
});

describe('attempts and cooldown', () => {
  const oneVm = () =>
    oneVaultEstate({
      vms: [vmSpec('vm-retry')],
      jobs: [failedJob('00000000-0000-4000-8000-00000000b101', 'vm-retry', 'BackUpOperationFailedV2')],
    });
  const vmId = ids.vm(SUB, RG, 'vm-retry');

  test('an attempt 30 minutes ago: cooldown fires, no write; after the cooldown the run acts', async () => {
    const e = await env(oneVm(), { settings: { cooldownMs: 2 * 3_600_000 } });
    const now = e.emu.clock.now();
    await e.ledger.recordAttempt(vmId, { runId: 'earlier-run', jobId: 'x', at: new Date(now.getTime() - 30 * 60_000), outcome: 'escalated' });

    const cooling = await e.run('apply');
    expect(e.writes()).toEqual([]);
    const finding = cooling.items[0].findings.find((f) => f.kind === 'cooldown');
    expect(finding?.evidence.readyAt).toBe(new Date(now.getTime() + 90 * 60_000).toISOString());
    expect(cooling.items[0].actions.map((a) => a.status)).toEqual(['skipped']);

    e.emu.clock.advance(2 * 3_600_000);
    const acting = await e.run('apply');
    expect(appliedWrites(e).map((w) => w.method)).toEqual(['POST']);
    expect(acting.items[0].verification?.outcome).toBe('resolved');
  });

  test('maxAttempts in the window: escalated to a human, no write', async () => {
    const e = await env(oneVm(), { settings: { maxAttempts: 2, cooldownMs: 60_000 } });
    const now = e.emu.clock.now().getTime();
    for (const hoursAgo of [5, 3]) {
      await e.ledger.recordAttempt(vmId, { runId: `run-${hoursAgo}h`, jobId: 'x', at: new Date(now - hoursAgo * 3_600_000), outcome: 'escalated' });
    }
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    const item = report.items[0];
    expect(item.findings.find((f) => f.kind === 'guardrail')?.evidence).toMatchObject({ guardrail: 'max-attempts', attempts: 2, limit: 2 });
    expect(item.verification?.outcome).toBe('escalated');
    expect(report.summary['verification.escalated']).toBe(1);
  });
});

describe('kill switch', () => {
  const extensionFailure = () =>
    oneVaultEstate({
      vms: [vmSpec('vm-ext', { extensions: [snapshotExtension('Failed')] })],
      jobs: [failedJob('00000000-0000-4000-8000-00000000b201', 'vm-ext', 'ExtensionOperationFailedForManagedDisks')],
    });

  test('flipped in the ledger between two writes: the second write never happens', async () => {
    const e = await env(extensionFailure());
    const report = await e.run('apply', {
      onWrite: async (action) => {
        if (action.kind === 'remove-snapshot-extension') await e.ledger.setKillSwitch(true, 'test operator');
      },
    });
    expect(appliedWrites(e).map((w) => w.method)).toEqual(['DELETE']);
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([
      ['remove-snapshot-extension', 'applied'],
      ['trigger-backup', 'blocked'],
    ]);
    expect(item.findings.find((f) => f.kind === 'kill-switch')?.evidence).toEqual({ source: 'ledger' });
    const recorded = await e.ledger.writes(report.runId);
    // In the order they were written, even within one (simulated) millisecond.
    expect(recorded.map((r) => [r.action.kind, r.action.status])).toEqual([
      ['remove-snapshot-extension', 'applied'],
      ['trigger-backup', 'blocked'],
    ]);
  });

  test('on in the settings: apply plans but writes nothing', async () => {
    const e = await env(extensionFailure(), { settings: { killSwitch: true } });
    const report = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(report.items[0].actions[0].status).toBe('blocked');
    expect(report.items[0].findings.map((f) => f.kind)).toContain('kill-switch');
  });
});
