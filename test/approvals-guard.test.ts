// The approval guards (lib/execute/guards/approval.ts) over the real proposal store on the CLI's
// in-process tables: pending stops the VM's whole plan and records no attempt; approved goes through
// and is claimed once; rejected, expired and stale (the VM was recreated) are refused, and the
// expired and stale ones are closed in the store with why. Never executed.

import { createLocalTables } from '../cli/local-tables';
import { proposalInput } from '../lib/approvals/policy';
import { createProposalStore } from '../lib/approvals/store';
import type { ProposalStore } from '../lib/approvals/types';
import { DEFAULT_SETTINGS, type Settings } from '../lib/config';
import { executeItem } from '../lib/execute';
import { newVmState, type ActionRunner, type ExecuteContext } from '../lib/execute/context';
import { approvalClaimGuard, approvalVmGuard, approvalWriteGuard } from '../lib/execute/guards/approval';
import { RunBudget } from '../lib/guardrails';
import type { AttemptRecord, Ledger } from '../lib/ledger';
import { silentLogger } from '../lib/log';
import type { PlanItem, PlannedAction } from '../lib/types';

const SUB = '11111111-1111-4111-8111-111111111111';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const RPC = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web1_1`;
const HOUR = 3_600_000;

function item(uid = 'uid-1'): PlanItem {
  const del: PlannedAction = { kind: 'delete-restore-point-collection', target: RPC, method: 'DELETE', reason: 'limit', evidence: { vmUniqueId: uid }, status: 'proposed' };
  const backup: PlannedAction = { kind: 'trigger-backup', target: `${VM}/item`, method: 'POST', reason: 'verify', evidence: {}, status: 'proposed' };
  return { vmId: VM, jobId: `${VM}/job`, failure: { code: 'UserErrorRpCollectionLimitReached', signals: [] }, actions: [del, backup], findings: [] };
}

interface World {
  store: ProposalStore;
  ctx: ExecuteContext;
  clock: { now: Date };
  attempts: AttemptRecord[];
  applied: string[];
}

function world(settings: Partial<Settings> = { requireApproval: ['delete-restore-point-collection'] }): World {
  const clock = { now: new Date('2026-11-20T06:00:00Z') };
  const store = createProposalStore({ tableClient: createLocalTables(), prefix: 'guard', now: () => clock.now });
  const attempts: AttemptRecord[] = [];
  const applied: string[] = [];
  const ledger = {
    approvals: store,
    attempts: async () => attempts,
    recordAttempt: async (_vm: string, a: AttemptRecord) => void attempts.push(a),
    acquireLease: async (vmId: string, owner: string) => ({ vmId, owner, etag: '1', expiresAt: new Date(clock.now.getTime() + HOUR) }),
    releaseLease: async () => undefined,
    killSwitch: async () => false,
    recordIntent: async () => 'k',
    recordOutcome: async () => undefined,
    recordWrite: async () => undefined,
  } as unknown as Ledger;
  const full: Settings = { ...DEFAULT_SETTINGS, subscriptions: [SUB], ...settings };
  const runner: ActionRunner = { preconditions: async () => undefined, apply: async (a) => (applied.push(a.kind), { outcome: 'deleted' }) };
  const ctx: ExecuteContext = { runId: 'run-now', settings: full, ledger, budget: new RunBudget(full), runner, log: silentLogger(), now: () => clock.now };
  return { store, ctx, clock, attempts, applied };
}

async function proposed(w: World, it = item()) {
  return (await w.store.propose(proposalInput(it, it.actions[0], 'run-plan', w.ctx.settings.approvalTtlMs))).proposal;
}

test('an action no setting or module marks passes untouched', async () => {
  const w = world({ requireApproval: [] });
  const it = item();
  expect(await approvalVmGuard.check(it, w.ctx, newVmState())).toBeUndefined();
  expect(await approvalClaimGuard.check(it.actions[0], it, w.ctx)).toBeUndefined();
  expect(await w.store.list()).toEqual([]);
});

test('pending: the VM stops before the lease, nothing is applied and no attempt is recorded', async () => {
  const w = world();
  const p = await proposed(w);
  const stop = await approvalVmGuard.check(item(), w.ctx, newVmState());
  expect(stop?.finding).toMatchObject({ kind: 'awaiting-approval', evidence: { proposalId: p.id } });
  const it = item();
  await executeItem(it, w.ctx);
  expect(it.actions.map((a) => a.status)).toEqual(['skipped', 'skipped']);
  expect(it.findings.map((f) => f.kind)).toEqual(['awaiting-approval']);
  expect(w.applied).toEqual([]);
  expect(w.attempts).toEqual([]);
});

test('approved: through, claimed once as executed by the run, with the write\'s outcome', async () => {
  const w = world();
  const p = await proposed(w);
  await w.store.decide(p.id, { decision: 'approve', approver: 'alice', via: 'request-body' });
  const it = item();
  await executeItem(it, w.ctx);
  expect(w.applied).toEqual(['delete-restore-point-collection', 'trigger-backup']);
  expect(it.actions[0].approval).toMatchObject({ id: p.id, status: 'executed' });
  expect(await w.store.get(p.id)).toMatchObject({ status: 'executed', executedByRun: 'run-now', outcome: 'applied: deleted' });
  // Already executed: the claim refuses a second send of the same approval.
  expect((await approvalClaimGuard.check({ ...it.actions[0], approval: { id: p.id, status: 'approved', expiresAt: '' } }, it, w.ctx))?.finding.kind).toBe('approval-refused');
});

test('rejected: refused, never executed; the rejection stays as decided', async () => {
  const w = world();
  const p = await proposed(w);
  await w.store.decide(p.id, { decision: 'reject', approver: 'bob', via: 'request-body', note: 'freeze' });
  const it = item();
  await executeItem(it, w.ctx);
  expect(it.findings[0]).toMatchObject({ kind: 'approval-refused', message: expect.stringMatching(/rejected by bob \(freeze\)/) });
  expect(w.applied).toEqual([]);
  expect(w.attempts).toEqual([]);
  expect(await w.store.get(p.id)).toMatchObject({ status: 'rejected' });
});

test('approved but expired at the write: the write guard refuses and the proposal is closed as expired', async () => {
  const w = world();
  const p = await proposed(w);
  await w.store.decide(p.id, { decision: 'approve', approver: 'alice', via: 'request-body' });
  const it = item();
  expect(await approvalWriteGuard.check(it.actions[0], it, w.ctx)).toBeUndefined();
  w.clock.now = new Date(w.clock.now.getTime() + 25 * HOUR);
  // The write guard proposes again under the same key: the old one is closed as expired, the new one waits.
  const stop = await approvalWriteGuard.check(it.actions[0], it, w.ctx);
  expect(stop).toMatchObject({ attempt: 'blocked', finding: { kind: 'awaiting-approval' } });
  expect(await w.store.get(p.id)).toMatchObject({ status: 'expired', closedByRun: 'run-now' });
});

test('stale: the VM was recreated since the proposal (another vmUniqueId) → refused and recorded, never executed', async () => {
  const w = world();
  const p = await proposed(w, item('uid-1'));
  await w.store.decide(p.id, { decision: 'approve', approver: 'alice', via: 'request-body' });
  const it = item('uid-2');
  await executeItem(it, w.ctx);
  expect(it.findings[0]).toMatchObject({ kind: 'approval-refused', message: expect.stringMatching(/stale.*recreated/) });
  expect(w.applied).toEqual([]);
  expect(await w.store.get(p.id)).toMatchObject({ status: 'refused', closedReason: expect.stringMatching(/uid-1.*uid-2/) });
});

test('without a proposal store the write is refused, never sent', async () => {
  const w = world();
  delete (w.ctx.ledger as { approvals?: unknown }).approvals;
  const it = item();
  await executeItem(it, w.ctx);
  expect(it.findings[0].kind).toBe('approval-refused');
  expect(w.applied).toEqual([]);
});
