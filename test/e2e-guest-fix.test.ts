// Guest fixes end to end on the emulator, through the real SDK over HTTPS (emulator/routes/run-command.ts
// and its guest causal model): off by default (report-only, zero writes); enabled, plan proposes the
// fix script with zero writes; at write time the module runs the diagnostic and then the fix, the
// guest becomes healthy and Backup Now succeeds; a cause gone since planning refuses the fix with the
// diagnostic as evidence. The module-level tests call preconditions/apply directly; the engine-level
// applies go through the approval gate (lib/approvals): without a decision nothing is sent (not even
// the diagnostic), a rejection likewise, and an approved proposal is executed by the next apply.
import { runGuestFix, triggerBackup } from '../lib/actions';
import type { ActionContext } from '../lib/actions/types';
import type { PlanItem, PlannedAction } from '../lib/types';
import { failedJob, ids, lc, oneVaultEstate as estate, RG, SUB, useHarness, VAULT, vmSpec as vm, type Env } from './helpers/harness';

const env = useHarness();
const CODE = 'ExtensionFailedVssWriterInBadState';
const SQL_FAILED = { name: 'SqlServerWriter', state: 'Failed', lastError: 'Timed out', service: 'SQLWriter' };
const SYSTEM_OK = { name: 'System Writer', state: 'Stable', lastError: 'No error', service: 'CryptSvc' };

function raw(writer: Record<string, unknown> = SQL_FAILED, extra: Record<string, unknown> = {}) {
  return estate({
    vms: [vm('vm-sql', { guest: { vssWriters: [writer, SYSTEM_OK], services: { SQLWriter: 'Running' } }, ...extra })],
    jobs: [failedJob('00000000-0000-4000-8000-0000000000a1', 'vm-sql', CODE)],
    simulation: { backupDurationSeconds: 600 },
  });
}

/** Harness options enabling the code's guest fix (REMEDIATION_GUEST_FIX_CODES). */
const enabled = { settings: { guestFixCodes: [CODE] } };
const runCommands = (e: Env) => e.writes().filter((w) => w.method === 'POST' && /\/runCommand$/i.test(w.path));
const guestOf = (e: Env) => JSON.parse(JSON.stringify(e.emu.state.vm(SUB, RG, 'vm-sql')!.vm.guest));
const ctxFor = (e: Env, item: PlanItem): ActionContext => ({ item, settings: { backupRetentionDays: 30 }, now: e.emu.clock.now() });

/** Plan (which proposes the fix), approve the proposal as a human would, then apply. */
async function approvedApply(e: Env) {
  const planned = await e.run('plan');
  const id = planned.items[0].actions[0].approval!.id;
  expect((await e.ledger.approvals!.decide(id, { decision: 'approve', approver: 'alice@contoso.com', via: 'request-body' })).ok).toBe(true);
  return e.run('apply');
}

async function plannedItem(e: Env): Promise<PlanItem> {
  const report = await e.run('plan');
  expect(report.items).toHaveLength(1);
  return report.items[0];
}

describe('guest fix off by default', () => {
  test('the VSS writer failure is a report-only finding and nothing is written, in plan and apply', async () => {
    const e = await env(raw());
    for (const mode of ['plan', 'apply'] as const) {
      const item = (await e.run(mode)).items[0];
      expect(item.actions).toEqual([]);
      expect(item.failure.automation).toBe('report-only');
      expect(item.findings.map((f) => f.kind)).toContain('report-only-error');
    }
    expect(e.writes()).toEqual([]);
  });
});

describe('guest fix enabled for the code', () => {
  test('plan proposes the reviewed fix script on the VM, then Backup Now, and writes nothing', async () => {
    const e = await env(raw(), enabled);
    const item = await plannedItem(e);
    expect(e.writes()).toEqual([]);
    expect(item.actions.map((a) => [a.kind, lc(a.target), a.method])).toEqual([
      ['run-guest-fix', lc(ids.vm(SUB, RG, 'vm-sql')), 'POST'],
      ['trigger-backup', lc(ids.protectedItem(SUB, RG, VAULT, RG, 'vm-sql')), 'POST'],
    ]);
    const vmRead = await e.arm.compute(SUB).virtualMachines.get(RG, 'vm-sql');
    expect(item.actions[0].evidence).toMatchObject({
      script: { id: 'vss-restart-writer-services', version: 1, os: 'Windows', purpose: 'fix' },
      diagnostic: { id: 'windows-guest-diagnose', version: 1 },
      vmUniqueId: vmRead.vmId,
      code: CODE,
    });
  });

  test('preconditions run the diagnostic (nothing changes), apply runs the fix, the guest heals and Backup Now succeeds', async () => {
    const e = await env(raw(), enabled);
    const item = await plannedItem(e);
    const [fix, backup] = item.actions as [PlannedAction, PlannedAction];
    e.emu.requests.reset();

    const checked = await runGuestFix.preconditions(e.arm, fix, ctxFor(e, item));
    expect(checked).toEqual({ ok: true, note: expect.stringContaining('SqlServerWriter (Failed)') });
    expect(runCommands(e)).toHaveLength(1);
    expect(guestOf(e).vssWriters[0]).toMatchObject({ state: 'Failed' }); // the diagnostic changed nothing

    const result = await runGuestFix.apply(e.arm, fix, ctxFor(e, item));
    expect(runCommands(e)).toHaveLength(2);
    expect(result).toMatchObject({
      outcome: 'ran',
      script: 'vss-restart-writer-services@1',
      output: { script: 'vss-restart-writer-services@1', changed: ['restarted SQLWriter'], skipped: [], failed: [] },
      stderr: '',
      diagnostic: { script: 'windows-guest-diagnose@1', output: { writers: [expect.objectContaining({ name: 'SqlServerWriter', state: 'Failed', service: 'SQLWriter' }), expect.anything()] } },
    });
    expect(guestOf(e).vssWriters.map((w: { state: string }) => w.state)).toEqual(['Stable', 'Stable']);

    expect(await triggerBackup.preconditions(e.arm, backup, ctxFor(e, item))).toEqual({ ok: true });
    const triggered = await triggerBackup.apply(e.arm, backup, ctxFor(e, item));
    expect(triggered).toMatchObject({ status: 'Succeeded' });
    e.emu.clock.advance(3_600_000);
    const job = await e.arm.backup(SUB).jobDetails.get(VAULT, RG, String(triggered.jobId).split('/').pop()!);
    expect((job.properties as { status?: string }).status).toBe('Completed');
  });

  test('a cause gone since planning (writers Stable again): the fix is refused with the diagnostic as evidence', async () => {
    const e = await env(raw(), enabled);
    const item = await plannedItem(e);
    for (const w of e.emu.state.vm(SUB, RG, 'vm-sql')!.vm.guest!.vssWriters!) w.state = 'Stable';
    e.emu.requests.reset();
    const checked = await runGuestFix.preconditions(e.arm, item.actions[0], ctxFor(e, item));
    expect(checked).toMatchObject({ ok: false, findingKind: 'precondition-changed', reason: expect.stringMatching(/no longer shows the cause/) });
    const evidence = (checked as { evidence?: { diagnostic?: { script: string; output: { writers: { state: string }[] } } } }).evidence;
    expect(evidence?.diagnostic?.script).toBe('windows-guest-diagnose@1');
    expect(evidence?.diagnostic?.output.writers.map((w) => w.state)).toEqual(['Stable', 'Stable']);
    expect(runCommands(e)).toHaveLength(1); // the diagnostic only
  });

  test('engine apply before any decision, or after a rejection: not one Run Command, not even the diagnostic', async () => {
    const e = await env(raw(), enabled);
    const waiting = (await e.run('apply')).items[0];
    expect(waiting.findings.map((f) => f.kind)).toContain('awaiting-approval');
    expect(waiting.actions[0].approval).toMatchObject({ status: 'pending' });
    const id = waiting.actions[0].approval!.id;
    expect(await e.ledger.approvals!.get(id)).toMatchObject({ script: 'vss-restart-writer-services@1', kind: 'run-guest-fix' });
    await e.ledger.approvals!.decide(id, { decision: 'reject', approver: 'bob', via: 'request-body' });
    const rejected = (await e.run('apply')).items[0];
    expect(rejected.findings.map((f) => f.kind)).toContain('approval-refused');
    expect(e.writes()).toEqual([]);
    expect(guestOf(e).vssWriters[0]).toMatchObject({ state: 'Failed' });
  });

  test('engine apply once approved: diagnostic, fix, Backup Now, verification resolved', async () => {
    const e = await env(raw(), enabled);
    const report = await approvedApply(e);
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([['run-guest-fix', 'applied'], ['trigger-backup', 'applied']]);
    expect(item.verification?.outcome).toBe('resolved');
    expect(e.writes().map((w) => w.path.split('/').pop())).toEqual(['runCommand', 'runCommand', 'backup']);
    expect(item.actions[0].result).toMatchObject({ script: 'vss-restart-writer-services@1', diagnostic: { script: 'windows-guest-diagnose@1' } });
    expect(await e.ledger.approvals!.get(item.actions[0].approval!.id)).toMatchObject({ status: 'executed', executedByRun: report.runId, outcome: 'applied: ran' });
  });

  test('engine apply once approved but with the kill switch on: not one Run Command, not even the read-only diagnostic', async () => {
    const e = await env(raw(), { settings: { guestFixCodes: [CODE], killSwitch: true } });
    const report = await approvedApply(e);
    expect(report.items[0].actions[0]).toMatchObject({ kind: 'run-guest-fix', status: 'blocked' });
    expect(report.items[0].findings.map((f) => f.kind)).toContain('kill-switch');
    expect(runCommands(e)).toEqual([]);
    expect(e.writes()).toEqual([]);
    expect(guestOf(e).vssWriters[0]).toMatchObject({ state: 'Failed' });
  });

  test('engine apply on a guest already healthy: the diagnostic refuses the fix, its output is the finding\'s evidence, no Backup Now', async () => {
    const e = await env(raw({ ...SQL_FAILED, state: 'Stable', lastError: 'No error' }), enabled);
    const report = await approvedApply(e);
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([['run-guest-fix', 'blocked'], ['trigger-backup', 'skipped']]);
    expect(e.writes().map((w) => w.path.split('/').pop())).toEqual(['runCommand']);
    const refused = item.findings.find((f) => f.kind === 'precondition-changed')!;
    expect(refused.message).toMatch(/^run-guest-fix not run: the diagnostic windows-guest-diagnose@1 no longer shows the cause/);
    expect(refused.evidence).toMatchObject({ action: 'run-guest-fix', recheckedBeforeWrite: true, diagnostic: { script: 'windows-guest-diagnose@1', output: { writers: [{ state: 'Stable' }, { state: 'Stable' }] } } });
  });

  test('a writer that does not recover on restart: the fix runs, Backup Now fails the same way, verification escalates', async () => {
    const e = await env(raw({ ...SQL_FAILED, recoversOnRestart: false }), enabled);
    const report = await approvedApply(e);
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([['run-guest-fix', 'applied'], ['trigger-backup', 'applied']]);
    expect(item.verification).toMatchObject({ outcome: 'escalated', failureCode: CODE });
  });

  test('agent not Ready: a finding that Run Command cannot run, and no write', async () => {
    const e = await env(raw(SQL_FAILED, { agent: { status: 'NotReady', version: '2.7.41491.1102' } }), enabled);
    const report = await e.run('apply');
    expect(report.items[0].actions).toEqual([]);
    expect(report.items[0].findings.some((f) => f.kind === 'agent-not-ready' && /Run Command cannot run vss-restart-writer-services@1/.test(f.message))).toBe(true);
    expect(e.writes()).toEqual([]);
  });
});
