// Each guard of the execution chain on its own: a finding when it must stop, nothing when the write
// may proceed. The ledger is a small in-memory stand-in; the chain end to end is in test/safety-*.

import { DEFAULT_SETTINGS, type Settings } from '../lib/config';
import { RunBudget } from '../lib/guardrails';
import type { AttemptRecord, Lease, Ledger } from '../lib/ledger';
import { silentLogger } from '../lib/log';
import { newVmState, type ActionRunner, type ExecuteContext } from '../lib/execute/context';
import { allowedKindGuard } from '../lib/execute/guards/allowed-kind';
import { attemptsGuard } from '../lib/execute/guards/attempts';
import { endedFixOfSameCause, fixHeldGuard } from '../lib/execute/guards/fix-held';
import { BEFORE_LEASE, BEFORE_WRITE, UNDER_LEASE } from '../lib/execute/guards';
import { killSwitchGuard } from '../lib/execute/guards/kill-switch';
import { leaseGuard } from '../lib/execute/guards/lease';
import { preconditionsGuard } from '../lib/execute/guards/preconditions';
import { scopeGuard } from '../lib/execute/guards/scope';
import { vmCapCheckGuard, vmCapClaimGuard } from '../lib/execute/guards/vm-cap';
import { writeCapGuard } from '../lib/execute/guards/write-cap';
import type { PlanItem, PlannedAction } from '../lib/types';

const SUB = '11111111-1111-4111-8111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const JOB = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/v/backupJobs/`;
const NOW = new Date('2026-11-20T06:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);

function item(code = 'UserErrorVmNotInDesirableState'): PlanItem {
  return { vmId: VM, jobId: `${JOB}new`, failure: { code, signals: [] }, actions: [action()], findings: [] };
}
function action(kind: PlannedAction['kind'] = 'trigger-backup'): PlannedAction {
  return { kind, target: `${VM}/x`, method: kind === 'trigger-backup' ? 'POST' : 'DELETE', reason: 'r', evidence: {} };
}

function ctx(over: { settings?: Partial<Settings>; attempts?: AttemptRecord[]; lease?: Lease; kill?: boolean; refused?: string; failedAt?: Date } = {}): ExecuteContext {
  const settings: Settings = { ...DEFAULT_SETTINGS, subscriptions: [SUB], ...over.settings };
  const ledger = {
    attempts: async () => over.attempts ?? [],
    acquireLease: async () => over.lease,
    killSwitch: async () => over.kill ?? false,
  } as unknown as Ledger;
  const runner: ActionRunner = { preconditions: async () => (over.refused ? { reason: over.refused, findingKind: 'precondition-changed' } : undefined), apply: async () => ({}) };
  return { runId: 'r-now', settings, ledger, budget: new RunBudget(settings), runner, log: silentLogger(), now: () => NOW, failedAt: over.failedAt };
}

test('the chain runs in the documented order', () => {
  expect(BEFORE_LEASE.map((g) => g.name)).toEqual(['scope', 'fix-held', 'attempts', 'approval', 'max-vms-per-run', 'lease']);
  expect(UNDER_LEASE.map((g) => g.name)).toEqual(['attempts', 'max-vms-per-run (claim)']);
  expect(BEFORE_WRITE.map((g) => g.name)).toEqual(['allowed-actions', 'approval', 'kill-switch', 'max-writes-per-kind-check', 'preconditions (fresh re-read, opt-out)', 'kill-switch', 'max-writes-per-kind', 'approval (claim)']);
});

describe('VM guards', () => {
  test('scope: in scope passes; another subscription stops with out-of-scope', async () => {
    expect(await scopeGuard.check(item(), ctx(), newVmState())).toBeUndefined();
    const stop = await scopeGuard.check(item(), ctx({ settings: { subscriptions: ['22222222-2222-4222-8222-222222222222'] } }), newVmState());
    expect(stop?.finding.kind).toBe('out-of-scope');
  });

  test('attempts: the limit escalates, a recent attempt cools down, none passes', async () => {
    expect(await attemptsGuard.check(item(), ctx(), newVmState())).toBeUndefined();
    const three = ['a', 'b', 'c'].map((runId, i) => ({ runId, jobId: 'j', at: hoursAgo(5 + i), outcome: 'started' }));
    expect(await attemptsGuard.check(item(), ctx({ attempts: three }), newVmState())).toMatchObject({ escalate: true, finding: { evidence: { guardrail: 'max-attempts' } } });
    const recent = [{ runId: 'a', jobId: 'j', at: hoursAgo(1), outcome: 'started' }];
    expect(await attemptsGuard.check(item(), ctx({ attempts: recent }), newVmState())).toMatchObject({ escalate: false, finding: { kind: 'cooldown' } });
  });

  test('fix-held: the same failure after an ended fix escalates; an older failure or another cause does not', async () => {
    const fix: AttemptRecord[] = [
      { runId: 'a', jobId: `${JOB}old`, at: hoursAgo(6), outcome: 'started', code: 'UserErrorVmNotInDesirableState' },
      { runId: 'a', jobId: `${JOB}bk`, failedJobId: `${JOB}old`, at: hoursAgo(5), outcome: 'resolved' },
    ];
    const stop = await fixHeldGuard.check(item(), ctx({ attempts: fix, failedAt: hoursAgo(1) }), newVmState());
    expect(stop).toMatchObject({ escalate: true, finding: { evidence: { guardrail: 'fix-held', earlierRunId: 'a', earlierOutcome: 'resolved' } } });
    expect(await fixHeldGuard.check(item(), ctx({ attempts: fix, failedAt: hoursAgo(7) }), newVmState())).toBeUndefined();
    expect(await fixHeldGuard.check(item('ExtensionSnapshotFailedNoNetwork'), ctx({ attempts: fix, failedAt: hoursAgo(1) }), newVmState())).toBeUndefined();
    expect(await fixHeldGuard.check(item(), ctx({ attempts: fix }), newVmState())).toBeUndefined();
    expect(endedFixOfSameCause(fix.slice(0, 1), 'UserErrorVmNotInDesirableState', `${JOB}new`, NOW)).toBeUndefined();
  });

  test('VM cap: looking takes no slot, claiming does', async () => {
    const c = ctx({ settings: { maxVmsPerRun: 1 } });
    expect(await vmCapCheckGuard.check(item(), c, newVmState())).toBeUndefined();
    expect(c.budget.vmCount()).toBe(0);
    expect(await vmCapClaimGuard.check(item(), c, newVmState())).toBeUndefined();
    const other = { ...item(), vmId: VM.replace('web1', 'web2') };
    expect((await vmCapCheckGuard.check(other, c, newVmState()))?.finding.evidence).toMatchObject({ guardrail: 'max-vms-per-run' });
  });

  test('lease: held elsewhere stops with lease-held; acquired is kept in the VM state', async () => {
    expect((await leaseGuard.check(item(), ctx(), newVmState()))?.finding.kind).toBe('lease-held');
    const state = newVmState();
    const lease = { vmId: VM, owner: 'r-now', etag: 'e', expiresAt: NOW };
    expect(await leaseGuard.check(item(), ctx({ lease }), state)).toBeUndefined();
    expect(state.lease).toBe(lease);
  });
});

describe('write guards', () => {
  test('allowed kinds: a kind outside the list is blocked', async () => {
    expect(await allowedKindGuard.check(action(), item(), ctx())).toBeUndefined();
    expect(await allowedKindGuard.check(action(), item(), ctx({ settings: { allowedActions: ['remove-snapshot-extension'] } }))).toMatchObject({ attempt: 'blocked', finding: { evidence: { guardrail: 'allowed-actions' } } });
  });

  test('preconditions: a refusal from the fresh re-read blocks; a failed read blocks as read-failed; a throttled read propagates', async () => {
    expect(await preconditionsGuard.check(action(), item(), ctx())).toBeUndefined();
    expect(await preconditionsGuard.check(action(), item(), ctx({ refused: 'the VM now carries the opt-out tag' }))).toMatchObject({ finding: { kind: 'precondition-changed', message: expect.stringMatching(/opt-out/) } });
    const failing = ctx();
    failing.runner.preconditions = async () => { throw new Error('boom'); };
    expect((await preconditionsGuard.check(action(), item(), failing))?.finding.kind).toBe('read-failed');
    failing.runner.preconditions = async () => { throw Object.assign(new Error('slow down'), { statusCode: 429 }); };
    await expect(preconditionsGuard.check(action(), item(), failing)).rejects.toThrow('slow down');
  });

  test('kill switch: on in the ledger blocks with kill-switch', async () => {
    expect(await killSwitchGuard.check(action(), item(), ctx())).toBeUndefined();
    expect(await killSwitchGuard.check(action(), item(), ctx({ kill: true }))).toMatchObject({ attempt: 'kill-switch', finding: { kind: 'kill-switch' } });
  });

  test('write cap: the write past the cap is blocked', async () => {
    const c = ctx({ settings: { maxWritesPerKind: 1 } });
    expect(await writeCapGuard.check(action(), item(), c)).toBeUndefined();
    expect(await writeCapGuard.check(action(), item(), c)).toMatchObject({ finding: { evidence: { guardrail: 'max-writes-per-kind', cap: 1 } } });
  });
});
