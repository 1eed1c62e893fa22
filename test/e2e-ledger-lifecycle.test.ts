// Issue 9 end to end: Backup Now sent once when its answer is lost, runs that die closed as abandoned
// (their unanswered Backup Now adopted and verified), and verification that always ends: with a new
// failed job on the VM (the fix did not hold: escalated) and when the backup outlives the window.

import { spawnSync } from 'node:child_process';
import { hostIdentity as hostname } from '../lib/ledger/host';
import { describeRun } from '../lib/ledger/liveness';
import { failedJob, ids, oneVaultEstate, RG, SUB, useHarness, VAULT, vmSpec } from './helpers/harness';

const env = useHarness();
const CODE = 'BackUpOperationFailedV2';
const vmId = ids.vm(SUB, RG, 'vm-a');
const itemId = ids.protectedItem(SUB, RG, VAULT, RG, 'vm-a');

function estate(simulation: Record<string, unknown> = {}) {
  return oneVaultEstate({ vms: [vmSpec('vm-a')], jobs: [failedJob('00000000-0000-4000-8000-00000000e001', 'vm-a', CODE)], simulation });
}

const posts = (e: { writes(): { method: string; status: number }[] }) => e.writes().filter((w) => w.method === 'POST');

/** A run on this host whose process is gone, with its decision and a Backup Now intent (no answer) recorded. */
async function deadRunSentBackupNow(e: Awaited<ReturnType<typeof env>>) {
  const plan = await e.run('plan');
  const deadPid = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
  await e.ledger.startRun({ runId: 'killed-run', mode: 'apply', trigger: 'cli', scope: {}, startedAt: e.emu.clock.now(), host: hostname(), pid: deadPid });
  await e.ledger.recordDecision('killed-run', plan.items[0]);
  await e.ledger.recordIntent('killed-run', vmId, plan.items[0].actions[0], e.emu.clock.now());
  return plan;
}

describe('Backup Now is sent once', () => {
  test('its answer lost (the connection dropped after it took effect): not resent, its job found and verified', async () => {
    const e = await env(estate());
    e.emu.faults.add({ method: 'POST', path: '*/backup', kind: 'lost-response', times: 1 });
    const report = await e.run('apply');
    expect(posts(e)).toHaveLength(1);
    const [action] = report.items[0].actions;
    expect(action).toMatchObject({ kind: 'trigger-backup', status: 'applied' });
    expect(action.result).toMatchObject({ status: 'Succeeded', jobId: expect.stringMatching(/\/backupJobs\//) });
    expect(String(action.result?.detail)).toMatch(/answer to Backup Now was lost.*job it created was found/);
    expect(report.items[0].verification).toMatchObject({ outcome: 'resolved', jobId: action.result?.jobId });
    const [row] = await e.ledger.writes(report.runId);
    expect(row).toMatchObject({ phase: 'answered', requestedAt: expect.any(Date), action: { status: 'applied' } });
  });

  test('a 503 after sending: the job is looked for, none exists, and the POST is sent one more time', async () => {
    const e = await env(estate());
    e.emu.faults.add({ method: 'POST', path: '*/backup', status: 503, times: 1 });
    const report = await e.run('apply');
    expect(posts(e).map((w) => w.status)).toEqual([503, 202]);
    expect(report.items[0].actions[0].status).toBe('applied');
    const triggered = e.emu.state.estate.subscriptions[0].resourceGroups[0].vaults[0].jobs.filter((j) => j.isUserTriggered);
    expect(triggered).toHaveLength(1);
  });
});

describe('runs that die', () => {
  test('a killed run is closed as abandoned by the next run, its unanswered Backup Now adopted and verified, never re-sent', async () => {
    const e = await env(estate());
    // A run on this host whose process is gone, which sent Backup Now and died before the answer.
    const plan = await deadRunSentBackupNow(e);
    const ref = /vaults\/([^/]+)\/backupFabrics\/Azure\/protectionContainers\/([^/]+)\/protectedItems\/([^/]+)$/.exec(itemId)!;
    await e.arm.backup(SUB).backups.trigger(ref[1], RG, 'Azure', ref[2], ref[3], { properties: { objectType: 'IaasVMBackupRequest' } });
    e.emu.requests.reset();

    const next = await e.run('apply');
    expect(posts(e)).toEqual([]);
    expect(next.notes?.map((n) => n.reason)).toContainEqual(expect.stringMatching(/^closed run killed-run as abandoned: its process \d+ on .* no longer exists \(1 write\(s\) without a recorded answer/));
    const verified = next.items.find((i) => i.verification);
    expect(verified?.verification?.outcome).toBe('resolved');
    expect((await e.ledger.attempts(vmId, new Date(0))).map((a) => [a.runId, a.outcome])).toEqual([['killed-run', 'pending'], ['killed-run', 'resolved']]);

    const killed = await e.ledger.getRun('killed-run');
    expect(killed).toMatchObject({ status: 'abandoned', abandonedBy: next.runId });
    const view = await describeRun(e.ledger, killed!);
    expect(view.writes).toEqual([expect.objectContaining({ method: 'POST', target: itemId, phase: 'intent' })]);
    expect(view.report.notes?.map((n) => n.reason)).toEqual([
      expect.stringMatching(/^run abandoned: /),
      expect.stringMatching(/^sent POST .* \(trigger-backup\) at .*; no answer was recorded/),
    ]);
    expect(await e.ledger.runningRuns()).toEqual([]);
  });
});

describe('a Backup Now whose job is not listed yet', () => {
  test('a dead run sent it and no job shows yet: nothing new is sent for the VM until it shows or 15 minutes pass', async () => {
    const e = await env(estate());
    // Its intent is recorded, but the service has not listed a job for it (yet).
    const plan = await deadRunSentBackupNow(e);
    e.emu.requests.reset();

    const next = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(next.items.find((i) => i.verification)?.verification).toMatchObject({ outcome: 'pending', status: 'Unanswered' });
    expect(next.notes?.map((n) => n.reason)).toContainEqual(expect.stringMatching(/Backup Now triggered by an earlier run has not ended yet: nothing new is sent/));

    // Past the settle window with still no job: it never started, and the failed job is planned again
    // (the guardrails then decide: here the cooldown since the dead run's attempt holds the write).
    e.emu.clock.advance(16 * 60_000);
    e.emu.requests.reset();
    const later = await e.run('apply');
    expect(later.items.find((i) => i.verification?.outcome === 'expired')?.verification?.status).toMatch(/no backup job of the item appeared within 15 minutes/);
    const replanned = later.items.find((i) => !i.verification && i.jobId === plan.items[0].jobId)!;
    expect(replanned.actions.map((a) => a.kind)).toEqual(['trigger-backup']);
    expect(replanned.findings.map((f) => f.kind)).toEqual(['cooldown']);
    expect(replanned.actions[0]).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/cooling down/) });
    expect(posts(e)).toEqual([]);
  });
});

describe('verification always ends', () => {
  test('pending, then the VM fails again with the same cause: the pending one is still verified, and the new failure escalates', async () => {
    const e = await env(estate({ backupDurationSeconds: 3600 }), { settings: { verifyTimeoutMs: 10 * 60_000 } });
    const first = await e.run('apply');
    expect(first.items[0].verification?.outcome).toBe('pending');
    e.emu.clock.advance(3 * 3_600_000);
    const now = e.emu.clock.now();
    const vault = e.emu.state.vault(SUB, RG, VAULT)!;
    e.emu.state.addJob(vault, failedJob('00000000-0000-4000-8000-00000000e002', 'vm-a', CODE, { startTime: now.toISOString(), endTime: now.toISOString() }) as never);
    e.emu.requests.reset();

    const second = await e.run('apply');
    expect(e.writes()).toEqual([]);
    expect(await e.ledger.pendingVerifications()).toEqual([]);
    const outcomes = second.items.map((i) => [i.jobId.split('/').pop(), i.verification?.outcome]);
    expect(outcomes).toEqual(expect.arrayContaining([['00000000-0000-4000-8000-00000000e002', 'escalated'], ['00000000-0000-4000-8000-00000000e001', 'resolved']]));
    const again = second.items.find((i) => i.jobId.endsWith('e002'))!;
    expect(again.findings.find((f) => f.kind === 'guardrail')?.evidence).toMatchObject({ guardrail: 'fix-held', earlierRunId: first.runId, earlierOutcome: 'resolved' });
  });

  test('a backup that outlives the verification window ends expired, with why', async () => {
    const e = await env(estate({ backupDurationSeconds: 3 * 86_400 }), { settings: { verifyTimeoutMs: 10 * 60_000 } });
    const first = await e.run('apply');
    expect(first.items[0].verification?.outcome).toBe('pending');
    e.emu.clock.advance(25 * 3_600_000);
    const later = await e.run('apply');
    const item = later.items.find((i) => i.verification)!;
    expect(item.verification).toMatchObject({ outcome: 'expired', status: expect.stringMatching(/still InProgress after the verification window/) });
    expect(item.findings[0].message).toMatch(/did not end within the verification window.*human must look/);
    expect((await e.ledger.attempts(vmId, new Date(0))).map((a) => a.outcome)).toEqual(['started', 'pending', 'expired']);
    expect(await e.ledger.pendingVerifications()).toEqual([]);
  });
});
