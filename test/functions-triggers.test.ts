// Each registered handler called the way the host calls it, against the emulator and Azurite.
// Assertions are on the emulated estate's request log (what was written, where) and the responses.

import { InvocationContext } from '@azure/functions';
import pLimit from 'p-limit';
import { generateEstate } from '../emulator/generate';
import { alertWebhook } from '../functions/alert-webhook';
import { eventGridIntake } from '../functions/event-grid';
import { getRun, remediate } from '../functions/http';
import { remediateVm, remediateVmPoison } from '../functions/queue';
import { reconcileTimer } from '../functions/timer';
import { runRemediation } from '../lib/engine';
import type { RunReport } from '../lib/types';
import { useAzurite } from './helpers/azurite';
import { context, functionsEnv, get, post, type FunctionsEnv } from './helpers/functions';
import { failedJob, ids, oneVaultEstate, RG, SUB, VAULT, vmSpec } from './helpers/harness';

const azurite = useAzurite();

const stuck = { name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: 'Failed' };
const JOB_A = '00000000-0000-4000-8000-0000000000a1';
const JOB_B = '00000000-0000-4000-8000-0000000000b1';

function twoStuckVms() {
  return oneVaultEstate({
    vms: [vmSpec('vm-a', { extensions: [stuck] }), vmSpec('vm-b', { extensions: [stuck] })],
    jobs: [
      failedJob(JOB_A, 'vm-a', 'ExtensionOperationFailedForManagedDisks'),
      failedJob(JOB_B, 'vm-b', 'ExtensionOperationFailedForManagedDisks'),
    ],
  });
}

const timerInfo = { schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' }, isPastDue: false };
const lc = (s: string) => s.toLowerCase();
const expectedWrites = (vm: string) => [
  { method: 'DELETE', path: lc(ids.extension(SUB, RG, vm, 'VMSnapshot')) },
  { method: 'POST', path: lc(`${ids.protectedItem(SUB, RG, VAULT, RG, vm)}/backup`) },
];

function writesOf(env: FunctionsEnv) {
  return env.writes().filter((w) => w.status < 300).map((w) => ({ method: w.method, path: lc(w.path) }));
}
function backupPosts(env: FunctionsEnv) {
  return env.writes().filter((w) => w.method === 'POST' && /\/backup$/i.test(w.path) && w.status === 202);
}

function alertFor(vm: string, job: string) {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/${job}`,
        alertRule: 'Backup Failure',
        monitoringService: 'Azure Backup',
        monitorCondition: 'Fired',
        alertTargetIDs: [lc(ids.vault(SUB, RG, VAULT))],
      },
      alertContext: {
        protectedItemId: ids.protectedItem(SUB, RG, VAULT, RG, vm),
        linkedResourceId: ids.vm(SUB, RG, vm),
        sourceType: 'AzureVM',
        extendedInfo: { jobId: job },
      },
    },
  };
}

describe('Functions triggers over the engine', () => {
  let env: FunctionsEnv | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  it('timer: remediates the estate inline (small result) and records the run', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const result = await reconcileTimer(timerInfo, context('reconcile'));
    expect(result.enqueued).toBe(0);
    expect(writesOf(env).sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      [...expectedWrites('vm-a'), ...expectedWrites('vm-b')].sort((a, b) => a.path.localeCompare(b.path)),
    );
    expect(result.report!.items.map((i) => i.verification?.outcome)).toEqual(['resolved', 'resolved']);
    const stored = await getRun(get('runs', { runId: result.runId }), context('getRun'));
    expect(stored.status).toBe(200);
    expect((stored.jsonBody as RunReport).items).toHaveLength(2);
  });

  it('Event Grid: an alert for one VM touches only that VM', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const event = { id: 'evt-a', eventType: 'Contoso.Backup.AlertFired', subject: 'vm-a', eventTime: '2026-11-20T05:00:00Z', dataVersion: '1', data: alertFor('vm-a', JOB_A) };
    const out = await eventGridIntake(event, context('eventGridIntake'));
    expect(out?.outcome).toBe('handled');
    expect(writesOf(env)).toEqual(expectedWrites('vm-a'));
    expect(env.armRequests().some((r) => /vm-b/i.test(r.path))).toBe(false);
  });

  it('Event Grid: the same alert delivered three times (also as a CloudEvent) remediates once', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const data = alertFor('vm-a', JOB_A);
    const outcomes = [];
    outcomes.push(await eventGridIntake({ id: 'e1', eventType: 'Alert', subject: 'a', data }, context('eventGridIntake')));
    outcomes.push(await eventGridIntake({ specversion: '1.0', id: 'e2', type: 'Alert', source: '/x', data }, context('eventGridIntake')));
    outcomes.push(await eventGridIntake({ id: 'e1', eventType: 'Alert', subject: 'a', data }, context('eventGridIntake')));
    expect(outcomes.map((o) => o?.outcome)).toEqual(['handled', 'duplicate', 'duplicate']);
    expect(backupPosts(env)).toHaveLength(1);
  });

  it('Event Grid: a delivery that fails gives its claim back, so the redelivery acts (once)', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const event = { id: 'evt-f', eventType: 'Alert', subject: 'vm-a', data: alertFor('vm-a', JOB_A) };
    env.emu.faults.add({ method: 'GET', path: '*/backupJobs/*', status: 500, times: 10 }); // outlasts the SDK's retries
    await expect(eventGridIntake(event, context('eventGridIntake'))).rejects.toThrow();
    expect(env.writes()).toEqual([]);
    const failed = await env.rt.ledger.failures('event-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.key).toBe(`job:${lc(ids.vault(SUB, RG, VAULT))}/backupjobs/${JOB_A}`);

    env.emu.faults.clear();
    const again = await eventGridIntake(event, context('eventGridIntake'));
    expect(again?.outcome).toBe('handled');
    const third = await eventGridIntake(event, context('eventGridIntake'));
    expect(third?.outcome).toBe('duplicate');
    expect(writesOf(env)).toEqual(expectedWrites('vm-a'));
  });

  it('alert webhook: the action group payload is handled like the Event Grid path', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const res = await alertWebhook(post('alerts', JSON.stringify(alertFor('vm-b', JOB_B))), context('alertWebhook'));
    expect(res.status).toBe(200);
    expect(writesOf(env)).toEqual(expectedWrites('vm-b'));
  });

  it('HTTP dry-run returns the plan and makes zero writes', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const res = await remediate(post('remediate', JSON.stringify({ vmId: ids.vm(SUB, RG, 'vm-a') })), context('remediate'));
    expect(res.status).toBe(200);
    const report = res.jsonBody as RunReport;
    expect(report.mode).toBe('plan');
    expect(report.items).toHaveLength(1);
    expect(report.items[0]!.actions.map((a) => [a.kind, a.method, lc(a.target)])).toEqual([
      ['remove-snapshot-extension', 'DELETE', lc(ids.extension(SUB, RG, 'vm-a', 'VMSnapshot'))],
      ['trigger-backup', 'POST', lc(ids.protectedItem(SUB, RG, VAULT, RG, 'vm-a'))],
    ]);
    expect(env.writes()).toEqual([]);
  });

  it('HTTP apply changes the estate and the run can be read back', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const res = await remediate(post('remediate', JSON.stringify({ vmId: ids.vm(SUB, RG, 'vm-a'), mode: 'apply' })), context('remediate'));
    expect(res.status).toBe(200);
    const report = res.jsonBody as RunReport;
    expect(report.items[0]!.actions.map((a) => a.status)).toEqual(['applied', 'applied']);
    expect(report.items[0]!.verification?.outcome).toBe('resolved');
    expect(writesOf(env)).toEqual(expectedWrites('vm-a'));
    const back = await getRun(get('runs', { runId: report.runId }), context('getRun'));
    expect((back.jsonBody as RunReport).items[0]!.vmId).toBe(report.items[0]!.vmId);
  });

  it('logs are JSON lines for Application Insights: run, VM and job ids on every line, each write with its ARM operation and result', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const lines: { level: string; text: string }[] = [];
    const ctx = new InvocationContext({ functionName: 'remediate', invocationId: 'inv-1', logHandler: (level, ...args) => lines.push({ level, text: args.join(' ') }) });
    const res = await remediate(post('remediate', JSON.stringify({ vmId: ids.vm(SUB, RG, 'vm-a'), mode: 'apply' })), ctx);
    expect(res.status).toBe(200);
    const runId = (res.jsonBody as RunReport).runId;
    const records = lines.map((l) => JSON.parse(l.text) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(3);
    for (const r of records) {
      expect(r).toEqual(expect.objectContaining({ runId, invocationId: 'inv-1', msg: expect.any(String), at: expect.any(String) }));
      if (r.vmId !== undefined) expect({ msg: r.msg, jobId: r.jobId }).toEqual({ msg: r.msg, jobId: expect.any(String) }); // per-VM lines name the job
    }
    const jobId = (res.jsonBody as RunReport).items[0]!.jobId;
    for (const [target, method] of [[ids.extension(SUB, RG, 'vm-a', 'VMSnapshot'), 'DELETE'], [ids.protectedItem(SUB, RG, VAULT, RG, 'vm-a'), 'POST']]) {
      const about = records.filter((r) => typeof r.target === 'string' && lc(r.target) === lc(target!));
      expect(about.map((r) => [r.vmId, r.jobId])).toEqual(about.map(() => [ids.vm(SUB, RG, 'vm-a'), jobId]));
      expect(about.some((r) => String(r.msg).includes(`${method} `) && r.status === undefined)).toBe(true); // before the write
      expect(about.some((r) => r.status === 'applied' && r.result !== undefined)).toBe(true); // its outcome
    }
  });

  it('HTTP apply answers within HTTP limits: a long backup is pending, and the timer verifies it without a second trigger', async () => {
    const estate = twoStuckVms() as ReturnType<typeof twoStuckVms> & { simulation?: unknown };
    estate.simulation = { backupDurationSeconds: 5 * 60 }; // longer than INTERACTIVE_VERIFY_MS
    env = await functionsEnv(estate, azurite(), { mode: 'apply', verifyTimeoutMs: 30 * 60_000 });
    const res = await remediate(post('remediate', JSON.stringify({ vmId: ids.vm(SUB, RG, 'vm-a'), mode: 'apply' })), context('remediate'));
    expect(res.status).toBe(200);
    const report = res.jsonBody as RunReport;
    expect(report.items[0]!.verification?.outcome).toBe('pending');
    expect(backupPosts(env)).toHaveLength(1);

    env.emu.clock.advance(5 * 60_000);
    const timer = await reconcileTimer(timerInfo, context('reconcile'));
    const a = timer.report!.items.find((i) => /vm-a$/.test(i.vmId))!;
    expect(a.verification?.outcome).toBe('resolved');
    // vm-b was remediated by the timer itself; vm-a's backup was verified, never triggered again.
    expect(backupPosts(env).filter((w) => /vm-a\/backup$/i.test(w.path))).toHaveLength(1);
  });

  it('a timer run and an HTTP apply racing on one VM act once', async () => {
    env = await functionsEnv(
      oneVaultEstate({ vms: [vmSpec('vm-a', { extensions: [stuck] })], jobs: [failedJob(JOB_A, 'vm-a', 'ExtensionOperationFailedForManagedDisks')] }),
      azurite(),
      { mode: 'apply' },
    );
    const [timer, http] = await Promise.all([
      reconcileTimer(timerInfo, context('reconcile')),
      remediate(post('remediate', JSON.stringify({ vmId: ids.vm(SUB, RG, 'vm-a'), mode: 'apply' })), context('remediate')),
    ]);
    expect(backupPosts(env)).toHaveLength(1);
    expect(env.writes().filter((w) => w.method === 'DELETE')).toHaveLength(1);
    expect([200, 409]).toContain(http.status);
    expect(timer.runId).toEqual(expect.any(String));
  });

  it('queue: a message that keeps failing ends in the poison queue and in the ledger with its reason', async () => {
    env = await functionsEnv(twoStuckVms(), azurite(), { mode: 'apply' });
    const e = env;
    // Every job listing fails: the run cannot even discover, on every delivery.
    e.emu.faults.add({ method: 'GET', path: '*/backupJobs*', status: 500, errorCode: 'InternalServerError' });
    await e.rt.queue.send({ vmId: ids.vm(SUB, RG, 'vm-a'), jobId: `${ids.vault(SUB, RG, VAULT)}/backupJobs/${JOB_A}` });
    let poisoned = false;
    for (let delivery = 1; delivery <= 5 && !poisoned; delivery++) {
      const [m] = await e.rt.queue.receive(1, 1);
      expect(m!.dequeueCount).toBe(delivery);
      await expect(remediateVm(m!.body, context('remediateVm', { dequeueCount: m!.dequeueCount }))).rejects.toThrow();
      if (m!.dequeueCount >= 5) {
        await e.rt.queue.moveToPoison(m!); // what the host does after maxDequeueCount
        poisoned = true;
      } else {
        await e.emu.clock.advance(0);
        await new Promise((r) => setTimeout(r, 1100)); // let the 1 s visibility timeout lapse
      }
    }
    const [p] = await e.rt.queue.poison.receive(1);
    await remediateVmPoison(p!.body, context('remediateVmPoison'));
    const failures = await e.rt.ledger.failures();
    expect(failures.map((f) => f.kind).sort()).toEqual(['poison', 'queue-failed']);
    expect(failures.find((f) => f.kind === 'queue-failed')!.reason).toMatch(/Injected fault/);
    expect(e.writes()).toEqual([]);
  }, 60_000);

  it('fan-out: a 1,000-VM estate through the queue remediates every failing VM exactly once', async () => {
    const estate = generateEstate({ subscriptions: 1, vaultsPerSubscription: 2, vmsPerVault: 500, failureRate: 0.05, seed: 11 });
    env = await functionsEnv(estate, azurite(), { mode: 'apply', inlineMaxVms: 5, maxVmsPerRun: 1000, maxWritesPerKind: 1000, concurrency: 8 });
    const e = env;

    // What a dry run says should be triggered: the expectation, computed by the engine's own plan.
    const plan = await runRemediation({ mode: 'plan', scope: { subscriptions: e.rt.settings.subscriptions }, settings: e.rt.settings, arm: e.rt.arm, ledger: e.rt.ledger, now: e.rt.now });
    const expected = plan.items.filter((i) => i.actions.some((a) => a.kind === 'trigger-backup')).map((i) => lc(i.vmId)).sort();
    expect(expected.length).toBeGreaterThan(10);
    e.emu.requests.reset();

    const fanOut = await reconcileTimer(timerInfo, context('reconcile'));
    expect(fanOut.enqueued).toBe(plan.items.length);
    expect(fanOut.deferred).toBe(0);

    // Drain the queue the way the host does: batches, several instances at once, delete on success.
    const limit = pLimit(4);
    for (;;) {
      const batch = await e.rt.queue.receive(16, 120);
      if (batch.length === 0) break;
      await Promise.all(
        batch.map((m) =>
          limit(async () => {
            await remediateVm(m.body, context('remediateVm', { dequeueCount: m.dequeueCount, id: m.id }));
            await e.rt.queue.delete(m);
          }),
        ),
      );
    }

    const triggered = backupPosts(e).map((w) => lc(w.path.replace(/\/backupFabrics\/.*$/i, '')));
    const perVm = new Map<string, number>();
    for (const w of backupPosts(e)) {
      const vm = /protecteditems\/vm;iaasvmcontainerv2;([^;]+);([^/]+)\/backup$/i.exec(w.path)!;
      const key = lc(ids.vm(SUB_OF(w.path), vm[1]!, vm[2]!));
      perVm.set(key, (perVm.get(key) ?? 0) + 1);
    }
    expect(triggered.length).toBe(expected.length);
    expect([...perVm.keys()].sort()).toEqual(expected);
    expect([...perVm.values()].every((n) => n === 1)).toBe(true);
    expect(await e.rt.queue.poison.count()).toBe(0);
    expect(await e.rt.ledger.failures()).toEqual([]);
  }, 180_000);
});

function SUB_OF(path: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(path)![1]!;
}
