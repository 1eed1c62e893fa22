import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { createLedger, LedgerStorageError, storageFromEnv, type Ledger } from '../lib/ledger';
import type { PlanItem, PlannedAction, RunReport } from '../lib/types';
import { uniquePrefix, useAzurite } from './helpers/azurite';

const azurite = useAzurite();

const VM = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1';
const VM10 = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web10';
const JOB =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/vault1/backupJobs/6f1c3f7e-0000-4000-8000-000000000001';

async function ledger(extra: { now?: () => Date } = {}): Promise<Ledger> {
  return createLedger({ connectionString: azurite().connectionString, prefix: uniquePrefix('lg'), ...extra });
}

function report(runId: string, items: PlanItem[] = []): RunReport {
  return {
    schemaVersion: 1,
    mode: 'apply',
    runId,
    startedAt: '2025-06-01T10:00:00.000Z',
    finishedAt: '2025-06-01T10:05:00.000Z',
    items,
    summary: { items: items.length },
  };
}

function item(n: number, evidenceBytes = 0): PlanItem {
  return {
    vmId: `${VM}${n}`,
    jobId: `${JOB}${n}`,
    failure: { code: 'UserErrorRestorePointCollectionLimitReached', signals: [{ source: 'errorCode', value: 'x' }], automation: 'auto' },
    actions: [
      {
        kind: 'delete-restore-point-collection',
        target: `${VM}/restorePointCollections/rpc${n}`,
        method: 'DELETE',
        reason: 'The VM is at the 18 restore point limit',
        // Random hex does not compress much: the report really is large after gzip.
        evidence: { blob: evidenceBytes ? randomBytes(evidenceBytes / 2).toString('hex') : '' },
        status: 'applied',
      },
    ],
    findings: [],
  };
}

describe('tables and keys', () => {
  test('creates one alphanumeric table per concern, derived from the prefix', async () => {
    const prefix = uniquePrefix('tbl');
    const l = await createLedger({ connectionString: azurite().connectionString, prefix });
    expect(l.tables).toEqual({
      runs: `${prefix}Runs`,
      decisions: `${prefix}Decisions`,
      writes: `${prefix}Writes`,
      attempts: `${prefix}Attempts`,
      leases: `${prefix}Leases`,
      control: `${prefix}Control`,
      events: `${prefix}Events`,
      failures: `${prefix}Failures`,
    });
    // The tables exist: a direct client can query each without a 404.
    for (const name of Object.values(l.tables)) {
      const c = TableClient.fromConnectionString(azurite().connectionString, name, { allowInsecureConnection: true });
      // A missing table answers 404 here, which rejects.
      await expect(c.listEntities().next()).resolves.toEqual({ done: true, value: undefined });
    }
    // Opening again over existing tables is fine.
    await expect(createLedger({ connectionString: azurite().connectionString, prefix })).resolves.toBeDefined();
  });

  test('rejects a prefix that cannot form a table name, naming the setting', async () => {
    await expect(createLedger({ connectionString: azurite().connectionString, prefix: 'bad-prefix' })).rejects.toThrow(
      /REMEDIATION_LEDGER_PREFIX/,
    );
    await expect(createLedger({ connectionString: azurite().connectionString, prefix: '9lives' })).rejects.toThrow(/starting with a letter/);
  });

  test('without storage settings it says how to configure them', async () => {
    await expect(createLedger({})).rejects.toThrow(/AzureWebJobsStorage/);
  });

  test('storage errors name the table and the operation', async () => {
    const l = await createLedger({
      // Nothing listens on port 9 of loopback: every call fails at the transport.
      connectionString: azurite().connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'TableEndpoint=http://127.0.0.1:9'),
      prefix: 'unreachable',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(l).toBeInstanceOf(LedgerStorageError);
    expect((l as LedgerStorageError).message).toMatch(/^ledger create table failed on table unreachable\w+/);
  });
});

describe('runs', () => {
  test('startRun then getRun shows a running run; finishRun stores the report', async () => {
    const l = await ledger();
    const startedAt = new Date('2025-06-01T10:00:00.000Z');
    await l.startRun({ runId: 'run-1', mode: 'plan', trigger: 'cli', scope: { subscriptions: ['s1'] }, startedAt });
    expect(await l.getRun('run-1')).toEqual({
      runId: 'run-1',
      status: 'running',
      mode: 'plan',
      trigger: 'cli',
      scope: { subscriptions: ['s1'] },
      startedAt,
    });
    const r = report('run-1', [item(1)]);
    await l.finishRun('run-1', r);
    const got = await l.getRun('run-1');
    expect(got?.status).toBe('finished');
    expect(got?.report).toEqual(r);
    expect(got?.finishedAt).toEqual(new Date(r.finishedAt));
    expect(got?.trigger).toBe('cli');
  });

  test('a run id used twice is refused with a clear error', async () => {
    const l = await ledger();
    const run = { runId: 'dup', mode: 'apply' as const, trigger: 'timer', scope: {}, startedAt: new Date() };
    await l.startRun(run);
    await expect(l.startRun(run)).rejects.toThrow(/run dup already exists/);
  });

  test('unknown and odd run ids read as undefined, never as a storage error', async () => {
    const l = await ledger();
    expect(await l.getRun('no-such-run')).toBeUndefined();
    expect(await l.getRun("../x?y#z/'or'1'='1")).toBeUndefined();
    expect(await l.getRun('')).toBeUndefined();
  });

  test('a run id with characters forbidden in keys still round-trips', async () => {
    const l = await ledger();
    const id = 'http/run#1?x';
    await l.startRun({ runId: id, mode: 'plan', trigger: 'http', scope: null, startedAt: new Date() });
    await l.finishRun(id, report(id));
    expect((await l.getRun(id))?.report?.runId).toBe(id);
  });

  test('a 1 MB report is split over rows and reassembled exactly', async () => {
    const l = await ledger();
    const items = Array.from({ length: 64 }, (_, i) => item(i, 16 * 1024));
    const big = report('run-big', items);
    const size = Buffer.byteLength(JSON.stringify(big));
    expect(size).toBeGreaterThan(1_000_000);
    await l.startRun({ runId: 'run-big', mode: 'apply', trigger: 'timer', scope: {}, startedAt: new Date(big.startedAt) });
    await l.finishRun('run-big', big);
    const got = await l.getRun('run-big');
    expect(got?.report).toEqual(big);
    // It really was chunked: several rows in the run's partition, none over the 64 KiB property limit.
    const runs = TableClient.fromConnectionString(azurite().connectionString, l.tables.runs, { allowInsecureConnection: true });
    const rows = [];
    for await (const e of runs.listEntities<{ data?: Uint8Array }>({ queryOptions: { filter: "PartitionKey eq 'run-big'" } })) rows.push(e);
    const pieces = rows.filter((r) => r.rowKey?.startsWith('report_'));
    expect(pieces.length).toBeGreaterThan(4);
    for (const p of pieces) expect(p.data!.byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  test('finishRun without startRun still records a finished run', async () => {
    const l = await ledger();
    const r = report('orphan');
    await l.finishRun('orphan', r);
    const got = await l.getRun('orphan');
    expect(got).toMatchObject({ runId: 'orphan', status: 'finished', mode: 'apply', startedAt: new Date(r.startedAt) });
    expect(got?.report).toEqual(r);
  });
});

describe('decisions and writes', () => {
  test('decisions are one row per job per run, last write wins', async () => {
    const l = await ledger();
    const a = item(1);
    await l.recordDecision('run-d', a);
    await l.recordDecision('run-d', { ...a, actions: [{ ...a.actions[0], status: 'failed', detail: 'LRO failed' }] });
    await l.recordDecision('run-d', item(2));
    await l.recordDecision('other-run', item(3));
    const ds = await l.decisions('run-d');
    expect(ds.map((d) => d.jobId).sort()).toEqual([`${JOB}1`, `${JOB}2`]);
    expect(ds.find((d) => d.jobId === `${JOB}1`)?.actions[0].status).toBe('failed');
  });

  test('every write attempt is kept with its outcome, in order', async () => {
    const l = await ledger();
    const action: PlannedAction = { kind: 'trigger-backup', target: `${JOB}/pi`, method: 'POST', reason: 'r', evidence: {} };
    await l.recordWrite('run-w', VM, { ...action, status: 'applied', result: { jobId: 'j1' } });
    await l.recordWrite('run-w', VM, { ...action, kind: 'remove-snapshot-extension', method: 'DELETE', status: 'failed', detail: 'boom' });
    const ws = await l.writes('run-w');
    expect(ws).toHaveLength(2);
    expect(ws.map((w) => [w.vmId, w.action.kind, w.action.status])).toEqual([
      [VM, 'trigger-backup', 'applied'],
      [VM, 'remove-snapshot-extension', 'failed'],
    ]);
    expect(ws[0].action.result).toEqual({ jobId: 'j1' });
    expect(await l.writes('run-none')).toEqual([]);
  });

  test('an action with oversized evidence is still recorded by its summary', async () => {
    const l = await ledger();
    const huge: PlannedAction = {
      kind: 'trigger-backup',
      target: `${JOB}/pi`,
      method: 'POST',
      reason: 'r',
      evidence: { blob: randomBytes(1_200_000).toString('base64') },
      status: 'applied',
    };
    await l.recordWrite('run-huge', VM, huge);
    const [w] = await l.writes('run-huge');
    expect(w.action).toMatchObject({ kind: 'trigger-backup', target: `${JOB}/pi`, method: 'POST', status: 'applied' });
    expect(w.action.evidence).toEqual({});
  });
});

describe('attempts', () => {
  test('returns the attempts in the window, oldest first, per VM (case-insensitive id, no prefix confusion)', async () => {
    const l = await ledger();
    const t = (h: number) => new Date(Date.UTC(2025, 5, 1, h));
    await l.recordAttempt(VM, { runId: 'r1', jobId: 'j1', at: t(1), outcome: 'started' });
    await l.recordAttempt(VM, { runId: 'r1', jobId: 'j1', at: t(2), outcome: 'resolved' });
    await l.recordAttempt(VM.toUpperCase(), { runId: 'r2', jobId: 'j2', at: t(5), outcome: 'escalated' });
    await l.recordAttempt(VM10, { runId: 'r3', jobId: 'j3', at: t(5), outcome: 'started' });

    expect(await l.attempts(VM, t(2))).toEqual([
      { runId: 'r1', jobId: 'j1', at: t(2), outcome: 'resolved' },
      { runId: 'r2', jobId: 'j2', at: t(5), outcome: 'escalated' },
    ]);
    expect((await l.attempts(VM.toLowerCase(), t(0))).map((a) => a.outcome)).toEqual(['started', 'resolved', 'escalated']);
    expect(await l.attempts(VM, t(6))).toEqual([]);
    expect((await l.attempts(VM10, t(0))).map((a) => a.runId)).toEqual(['r3']);
  });
});

describe('same-millisecond rows', () => {
  test('attempts and writes written in the same millisecond come back in the order they were recorded', async () => {
    const at = new Date(Date.UTC(2025, 5, 1, 3));
    const l = await ledger({ now: () => at });
    const outcomes = ['started', 'pending', 'resolved', 'started', 'escalated', 'started', 'blocked', 'failed'];
    for (const outcome of outcomes) await l.recordAttempt(VM, { runId: 'r1', jobId: 'j1', at, outcome });
    expect((await l.attempts(VM, at)).map((a) => a.outcome)).toEqual(outcomes);
    const action: PlannedAction = { kind: 'trigger-backup', target: `${JOB}/pi`, method: 'POST', reason: 'r', evidence: {} };
    const statuses = ['applied', 'blocked', 'skipped', 'failed', 'applied', 'skipped', 'blocked', 'applied'] as const;
    for (const [i, status] of statuses.entries()) await l.recordWrite('run-ms', VM, { ...action, target: `${JOB}/pi${i}`, status });
    expect((await l.writes('run-ms')).map((w) => [w.action.target, w.action.status])).toEqual(statuses.map((s, i) => [`${JOB}/pi${i}`, s]));
  });
});

describe('pending verifications', () => {
  test('lists VMs whose latest attempt is pending, whatever its age; a later outcome or attempt removes it', async () => {
    const l = await ledger();
    const t = (h: number) => new Date(Date.UTC(2025, 0, 1, h));
    await l.recordAttempt(VM, { runId: 'r1', jobId: `${JOB}1`, at: t(0), outcome: 'started' });
    await l.recordAttempt(VM, { runId: 'r1', jobId: `${JOB}-backup`, failedJobId: `${JOB}1`, at: t(0), outcome: 'pending' });
    await l.recordAttempt(VM10, { runId: 'r2', jobId: `${JOB}-b10`, at: t(5), outcome: 'pending' });
    expect(await l.pendingVerifications()).toEqual([
      { vmId: VM, runId: 'r1', jobId: `${JOB}-backup`, failedJobId: `${JOB}1`, at: t(0) },
      { vmId: VM10, runId: 'r2', jobId: `${JOB}-b10`, at: t(5) },
    ]);
    // Verified by a later run: gone from the list (and its index row is dropped).
    await l.recordAttempt(VM, { runId: 'r1', jobId: `${JOB}-backup`, failedJobId: `${JOB}1`, at: t(30), outcome: 'resolved' });
    // A newer attempt on the other VM supersedes its pending one too.
    await l.recordAttempt(VM10, { runId: 'r3', jobId: `${JOB}2`, at: t(6), outcome: 'started' });
    expect(await l.pendingVerifications()).toEqual([]);
    const index = TableClient.fromConnectionString(azurite().connectionString, l.tables.control, { allowInsecureConnection: true });
    const rows = [];
    for await (const r of index.listEntities({ queryOptions: { filter: "PartitionKey eq 'pendingVerification'" } })) rows.push(r);
    expect(rows).toEqual([]);
  });
});

describe('leases', () => {
  test('of 10 concurrent acquirers of one VM exactly one wins', async () => {
    const l = await ledger();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => l.acquireLease(VM, `run-${i}`, 60_000)));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.vmId).toBe(VM);
    expect(winners[0]!.etag).toMatch(/\S/);
    // Other VMs are independent.
    expect(await l.acquireLease(VM10, 'run-x', 60_000)).toBeDefined();
  });

  test('two ledgers (two instances) racing over the same tables: exactly one wins', async () => {
    const prefix = uniquePrefix('race');
    const [a, b] = await Promise.all([
      createLedger({ connectionString: azurite().connectionString, prefix }),
      createLedger({ connectionString: azurite().connectionString, prefix }),
    ]);
    const results = await Promise.all([...Array(5)].flatMap((_, i) => [a.acquireLease(VM, `a${i}`, 60_000), b.acquireLease(VM, `b${i}`, 60_000)]));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  test('a held lease blocks others until released; release then lets the next one in', async () => {
    const l = await ledger();
    const lease = await l.acquireLease(VM, 'timer-run', 60_000);
    expect(lease).toMatchObject({ vmId: VM, owner: 'timer-run' });
    expect(await l.acquireLease(VM.toLowerCase(), 'http-run', 60_000)).toBeUndefined();
    await l.releaseLease(lease!);
    expect(await l.acquireLease(VM, 'http-run', 60_000)).toMatchObject({ owner: 'http-run' });
  });

  test('an expired lease is taken over, once, and the old holder cannot release the new lease', async () => {
    let now = new Date('2025-06-01T10:00:00Z');
    const l = await ledger({ now: () => now });
    const old = await l.acquireLease(VM, 'crashed-run', 1_000);
    expect(old).toBeDefined();
    now = new Date(now.getTime() + 500);
    expect(await l.acquireLease(VM, 'early', 60_000)).toBeUndefined();
    now = new Date(now.getTime() + 1_000);
    const takers = await Promise.all(Array.from({ length: 6 }, (_, i) => l.acquireLease(VM, `taker-${i}`, 60_000)));
    const won = takers.filter((t) => t !== undefined);
    expect(won).toHaveLength(1);
    // The crashed run comes back and releases with its stale ETag: the new lease survives.
    await l.releaseLease(old!);
    expect(await l.acquireLease(VM, 'late', 60_000)).toBeUndefined();
    await l.releaseLease(won[0]!);
    expect(await l.acquireLease(VM, 'late', 60_000)).toBeDefined();
  });

  test('the same owner renews its own lease', async () => {
    const l = await ledger();
    const first = await l.acquireLease(VM, 'run-1', 60_000);
    const again = await l.acquireLease(VM, 'run-1', 120_000);
    expect(again).toBeDefined();
    expect(again!.etag).not.toBe(first!.etag);
    expect(again!.expiresAt.getTime()).toBeGreaterThan(first!.expiresAt.getTime());
  });

  test('bad arguments are refused before touching storage', async () => {
    const l = await ledger();
    await expect(l.acquireLease(VM, 'o', 0)).rejects.toThrow(/ttlMs/);
    await expect(l.acquireLease('', 'o', 10)).rejects.toThrow(/vmId/);
  });
});

describe('kill switch', () => {
  test('off by default, flips on and off, visible to another ledger on the same tables', async () => {
    const prefix = uniquePrefix('ks');
    const a = await createLedger({ connectionString: azurite().connectionString, prefix });
    const b = await createLedger({ connectionString: azurite().connectionString, prefix });
    expect(await a.killSwitch()).toBe(false);
    await a.setKillSwitch(true, 'oncall@example.com');
    expect(await b.killSwitch()).toBe(true);
    await b.setKillSwitch(false, 'oncall@example.com');
    expect(await a.killSwitch()).toBe(false);
  });

  test('a control row written by hand (Storage Explorer, az storage entity: strings) stops writes; only an explicit off is off', async () => {
    const l = await ledger();
    const control = TableClient.fromConnectionString(azurite().connectionString, l.tables.control, { allowInsecureConnection: true });
    const byHand = (on: unknown) => control.upsertEntity({ partitionKey: 'control', rowKey: 'killSwitch', ...(on === undefined ? {} : { on }) }, 'Replace');
    for (const on of ['true', 'True', ' TRUE ', 1, 'on', 'yes', 'ture', undefined]) {
      await byHand(on);
      expect([on, await l.killSwitch()]).toEqual([on, true]);
    }
    for (const on of [false, 'false', 'False', 0, '0', 'off', 'no']) {
      await byHand(on);
      expect([on, await l.killSwitch()]).toEqual([on, false]);
    }
  });
});

describe('event claims', () => {
  test('3 concurrent claims of one key: exactly one true; replays stay false', async () => {
    const l = await ledger();
    const results = await Promise.all([l.claimEvent(JOB), l.claimEvent(JOB), l.claimEvent(JOB)]);
    expect(results.filter((r) => r)).toHaveLength(1);
    expect(await l.claimEvent(JOB.toUpperCase())).toBe(false);
    expect(await l.claimEvent(`${JOB}-other`)).toBe(true);
  });

  test('a claim with a TTL can be claimed again after it expires, by one claimer', async () => {
    let now = new Date('2025-06-01T10:00:00Z');
    const l = await ledger({ now: () => now });
    expect(await l.claimEvent('evt-1', 60_000)).toBe(true);
    now = new Date(now.getTime() + 30_000);
    expect(await l.claimEvent('evt-1', 60_000)).toBe(false);
    now = new Date(now.getTime() + 31_000);
    const again = await Promise.all([l.claimEvent('evt-1', 60_000), l.claimEvent('evt-1', 60_000), l.claimEvent('evt-1', 60_000)]);
    expect(again.filter((r) => r)).toHaveLength(1);
  });

  test('huge keys are fine', async () => {
    const l = await ledger();
    const key = 'k'.repeat(100_000);
    expect(await l.claimEvent(key)).toBe(true);
    expect(await l.claimEvent(key)).toBe(false);
  });
});

describe('failures', () => {
  test('are listed per kind and overall, oldest first, with their payload', async () => {
    const l = await ledger();
    await l.recordFailure('poison', 'msg-1', 'dequeued 5 times: ARM 500', { vmId: VM });
    await l.recordFailure('rejected-input', 'http', 'malformed JSON');
    await l.recordFailure('poison', 'msg-2', 'invalid vmId', { vmId: '../x' });
    const poison = await l.failures('poison');
    expect(poison.map((f) => [f.kind, f.key, f.reason, f.payload])).toEqual([
      ['poison', 'msg-1', 'dequeued 5 times: ARM 500', { vmId: VM }],
      ['poison', 'msg-2', 'invalid vmId', { vmId: '../x' }],
    ]);
    expect(poison[0].at).toBeInstanceOf(Date);
    expect((await l.failures()).map((f) => f.key).sort()).toEqual(['http', 'msg-1', 'msg-2']);
    expect(await l.failures('nothing')).toEqual([]);
  });

  test('an oversized payload does not lose the failure record', async () => {
    const l = await ledger();
    await l.recordFailure('rejected-input', 'big', 'body too large', { body: randomBytes(1_200_000).toString('base64') });
    const [f] = await l.failures('rejected-input');
    expect(f).toMatchObject({ key: 'big', reason: 'body too large' });
    expect(f.payload).toBeUndefined();
  });
});

describe('storageFromEnv', () => {
  test('connection string, identity-based account, nothing, and bad values', () => {
    expect(storageFromEnv({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toEqual({
      kind: 'connection-string',
      connectionString: 'UseDevelopmentStorage=true',
    });
    expect(storageFromEnv({ AzureWebJobsStorage__accountName: 'stremediator01', AZURE_CLIENT_ID: 'cid' })).toEqual({
      kind: 'identity',
      tableEndpoint: 'https://stremediator01.table.core.windows.net',
      queueEndpoint: 'https://stremediator01.queue.core.windows.net',
      clientId: 'cid',
    });
    expect(storageFromEnv({})).toBeUndefined();
    expect(() => storageFromEnv({ AzureWebJobsStorage: 'hello' })).toThrow(/AzureWebJobsStorage/);
    expect(() => storageFromEnv({ AzureWebJobsStorage__accountName: 'Bad_Name' })).toThrow(/AzureWebJobsStorage__accountName/);
  });
});

describe('write-ahead rows, heartbeat and abandoned runs', () => {
  const action: PlannedAction = { kind: 'trigger-backup', target: `${JOB}/pi`, method: 'POST', reason: 'r', evidence: {} };

  test('an intent is recorded before the write and its outcome lands on the same row; an unanswered intent stays visible', async () => {
    const l = await ledger();
    const requestedAt = new Date('2026-11-20T06:00:00.000Z');
    const key = await l.recordIntent('run-wa', VM, action, requestedAt);
    expect((await l.writes('run-wa')).map((w) => [w.phase, w.action.status, w.requestedAt])).toEqual([['intent', undefined, requestedAt]]);
    await l.recordOutcome('run-wa', key, VM, { ...action, status: 'applied', result: { jobId: 'j1' } });
    await l.recordIntent('run-wa', VM, { ...action, target: `${JOB}/pi2` }, requestedAt);
    await l.recordWrite('run-wa', VM, { ...action, target: `${JOB}/pi3`, status: 'skipped', detail: 'the earlier step failed' });
    const ws = await l.writes('run-wa');
    expect(ws.map((w) => [w.action.target, w.phase, w.action.status])).toEqual([
      [`${JOB}/pi`, 'answered', 'applied'],
      [`${JOB}/pi2`, 'intent', undefined],
      [`${JOB}/pi3`, 'not-sent', 'skipped'],
    ]);
    expect(ws[0].action.result).toEqual({ jobId: 'j1' });
  });

  test('a running run is listed with its host, process and heartbeat; abandoning is conditional and frees its leases', async () => {
    const l = await ledger();
    await l.startRun({ runId: 'r-dead', mode: 'apply', trigger: 'cli', scope: {}, startedAt: new Date(), host: 'h1', pid: 42 });
    await l.heartbeat('r-dead');
    const [listed] = await l.runningRuns();
    expect(listed).toMatchObject({ runId: 'r-dead', host: 'h1', pid: 42, heartbeatAt: expect.any(Date) });
    const lease = await l.acquireLease(VM, 'r-dead', 60_000);
    expect(lease).toBeDefined();
    expect(await l.markAbandoned('r-dead', 'r-next', report('r-dead'))).toBe(true);
    expect(await l.markAbandoned('r-dead', 'r-other', report('r-dead'))).toBe(false);
    expect(await l.releaseLeasesOf('r-dead')).toBe(1);
    expect(await l.acquireLease(VM, 'r-next', 60_000)).toBeDefined();
    const run = await l.getRun('r-dead');
    expect(run).toMatchObject({ status: 'abandoned', abandonedBy: 'r-next', abandonedAt: expect.any(Date), lastHeartbeatAt: expect.any(Date), report: report('r-dead') });
    expect(await l.runningRuns()).toEqual([]);
  });

  test('a finished run is never marked abandoned', async () => {
    const l = await ledger();
    await l.startRun({ runId: 'r-done', mode: 'plan', trigger: 'cli', scope: {}, startedAt: new Date() });
    await l.finishRun('r-done', report('r-done'));
    expect(await l.markAbandoned('r-done', 'r-next', report('r-done'))).toBe(false);
    expect((await l.getRun('r-done'))?.status).toBe('finished');
  });
});
