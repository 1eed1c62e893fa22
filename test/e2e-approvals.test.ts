// Human approval end to end (real SDK clients over HTTPS to the emulator, the ledger on Azurite):
// with REMEDIATION_REQUIRE_APPROVAL=delete-restore-point-collection a plan proposes the delete with
// zero ARM writes and the proposal is listed; an apply before any decision, after a rejection or
// after the expiry writes nothing and counts no attempt; an approval lets the next apply delete
// exactly that collection, Backup Now and verify `resolved`, and the proposal records the run.

import { decideApproval } from '../lib/approvals/api';
import { applyPlannedItems } from '../lib/engine';
import { createPlanFile, parsePlanFile, reconcilePlan, serializePlanFile } from '../lib/plan-file';
import type { Proposal, ProposalStore } from '../lib/approvals/types';
import type { Settings } from '../lib/config';
import { validateRunReport } from './helpers/run-report-schema';
import { failedJob, ids, lc, oneVaultEstate, RG, SUB, useHarness, vmSpec, type Env } from './helpers/harness';

const env = useHarness();
const COLLECTION = 'AzureBackup_vm-rp_1001';
const KEPT = 'AzureBackup_vm-rp2_1002';
// A TTL shorter than the look-back, so the failed job is still discovered after the expiry.
const TTL = 2 * 3_600_000;
const APPROVAL: Partial<Settings> = { requireApproval: ['delete-restore-point-collection'], approvalTtlMs: TTL };

const raw = () =>
  oneVaultEstate({
    vms: [vmSpec('vm-rp'), vmSpec('vm-rp2')],
    jobs: [failedJob('00000000-0000-4000-8000-000000000002', 'vm-rp', 'UserErrorRpCollectionLimitReached')],
    collections: [
      { name: COLLECTION, sourceVmId: ids.vm(SUB, RG, 'vm-rp'), restorePoints: 18, locks: [] },
      { name: KEPT, sourceVmId: ids.vm(SUB, RG, 'vm-rp2'), restorePoints: 5, locks: [] },
    ],
  });

const collections = (e: Env) => e.emu.state.estate.subscriptions[0].resourceGroups[0].restorePointCollections.map((c: { name: string }) => c.name);
const store = (e: Env): ProposalStore => e.ledger.approvals!;
const decide = (e: Env, id: string, decision: 'approve' | 'reject', approver = 'alice@contoso.com') =>
  decideApproval(store(e), e.settings, id, { decision, approver, via: 'request-body' });

/** A plan run: the one proposal it stored, checked against the report and the planned action. */
async function proposeByPlan(e: Env): Promise<Proposal> {
  const report = await e.run('plan');
  expect(e.writes()).toEqual([]);
  const del = report.items[0].actions.find((a) => a.kind === 'delete-restore-point-collection')!;
  expect(del.approval).toMatchObject({ status: 'pending' });
  const listed = await store(e).list();
  expect(listed).toHaveLength(1);
  const p = listed[0];
  expect(p).toMatchObject({ id: del.approval!.id, status: 'pending', kind: 'delete-restore-point-collection', runId: report.runId, failureCode: 'UserErrorRpCollectionLimitReached', script: '' });
  expect(lc(p.target)).toBe(lc(ids.collection(SUB, RG, COLLECTION)));
  expect(report.pendingApprovals).toEqual([expect.objectContaining({ id: p.id, action: 'delete-restore-point-collection', expiresAt: p.expiresAt.toISOString() })]);
  expect(validateRunReport(report)).toEqual({ valid: true, errors: [] });
  return p;
}

/** An apply that must leave the estate untouched and count no attempt against the VM. */
async function applyWritesNothing(e: Env, finding: 'awaiting-approval' | 'approval-refused') {
  e.emu.requests.reset();
  const report = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(collections(e)).toEqual([COLLECTION, KEPT]);
  const item = report.items[0];
  expect(item.findings.map((f) => f.kind)).toContain(finding);
  expect(item.actions.map((a) => a.status)).toEqual(['skipped', 'skipped']);
  expect(await e.ledger.attempts(item.vmId, new Date(0))).toEqual([]);
  return report;
}

test('plan proposes with zero writes; apply before a decision writes nothing, counts no attempt and proposes nothing twice', async () => {
  const e = await env(raw(), { settings: APPROVAL });
  const p = await proposeByPlan(e);
  const report = await applyWritesNothing(e, 'awaiting-approval');
  expect(report.items[0].findings.find((f) => f.kind === 'awaiting-approval')?.nextStep).toContain(`approvals approve ${p.id}`);
  // Waiting for days never escalates: many applies, still no attempt and the same single proposal.
  for (let i = 0; i < 4; i++) await applyWritesNothing(e, 'awaiting-approval');
  expect((await store(e).list()).map((x) => x.id)).toEqual([p.id]);
});

test('a rejection leaves the estate untouched on the next apply, and the decision cannot be replayed', async () => {
  const e = await env(raw(), { settings: APPROVAL });
  const p = await proposeByPlan(e);
  expect(await decide(e, p.id, 'reject')).toMatchObject({ status: 200, body: { status: 'rejected', decidedBy: 'alice@contoso.com', decidedVia: 'request-body' } });
  expect(await decide(e, p.id, 'approve', 'mallory')).toMatchObject({ status: 409, body: { error: { code: 'AlreadyDecided' }, proposal: { status: 'rejected' } } });
  const report = await applyWritesNothing(e, 'approval-refused');
  expect(report.pendingApprovals).toBeUndefined();
  expect(await store(e).get(p.id)).toMatchObject({ status: 'rejected', decidedBy: 'alice@contoso.com' });
});

test('an expiry leaves the estate untouched: an approval after it is refused, the next apply proposes again', async () => {
  const e = await env(raw(), { settings: APPROVAL });
  const p = await proposeByPlan(e);
  e.emu.clock.advance(TTL + 60_000);
  expect(await decide(e, p.id, 'approve')).toMatchObject({ status: 409, body: { error: { code: 'ProposalExpired' }, proposal: { status: 'expired' } } });
  const report = await applyWritesNothing(e, 'awaiting-approval');
  const again = report.items[0].actions[0].approval!;
  expect(again.id).not.toBe(p.id);
  expect(await store(e).get(p.id)).toMatchObject({ status: 'expired' });
});

test('an approval expiring between approval and apply is refused and recorded, never executed', async () => {
  const e = await env(raw(), { settings: APPROVAL });
  const p = await proposeByPlan(e);
  await decide(e, p.id, 'approve');
  e.emu.clock.advance(TTL + 60_000);
  const report = await applyWritesNothing(e, 'approval-refused');
  expect(report.items[0].findings.find((f) => f.kind === 'approval-refused')?.message).toMatch(/expired/);
  expect(await store(e).get(p.id)).toMatchObject({ status: 'expired', closedReason: expect.stringMatching(/expired/) });
});

test('an approval: the next apply deletes exactly that collection, Backup Now, resolved; the proposal records the run', async () => {
  const e = await env(raw(), { settings: APPROVAL });
  const p = await proposeByPlan(e);
  expect(await decide(e, p.id, 'approve')).toMatchObject({ status: 200, body: { status: 'approved' } });
  e.emu.requests.reset();
  const report = await e.run('apply');
  expect(e.writes().map((w) => [w.method, lc(w.path).split('/').pop()])).toEqual([
    ['DELETE', lc(COLLECTION)],
    ['POST', 'backup'],
  ]);
  expect(collections(e)).toEqual([KEPT]);
  expect(report.items[0].verification?.outcome).toBe('resolved');
  expect(report.items[0].actions[0].approval).toMatchObject({ id: p.id, status: 'executed' });
  expect(await store(e).get(p.id)).toMatchObject({ status: 'executed', executedByRun: report.runId, outcome: 'applied: deleted' });
  expect(report.pendingApprovals).toBeUndefined();
  // Executed once: a further apply writes nothing.
  e.emu.requests.reset();
  await e.run('apply');
  expect(e.writes()).toEqual([]);
});

test('a failure that resolved itself (a later backup succeeded) refuses the approved proposal: recorded, never executed', async () => {
  const e = await env(raw(), { settings: APPROVAL });
  const p = await proposeByPlan(e);
  await decide(e, p.id, 'approve');
  const vault = e.emu.state.estate.subscriptions[0].resourceGroups[0].vaults[0];
  const later = failedJob('00000000-0000-4000-8000-000000000003', 'vm-rp', 'x', { status: 'Completed', startTime: '2026-11-20T03:00:00Z', endTime: '2026-11-20T03:20:00Z', errorDetails: [] });
  vault.jobs.push(later as never);
  e.emu.state.reindex();
  e.emu.requests.reset();
  const report = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(collections(e)).toEqual([COLLECTION, KEPT]);
  expect(report.notes?.map((n) => n.reason)).toContainEqual(expect.stringMatching(new RegExp(`proposal ${p.id} .*refused: failure resolved`)));
  expect(await store(e).get(p.id)).toMatchObject({ status: 'refused', closedByRun: report.runId, closedReason: expect.stringMatching(/^failure resolved/) });
});

test('a saved plan (apply --plan) honours the approval: refused while pending, executed once approved', async () => {
  const e = await env(raw(), { settings: APPROVAL });
  const p = await proposeByPlan(e);
  const report = (await e.ledger.getRun((await store(e).get(p.id))!.runId))!.report!;
  const saved = parsePlanFile(serializePlanFile(createPlanFile(report, { createdAt: e.emu.clock.now(), target: 'emulator', scope: {}, since: new Date(0) })));
  const applySaved = async () => {
    const { items, notes } = reconcilePlan(saved, await e.run('plan'));
    const settings = { ...e.settings, mode: 'apply' as const };
    return applyPlannedItems(items, { scope: {}, settings, notes, arm: e.arm, ledger: e.ledger, now: () => e.emu.clock.now(), verifyWait: async (ms: number) => e.emu.clock.advance(ms) });
  };
  e.emu.requests.reset();
  const waiting = await applySaved();
  expect(e.writes()).toEqual([]);
  expect(waiting.items[0].findings.map((f) => f.kind)).toContain('awaiting-approval');
  await decide(e, p.id, 'approve');
  const done = await applySaved();
  expect(e.writes().map((w) => w.method)).toEqual(['DELETE', 'POST']);
  expect(done.items[0].actions[0].approval).toMatchObject({ id: p.id, status: 'executed' });
});
