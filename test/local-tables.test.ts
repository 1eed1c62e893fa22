// The CLI's local ledger (no storage configured) is the real TableLedger over cli/local-tables.ts:
// the ledger's own rules (conditional leases, attempts window, kill switch, event claims, stored
// reports) must hold there exactly as on Table Storage, without Azurite.

import { createLocalTables } from '../cli/local-tables';
import { createLedger, type Ledger } from '../lib/ledger';
import type { RunReport } from '../lib/types';

const VM = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-o\'neil';

let now = new Date('2026-01-01T00:00:00Z');
let ledger: Ledger;
beforeEach(async () => {
  now = new Date('2026-01-01T00:00:00Z');
  ledger = await createLedger({ tableClient: createLocalTables(), prefix: 'local', now: () => now });
});

describe('ledger over the local table store', () => {
  it('one lease per VM: a second owner is refused until expiry, then takes over; release is conditional', async () => {
    const a = await ledger.acquireLease(VM, 'run-a', 60_000);
    expect(a?.owner).toBe('run-a');
    expect(await ledger.acquireLease(VM, 'run-b', 60_000)).toBeUndefined();
    now = new Date(now.getTime() + 61_000);
    const b = await ledger.acquireLease(VM, 'run-b', 60_000);
    expect(b?.owner).toBe('run-b');
    await ledger.releaseLease(a!); // stale: must not remove b's lease
    expect(await ledger.acquireLease(VM, 'run-c', 60_000)).toBeUndefined();
    await ledger.releaseLease(b!);
    expect((await ledger.acquireLease(VM, 'run-c', 60_000))?.owner).toBe('run-c');
  });

  it('attempts are listed from a point in time, oldest first (PartitionKey eq and RowKey ge)', async () => {
    for (const [i, at] of ['2026-01-01T01:00:00Z', '2026-01-01T03:00:00Z', '2026-01-01T02:00:00Z'].entries()) {
      await ledger.recordAttempt(VM, { runId: `r${i}`, jobId: `j${i}`, at: new Date(at), outcome: 'resolved' });
    }
    await ledger.recordAttempt(`${VM}0`, { runId: 'other', jobId: 'x', at: new Date('2026-01-01T04:00:00Z'), outcome: 'resolved' });
    const since = await ledger.attempts(VM, new Date('2026-01-01T02:00:00Z'));
    expect(since.map((a) => a.runId)).toEqual(['r2', 'r1']);
  });

  it('kill switch, event claims and failures', async () => {
    expect(await ledger.killSwitch()).toBe(false);
    await ledger.setKillSwitch(true, 'test');
    expect(await ledger.killSwitch()).toBe(true);
    expect(await ledger.claimEvent('evt-1')).toBe(true);
    expect(await ledger.claimEvent('evt-1')).toBe(false);
    await ledger.releaseEvent('evt-1');
    expect(await ledger.claimEvent('evt-1')).toBe(true);
    await ledger.recordFailure('poison', 'm1', 'bad json', { raw: '{' });
    expect((await ledger.failures('poison')).map((f) => [f.key, f.reason])).toEqual([['m1', 'bad json']]);
  });

  it('stores and returns a run report', async () => {
    await ledger.startRun({ runId: 'run-1', mode: 'plan', trigger: 'cli', scope: { subscriptions: [] }, startedAt: now });
    expect((await ledger.getRun('run-1'))?.status).toBe('running');
    const report = { runId: 'run-1', items: [], summary: { note: 'x'.repeat(100_000) } } as unknown as RunReport;
    await ledger.finishRun('run-1', report);
    const stored = await ledger.getRun('run-1');
    expect(stored?.status).toBe('finished');
    expect(stored?.report).toEqual(report);
    expect(await ledger.getRun('run-2')).toBeUndefined();
  });
});
