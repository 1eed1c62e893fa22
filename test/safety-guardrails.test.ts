// The guardrail checks on their own: exact answers for the edge cases the end-to-end tests cannot
// reach cheaply (casing, allow-list prefixes, concurrent claims, attempt counting).

import { attemptsFinding, countAttempts, RunBudget, scopeFinding } from '../lib/guardrails';

const SUB = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const vm = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

describe('scopeFinding', () => {
  test('inside the subscriptions and resource groups (any casing): no finding', () => {
    expect(scopeFinding(vm(SUB, 'RG-App', 'web1'), { subscriptions: [SUB.toUpperCase()], resourceGroups: [`${SUB}/rg-app`] })).toBeUndefined();
  });

  test('another subscription is out of scope', () => {
    expect(scopeFinding(vm(OTHER, 'rg-app', 'web1'), { subscriptions: [SUB], resourceGroups: [] })?.kind).toBe('out-of-scope');
  });

  test('a resource group that merely starts like an allowed one is out of scope', () => {
    const f = scopeFinding(vm(SUB, 'rg-app2', 'web1'), { subscriptions: [SUB], resourceGroups: [`${SUB}/rg-app`] });
    expect(f?.kind).toBe('out-of-scope');
    expect(f?.evidence).toMatchObject({ guardrail: 'scope' });
  });

  test('a malformed id is refused, never guessed at', () => {
    expect(scopeFinding(`${vm(SUB, 'rg-app', 'web1')}/../web10`, { subscriptions: [], resourceGroups: [] })?.kind).toBe('guardrail');
  });
});

describe('RunBudget', () => {
  test('VM slots are per VM (case-insensitive) and stop at the cap', () => {
    const b = new RunBudget({ maxVmsPerRun: 2, maxWritesPerKind: 1 });
    expect(b.claimVm(vm(SUB, 'rg', 'a'))).toBeUndefined();
    expect(b.claimVm(vm(SUB, 'RG', 'A'))).toBeUndefined();
    expect(b.claimVm(vm(SUB, 'rg', 'b'))).toBeUndefined();
    expect(b.claimVm(vm(SUB, 'rg', 'c'))?.evidence).toMatchObject({ guardrail: 'max-vms-per-run', cap: 2 });
    expect(b.vmCount()).toBe(2);
  });

  test('write caps count per kind', () => {
    const b = new RunBudget({ maxVmsPerRun: 10, maxWritesPerKind: 1 });
    expect(b.claimWrite('trigger-backup')).toBeUndefined();
    expect(b.claimWrite('remove-snapshot-extension')).toBeUndefined();
    expect(b.claimWrite('trigger-backup')?.evidence).toMatchObject({ guardrail: 'max-writes-per-kind', action: 'trigger-backup' });
  });
});

describe('attempt counting', () => {
  const at = (iso: string) => new Date(iso);
  test('a start row and its outcome row are one attempt', () => {
    const { count, lastAt } = countAttempts([
      { runId: 'r1', jobId: 'j', at: at('2026-11-20T01:00:00Z'), outcome: 'started' },
      { runId: 'r1', jobId: 'j2', at: at('2026-11-20T01:10:00Z'), outcome: 'resolved' },
      { runId: 'r2', jobId: 'j', at: at('2026-11-20T03:00:00Z'), outcome: 'started' },
    ]);
    expect(count).toBe(2);
    expect(lastAt?.toISOString()).toBe('2026-11-20T03:00:00.000Z');
  });

  test('attempts outside the window do not count, but the cooldown still looks at the last one', async () => {
    const now = at('2026-11-21T06:00:00Z');
    const rows = [
      { runId: 'old', jobId: 'j', at: at('2026-11-19T06:00:00Z'), outcome: 'escalated' },
      { runId: 'recent', jobId: 'j', at: at('2026-11-21T05:00:00Z'), outcome: 'escalated' },
    ];
    const ledger = { attempts: async (_vm: string, since: Date) => rows.filter((r) => r.at >= since) };
    const res = await attemptsFinding(ledger, 'vm', now, { maxAttempts: 2, attemptWindowMs: 24 * 3_600_000, cooldownMs: 2 * 3_600_000 });
    expect(res?.escalate).toBe(false);
    expect(res?.finding.kind).toBe('cooldown');
    expect(res?.finding.evidence.readyAt).toBe('2026-11-21T07:00:00.000Z');
  });
});
