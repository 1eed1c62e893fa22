// Safety under a hostile ARM: a 429 storm, a long-running operation that fails midway, and two
// runs racing for one VM. The run always ends with a correct, recorded outcome.

import { failedJob, ids, lc, oneVaultEstate, RG, snapshotExtension, SUB, useHarness, vmSpec } from './helpers/harness';

const env = useHarness();

const extensionFailure = (name = 'vm-ext') =>
  oneVaultEstate({
    vms: [vmSpec(name, { extensions: [snapshotExtension('Failed')] })],
    jobs: [failedJob('00000000-0000-4000-8000-00000000c001', name, 'ExtensionOperationFailedForManagedDisks')],
  });

const succeeded = (e: { writes(): { method: string; path: string; status: number }[] }) => e.writes().filter((w) => w.status < 400);

describe('a 429 storm', () => {
  test('the run rides out throttling and ends exactly as it would without it', async () => {
    const e = await env(extensionFailure());
    // Reads, the delete and Backup Now are all throttled several times; Retry-After 0 keeps the test fast.
    e.emu.faults.add({ method: 'GET', path: '/subscriptions/*', status: 429, retryAfterSeconds: 0, times: 30 });
    // Writes are retried on 429 only a few times (3): two throttled Backup Nows still go through.
    e.emu.faults.add({ method: 'POST', path: '/subscriptions/*', status: 429, retryAfterSeconds: 0, times: 2 });
    e.emu.faults.add({ method: 'DELETE', path: '*/extensions/*', status: 429, retryAfterSeconds: 1, times: 1 });
    const report = await e.run('apply');
    const throttled = e.emu.requests.all().filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(30);
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([
      ['remove-snapshot-extension', 'applied'],
      ['trigger-backup', 'applied'],
    ]);
    expect(item.verification?.outcome).toBe('resolved');
    expect(succeeded(e).map((w) => w.method)).toEqual(['DELETE', 'POST']);
  });
});

describe('a 429 storm on a write', () => {
  test('the write is resent at most 3 times, then that VM ends "throttled, retry later" with no further write', async () => {
    const e = await env(extensionFailure());
    // Every DELETE of the extension is throttled, with a short Retry-After the pacer would sit out.
    e.emu.faults.add({ method: 'DELETE', path: '*/extensions/*', status: 429, retryAfterSeconds: 0, times: 1000 });
    const report = await e.run('apply');
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([
      ['remove-snapshot-extension', 'failed'],
      ['trigger-backup', 'skipped'],
    ]);
    expect(item.actions[0].detail).toMatch(/throttled by ARM, retry later/);
    const writes = e.writes();
    // The first DELETE and 3 retries; nothing else was written (no Backup Now).
    expect(writes.map((w) => [w.method, w.status])).toEqual([['DELETE', 429], ['DELETE', 429], ['DELETE', 429], ['DELETE', 429]]);
    const recorded = await e.ledger.writes(report.runId);
    expect(recorded.map((r) => [r.action.kind, r.action.status])).toEqual([
      ['remove-snapshot-extension', 'failed'],
      ['trigger-backup', 'skipped'],
    ]);
  });
});

describe('a Retry-After too long to sit out', () => {
  test('stops that VM with "throttled, retry later" and the run still completes', async () => {
    const e = await env(
      oneVaultEstate({
        vms: [vmSpec('vm-slowarm'), vmSpec('vm-fine')],
        jobs: [
          failedJob('00000000-0000-4000-8000-00000000c101', 'vm-slowarm', 'BackUpOperationFailedV2'),
          failedJob('00000000-0000-4000-8000-00000000c102', 'vm-fine', 'BackUpOperationFailedV2'),
        ],
      }),
    );
    // The re-read of vm-slowarm's protected item just before Backup Now asks for a two-minute wait.
    e.emu.faults.add({ method: 'GET', path: '*/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-slowarm', status: 429, retryAfterSeconds: 120, times: 1 });
    const report = await e.run('apply');
    const slow = report.items.find((i) => i.vmId.endsWith('vm-slowarm'))!;
    const fine = report.items.find((i) => i.vmId.endsWith('vm-fine'))!;
    expect(slow.actions.map((a) => a.status)).toEqual(['failed']);
    expect(slow.actions[0].detail).toMatch(/throttled by ARM, retry later/);
    expect(fine.actions.map((a) => a.status)).toEqual(['applied']);
    expect(fine.verification?.outcome).toBe('resolved');
    const posts = succeeded(e).filter((w) => w.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(lc(posts[0].path)).toContain('vm-fine');
  });
});

describe('a long-running operation that fails midway', () => {
  test('the VM’s plan stops at the failed delete; Backup Now is skipped and both are recorded', async () => {
    const e = await env(extensionFailure());
    // The delete is accepted, then every poll of its operation fails.
    e.emu.faults.add({ method: 'GET', path: '*/operation*', status: 500, errorCode: 'InternalServerError', times: 50 });
    const report = await e.run('apply');
    const item = report.items[0];
    expect(item.actions.map((a) => [a.kind, a.status])).toEqual([
      ['remove-snapshot-extension', 'failed'],
      ['trigger-backup', 'skipped'],
    ]);
    expect(item.actions[1].detail).toMatch(/remove-snapshot-extension/);
    expect(item.findings.map((f) => f.kind)).toContain('action-failed');
    expect(e.writes().filter((w) => w.method === 'POST')).toEqual([]);
    const recorded = await e.ledger.writes(report.runId);
    // In the order they were written, even within one (simulated) millisecond.
    expect(recorded.map((r) => [r.action.kind, r.action.status])).toEqual([
      ['remove-snapshot-extension', 'failed'],
      ['trigger-backup', 'skipped'],
    ]);
  });

  test('a delete refused outright stops the plan the same way', async () => {
    const e = await env(extensionFailure());
    e.emu.faults.add({ method: 'DELETE', path: '*/extensions/*', status: 400, errorCode: 'OperationNotAllowed', times: 10 });
    const report = await e.run('apply');
    expect(report.items[0].actions.map((a) => a.status)).toEqual(['failed', 'skipped']);
    expect(report.items[0].actions[0].detail).toMatch(/OperationNotAllowed/);
    expect(succeeded(e)).toEqual([]);
  });
});

describe('two concurrent runs on one VM', () => {
  test('exactly one Backup Now; the other run records lease-held', async () => {
    const e = await env(extensionFailure('vm-race'));
    // Latency widens the window in which both runs want the VM.
    e.emu.setLatency(15);
    const [a, b] = await Promise.all([e.run('apply'), e.run('apply')]);
    const posts = succeeded(e).filter((w) => w.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(lc(posts[0].path)).toContain(lc(`protectedItems/VM;iaasvmcontainerv2;${RG};vm-race`));
    const deletes = succeeded(e).filter((w) => w.method === 'DELETE');
    expect(deletes.map((w) => lc(w.path))).toEqual([lc(ids.extension(SUB, RG, 'vm-race', 'VMSnapshot'))]);
    const applied = [a, b].map((r) => r.summary.writes ?? 0).sort();
    expect(applied).toEqual([0, 2]);
    const loser = a.summary.writes === 0 ? a : b;
    expect(loser.items[0].findings.map((f) => f.kind)).toContain('lease-held');
  });
});
