// Every guest fix of the scripts catalogue end to end through the engine and the approval gate (real
// SDK over HTTPS to the emulator's Run Command and guest causal model, the ledger on Azurite): for each
// code, a plan proposes exactly its reviewed script with zero writes and lists the proposal; an expired
// proposal leaves the guest untouched; an approved one leads to exactly the diagnostic, that fix and
// Backup Now, and a `resolved` verification; a cause the fix does not remove escalates.
import type { Settings } from '../lib/config';
import type { RunReport } from '../lib/types';
import { failedJob, lc, oneVaultEstate, RG, SUB, useHarness, vmSpec as vm, type Env } from './helpers/harness';

const env = useHarness();
const JOB = '00000000-0000-4000-8000-0000000000b1';
const STABLE = { name: 'System Writer', state: 'Stable', lastError: 'No error', service: 'CryptSvc' };

interface Case {
  code: string;
  script: string;
  guest: Record<string, unknown>;
  /** The guest state the fix must leave behind. */
  healed: (guest: Record<string, any>) => void;
}

const CASES: Case[] = [
  {
    code: 'ExtensionFailedVssServiceInBadState',
    script: 'vss-restart-service@1',
    guest: { vssWriters: [STABLE], services: { VSS: 'Stopped' } },
    healed: (g) => expect(g.services.VSS).toBe('Running'),
  },
  {
    code: 'ExtensionSnapshotFailedCOM',
    script: 'complus-restart@1',
    guest: { vssWriters: [STABLE], services: { VSS: 'Running', COMSysApp: 'Stopped', MSDTC: 'Stopped' } },
    healed: (g) => expect([g.services.COMSysApp, g.services.MSDTC]).toEqual(['Running', 'Running']),
  },
  {
    code: 'ExtensionFailedTimeoutVMNetworkUnresponsive',
    script: 'snapshot-registry-set@1',
    guest: { vssWriters: [STABLE], services: { VSS: 'Running' }, slowSnapshot: true, registry: {} },
    healed: (g) => expect(g.registry).toMatchObject({ SnapshotMethod: 'firstHostThenGuest', CalculateSnapshotTimeFromHost: 'True' }),
  },
  {
    code: 'ExtensionFailedVssWriterInBadState',
    script: 'vss-restart-writer-services@1',
    guest: { vssWriters: [{ name: 'SqlServerWriter', state: 'Failed', lastError: 'Timed out', service: 'SQLWriter' }, STABLE], services: { SQLWriter: 'Running' } },
    healed: (g) => expect(g.vssWriters.map((w: { state: string }) => w.state)).toEqual(['Stable', 'Stable']),
  },
];

const TTL = 2 * 3_600_000;
const settingsFor = (code: string): Partial<Settings> => ({ guestFixCodes: [code], approvalTtlMs: TTL });
const raw = (c: Case) =>
  oneVaultEstate({
    vms: [vm('vm-guest', { guest: c.guest })],
    jobs: [failedJob(JOB, 'vm-guest', c.code)],
    simulation: { backupDurationSeconds: 600 },
  });
const guestOf = (e: Env) => JSON.parse(JSON.stringify(e.emu.state.vm(SUB, RG, 'vm-guest')!.vm.guest));
const shortWrites = (e: Env) => e.writes().map((w) => `${w.method} ${lc(w.path).split('/').slice(-2).join('/')}`);

/** A plan: zero writes, exactly the code's script proposed and listed as pending. */
async function proposed(e: Env, c: Case): Promise<{ report: RunReport; id: string }> {
  const report = await e.run('plan');
  expect(e.writes()).toEqual([]);
  const item = report.items[0];
  expect(item.actions.map((a) => a.kind)).toEqual(['run-guest-fix', 'trigger-backup']);
  expect(item.actions[0].evidence).toMatchObject({ script: { id: c.script.split('@')[0], version: 1 } });
  const listed = await e.ledger.approvals!.list();
  expect(listed.map((p) => [p.status, p.kind, p.script, p.failureCode])).toEqual([['pending', 'run-guest-fix', c.script, c.code]]);
  expect(report.pendingApprovals?.map((p) => p.id)).toEqual([listed[0].id]);
  return { report, id: listed[0].id };
}

describe.each(CASES)('guest fix for $code', (c) => {
  test(`approved: exactly the diagnostic, ${c.script} and Backup Now; the guest heals and the verification is resolved`, async () => {
    const e = await env(raw(c), { settings: settingsFor(c.code) });
    const before = guestOf(e);
    const { id } = await proposed(e, c);
    expect(guestOf(e)).toEqual(before);
    await e.ledger.approvals!.decide(id, { decision: 'approve', approver: 'alice@contoso.com', via: 'request-body' });
    e.emu.requests.reset();
    const report = await e.run('apply');
    const item = report.items[0];
    expect(shortWrites(e)).toEqual(['POST vm-guest/runcommand', 'POST vm-guest/runcommand', `POST vm;iaasvmcontainerv2;${RG};vm-guest/backup`]);
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([['run-guest-fix', 'applied'], ['trigger-backup', 'applied']]);
    expect(item.actions[0].result).toMatchObject({ script: c.script });
    c.healed(guestOf(e));
    expect(item.verification?.outcome).toBe('resolved');
    expect(await e.ledger.approvals!.get(id)).toMatchObject({ status: 'executed', executedByRun: report.runId });
  });
});

test('an expired guest-fix proposal: the apply sends nothing (no diagnostic either) and the guest is untouched', async () => {
  const c = CASES[0];
  const e = await env(raw(c), { settings: settingsFor(c.code) });
  const { id } = await proposed(e, c);
  e.emu.clock.advance(TTL + 60_000);
  expect((await e.ledger.approvals!.decide(id, { decision: 'approve', approver: 'alice@contoso.com', via: 'request-body' })).ok).toBe(false);
  e.emu.requests.reset();
  const report = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(guestOf(e).services.VSS).toBe('Stopped');
  expect(report.items[0].findings.map((f) => f.kind)).toContain('awaiting-approval');
  expect(await e.ledger.approvals!.get(id)).toMatchObject({ status: 'expired' });
});

test('a cause the fix does not remove (a writer outside the reviewed writer→service map): the fix runs, the next backup fails the same way, escalated', async () => {
  const c: Case = { ...CASES[3], guest: { vssWriters: [{ name: 'Contoso Custom Writer', state: 'Failed', lastError: 'Retryable error', service: 'ContosoSvc' }, STABLE], services: { ContosoSvc: 'Running' } } };
  const e = await env(raw(c), { settings: settingsFor(c.code) });
  const { id } = await proposed(e, c);
  await e.ledger.approvals!.decide(id, { decision: 'approve', approver: 'alice@contoso.com', via: 'request-body' });
  const report = await e.run('apply');
  const item = report.items[0];
  expect(item.actions.map((a) => [a.kind, a.status])).toEqual([['run-guest-fix', 'applied'], ['trigger-backup', 'applied']]);
  expect(item.verification).toMatchObject({ outcome: 'escalated', failureCode: c.code });
  expect(guestOf(e).vssWriters[0].state).toBe('Failed');
});

test('a VM recreated under the same name after the approval (another properties.vmId): the approved fix is refused and recorded, nothing is sent', async () => {
  const c = CASES[0];
  const e = await env(raw(c), { settings: settingsFor(c.code) });
  const { id } = await proposed(e, c);
  await e.ledger.approvals!.decide(id, { decision: 'approve', approver: 'alice@contoso.com', via: 'request-body' });
  const recorded = (await e.ledger.approvals!.get(id))!.vmUniqueId;
  expect(recorded).toMatch(/^[0-9a-f-]{36}$/);
  e.emu.state.vm(SUB, RG, 'vm-guest')!.vm.uniqueId = '0b5f3c2e-7d41-4e6a-9f0c-3a2b1c4d5e6f';
  e.emu.requests.reset();
  const report = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(guestOf(e).services.VSS).toBe('Stopped');
  const refused = report.items[0].findings.find((f) => f.kind === 'approval-refused');
  expect(refused?.message).toMatch(/recreated/);
  expect(await e.ledger.approvals!.get(id)).toMatchObject({ status: 'refused' });
});

test('a diagnostic that lists no VSS writers at all (vssadmin failed or answered in another language): the writer fix is refused as unreadable, not as "cause gone", and only the diagnostic was sent', async () => {
  const c: Case = { ...CASES[3], guest: { vssWriters: [], services: { VSS: 'Running' } } };
  const e = await env(raw(c), { settings: settingsFor(c.code) });
  const { id } = await proposed(e, c);
  await e.ledger.approvals!.decide(id, { decision: 'approve', approver: 'alice@contoso.com', via: 'request-body' });
  e.emu.requests.reset();
  const report = await e.run('apply');
  expect(shortWrites(e)).toEqual(['POST vm-guest/runcommand']);
  const item = report.items[0];
  expect(item.actions.map((a) => [a.kind, a.status])).toEqual([['run-guest-fix', 'blocked'], ['trigger-backup', 'skipped']]);
  const finding = item.findings.find((f) => f.kind === 'read-failed');
  expect(finding?.message).toMatch(/listed no VSS writers at all/);
  expect(item.findings.some((f) => f.kind === 'precondition-changed')).toBe(false);
});
