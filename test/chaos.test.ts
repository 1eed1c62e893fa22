// Chaos: the CLI's `apply` against one long-lived simulated Azure (real-time clock) and one ledger in
// Azurite, with 20% injected faults (lost responses on Backup Now, 503s, dropped connections) and the
// process SIGKILLed at seeded random moments several times, then run to completion. Whatever the
// kills interrupted, the ledger must account for every write ARM served, nothing may be written twice
// or stacked, every failed job must end somewhere, and no run or verification may be left open.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { start, type Emulator } from '../emulator/index';
import { generateEstate } from '../emulator/generate';
import { seededRandom } from '../emulator/random';
import { createLedger } from '../lib/ledger';
import type { RunReport } from '../lib/types';
import { uniquePrefix, useAzurite } from './helpers/azurite';

jest.setTimeout(9 * 60_000);
const azurite = useAzurite();
const BIN = path.join(__dirname, '..', 'bin', 'backup-remediator.js');
const KILLS = 5;

let emu: Emulator | undefined;
let tmp: string | undefined;
afterAll(async () => {
  await emu?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Outcome { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs `apply`; with `killWhen` the process is SIGKILLed once it resolves (if it is still running). */
function apply(env: Record<string, string>, killWhen?: (exited: () => boolean) => Promise<void>): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'apply', '--yes', '--quiet', '--output', 'json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exited = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    void killWhen?.(() => exited).then(() => {
      if (!exited) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function chaosEstate() {
  // The emulator's clock runs a little ahead of this host's: a job it starts is never dated before the request.
  const estate = generateEstate({ subscriptions: 1, vaultsPerSubscription: 2, vmsPerVault: 12, failureRate: 0.75, seed: 41, now: new Date(Date.now() + 2_000).toISOString() });
  estate.simulation = {
    ...estate.simulation,
    latencyMs: { min: 5, max: 25 },
    backupDurationSeconds: 2,
    faults: [
      { method: 'POST', path: '*/backup', kind: 'lost-response', probability: 0.2 },
      { method: 'DELETE', path: '/subscriptions/*', status: 503, probability: 0.2 },
      { method: 'GET', path: '/subscriptions/*', status: 503, probability: 0.1 },
      { method: 'GET', path: '/subscriptions/*', kind: 'reset', probability: 0.1 },
    ],
  };
  return estate;
}

const lc = (s: string) => s.toLowerCase();

test('SIGKILLs at random moments under 20% faults: every served write recorded, none repeated or stacked, everything ends', async () => {
  const estate = chaosEstate();
  const subscriptionId = estate.subscriptions[0].id;
  const failedJobs = estate.subscriptions.flatMap((s) => s.resourceGroups.flatMap((g) => g.vaults.flatMap((v) => v.jobs.filter((j) => j.status === 'Failed').map((j) => ({ vault: v.name, rg: g.name, name: j.name })))));
  emu = await start({ estate, realTimeClock: true, seed: 2026 });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-'));
  const ca = path.join(tmp, 'ca.pem');
  fs.writeFileSync(ca, emu.ca);
  const prefix = uniquePrefix('chaos');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: tmp,
    ARM_ENDPOINT: emu.endpoint,
    NODE_EXTRA_CA_CERTS: ca,
    IDENTITY_ENDPOINT: `${emu.endpoint.replace(/^https:/, 'http:')}/msi/token`,
    IDENTITY_HEADER: 'chaos',
    AzureWebJobsStorage: azurite().connectionString,
    REMEDIATION_LEDGER_PREFIX: prefix,
    REMEDIATION_SUBSCRIPTIONS: subscriptionId,
    REMEDIATION_COOLDOWN: '0s',
    REMEDIATION_VERIFY_TIMEOUT: '5s',
    REMEDIATION_CONCURRENCY: '4',
  };

  const rand = seededRandom(9);
  const ledger = await createLedger({ connectionString: azurite().connectionString, prefix });
  const seen = new Set<string>();
  const killed: number[] = [];
  for (let i = 0; i < KILLS; i++) {
    // The first kill lands while the process is still starting (before its run row); the others a
    // seeded moment after the run has started: mid-discovery, mid-write, mid-verification.
    const delay = Math.round(rand() * 4_000);
    const r = await apply(env, async (exited) => {
      if (i === 0) return sleep(300);
      for (;;) {
        const fresh = (await ledger.runningRuns()).filter((x) => !seen.has(x.runId));
        if (fresh.length > 0 || exited()) {
          fresh.forEach((x) => seen.add(x.runId));
          break;
        }
        await sleep(50);
      }
      await sleep(delay);
    });
    if (r.signal === 'SIGKILL') killed.push(i === 0 ? 300 : delay);
  }
  // To completion: a second full run verifies what the first one left and meets what it closed.
  const finals: RunReport[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await apply(env);
    expect(r.signal).toBeNull();
    expect([0, 3]).toContain(r.code);
    finals.push(JSON.parse(r.stdout) as RunReport);
  }

  // Every write ARM served (answered below 400, or took effect with its answer lost) has its ledger row.
  const writesTable = TableClient.fromConnectionString(azurite().connectionString, `${prefix}Writes`, { allowInsecureConnection: true });
  const rows: { method: string; target: string; phase: string; runId: string }[] = [];
  for await (const r of writesTable.listEntities<Record<string, unknown>>()) rows.push({ method: String(r.method), target: lc(String(r.target)), phase: String(r.phase), runId: String(r.runId) });
  const sentRows = rows.filter((r) => r.phase !== 'not-sent');
  const served = emu.requests.writes().filter((w) => w.status > 0 && (w.status < 400 || w.lostResponse));
  const unrecorded = served.filter((w) => !sentRows.some((r) => r.method === w.method && (lc(w.path) === r.target || lc(w.path) === `${r.target}/backup`)));
  expect(unrecorded).toEqual([]);

  // No target written twice: one effective DELETE per resource, one Backup Now per protected item.
  const effective = served.filter((w) => w.method === 'POST' || w.status === 200 || w.status === 202);
  const perTarget = new Map<string, number>();
  for (const w of effective) perTarget.set(`${w.method} ${lc(w.path)}`, (perTarget.get(`${w.method} ${lc(w.path)}`) ?? 0) + 1);
  const twice = [...perTarget].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);

  // No stacked backups: the Backup Nows of one VM never overlap.
  const triggered = emu.state.estate.subscriptions.flatMap((s) => s.resourceGroups.flatMap((g) => g.vaults.flatMap((v) => v.jobs.filter((j) => j.isUserTriggered))));
  const byVm = new Map<string, typeof triggered>();
  for (const j of triggered) byVm.set(lc(j.vmId), [...(byVm.get(lc(j.vmId)) ?? []), j]);
  let stacked = 0;
  for (const jobs of byVm.values()) {
    const sorted = [...jobs].sort((a, b) => a.startTime.localeCompare(b.startTime));
    for (let i = 1; i < sorted.length; i++) if (!sorted[i - 1].endTime || sorted[i - 1].endTime! > sorted[i].startTime) stacked += 1;
  }
  expect(stacked).toBe(0);

  // Every failed job ends: resolved, escalated, reported (a finding) or skipped with a reason.
  const last = finals[finals.length - 1];
  const ended = (jobName: string): boolean => {
    const items = finals.flatMap((f) => f.items).filter((i) => lc(i.jobId).endsWith(`/${lc(jobName)}`));
    const notes = finals.flatMap((f) => f.notes ?? []).filter((n) => n.jobId && lc(n.jobId).endsWith(`/${lc(jobName)}`) && n.reason);
    return notes.length > 0 || items.some((i) => i.verification?.outcome !== 'pending' && (i.verification || i.findings.length > 0 || i.actions.every((a) => a.status && a.status !== 'proposed' && a.detail !== undefined)));
  };
  const open = failedJobs.filter((j) => !ended(j.name));
  expect(open).toEqual([]);

  // No run left running, no verification left pending.
  expect(await ledger.runningRuns()).toEqual([]);
  expect(await ledger.pendingVerifications()).toEqual([]);
  const runsTable = TableClient.fromConnectionString(azurite().connectionString, `${prefix}Runs`, { allowInsecureConnection: true });
  const statuses: Record<string, number> = {};
  const abandonedIds: string[] = [];
  for await (const r of runsTable.listEntities<Record<string, unknown>>({ queryOptions: { filter: "RowKey eq 'run'" } })) {
    statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
    if (r.status === 'abandoned') abandonedIds.push(String(r.runId));
  }

  // A killed run that had started is closed as abandoned, its report rebuilt from the ledger.
  for (const r of rows.map((x) => x.runId).filter((id, i, all) => all.indexOf(id) === i)) {
    const run = await ledger.getRun(r);
    expect(run?.status).not.toBe('running');
    if (run?.status === 'abandoned') expect(run.report?.notes?.[0]?.reason).toMatch(/^run abandoned: /);
  }

  const figures = {
    failedJobs: failedJobs.length,
    kills: killed.length,
    killMomentsMs: killed,
    runs: statuses,
    armWritesServed: served.length,
    lostResponses: served.filter((w) => w.lostResponse).length,
    ledgerWriteRows: rows.length,
    intentOnlyRows: rows.filter((r) => r.phase === 'intent').length,
    unrecordedWrites: unrecorded.length,
    targetsWrittenTwice: twice.length,
    stackedBackups: stacked,
    backupNows: triggered.length,
    finalSummary: last.summary,
  };
  process.stdout.write(`chaos figures: ${JSON.stringify(figures)}\n`);

  // The CLI shows a killed run: its status and the writes it sent.
  const abandonedId = abandonedIds[0];
  expect(abandonedId).toBeDefined();
  if (abandonedId) {
    const shown = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'run', abandonedId], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', () => resolve(out));
    });
    expect(JSON.parse(shown)).toMatchObject({ runId: abandonedId, status: 'abandoned', writes: expect.any(Array) });
  }

  expect(killed.length).toBeGreaterThanOrEqual(3);
  expect(statuses.running ?? 0).toBe(0);
});
