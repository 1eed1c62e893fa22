// Saved plans through the CLI on an estate file: `plan --out` then `apply --plan` executes exactly
// the saved actions; a fact changed in the estate between the two refuses that action (reported,
// not executed) and the rest of its VM's plan; an expired, edited or other-scope plan is refused
// before any ARM request; interactive apply executes the plan it showed, without planning again.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import type { Emulator } from '../emulator/index';
import { sampleEstatePath } from '../emulator/sample';
import { parsePlanFile, PLAN_FILE_SCHEMA_VERSION } from '../lib/plan-file';
import { startAzurite } from '../emulator/azurite';
import type { PlannedAction, RunReport } from '../lib/types';

interface Outcome { code: number; stdout: string; stderr: string; emulators: Emulator[] }

let storage: Awaited<ReturnType<typeof startAzurite>>;
let tmp: string;

beforeAll(async () => {
  storage = await startAzurite({ silent: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-file-'));
}, 60_000);

afterAll(async () => {
  await storage?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function cli(args: string[], opts: { prefix?: string; answer?: (emu: Emulator) => string } = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const emulators: Emulator[] = [];
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = opts.answer !== undefined;
  // A real stream: the confirmation's readline listens on it like on a terminal.
  const err = new PassThrough();
  err.setEncoding('utf8');
  err.on('data', (s: string) => {
    stderr += s;
    // The confirmation prompt: answer as the operator would, after looking at the emulator.
    if (opts.answer && s.includes('[y/N]')) setImmediate(() => stdin.write(opts.answer!(emulators[0])));
  });
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), columns: 200 },
    stderr: err,
    stdin,
    env: { AzureWebJobsStorage: storage.connectionString, REMEDIATION_LEDGER_PREFIX: opts.prefix ?? `p${Math.random().toString(36).slice(2, 10)}` },
    onEmulator: (e) => emulators.push(e),
  };
  const code = await main(args, io);
  return { code, stdout, stderr, emulators };
}

/** A private copy of the sample estate, so a test can change facts between plan and apply. */
function estateCopy(name: string): string {
  const file = path.join(tmp, `${name}.json`);
  fs.copyFileSync(sampleEstatePath(), file);
  return file;
}

function editEstate(file: string, edit: (estate: any) => void): void {
  const estate = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(estate);
  fs.writeFileSync(file, JSON.stringify(estate));
}

const key = (a: { kind: string; target: string }): string => `${a.kind} ${a.target.toLowerCase()}`;
const savedActions = (file: string): PlannedAction[] => parsePlanFile(fs.readFileSync(file, 'utf8')).items.flatMap((i) => i.actions);

/** Writes the emulator saw, as the action each one is: DELETE <target>, POST <protected item>/backup. */
function writesAsActions(emu: Emulator): string[] {
  return emu.requests.writes().map((w) => (w.method === 'DELETE' ? `${/\/extensions\//i.test(w.path) ? 'remove-snapshot-extension' : 'delete-restore-point-collection'} ${w.path.toLowerCase()}` : `trigger-backup ${w.path.replace(/\/backup$/i, '').toLowerCase()}`));
}

async function planTo(estate: string, out: string): Promise<RunReport> {
  const r = await cli(['plan', '--estate', estate, '--out', out, '-o', 'json', '-q']);
  expect(r.code).toBe(0);
  expect(r.emulators[0].requests.writes()).toEqual([]);
  return JSON.parse(r.stdout) as RunReport;
}

describe('plan --out / apply --plan', () => {
  it('round trip: the file holds the plan with its facts and digest; apply executes exactly those actions', async () => {
    const estate = estateCopy('round-trip');
    const file = path.join(tmp, 'round-trip.plan.json');
    const plan = await planTo(estate, file);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(saved.schemaVersion).toBe(PLAN_FILE_SCHEMA_VERSION);
    expect(saved.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const proposed = plan.items.flatMap((i) => i.actions);
    expect(savedActions(file).map(key).sort()).toEqual(proposed.map(key).sort());
    expect(savedActions(file).every((a) => Object.keys(a.evidence).length > 0)).toBe(true);

    const r = await cli(['apply', '--plan', file, '--estate', estate, '--yes', '-o', 'json', '-q']);
    const report = JSON.parse(r.stdout) as RunReport;
    const executed = report.items.flatMap((i) => i.actions);
    expect(executed.map(key).sort()).toEqual(proposed.map(key).sort());
    expect(executed.filter((a) => a.status === 'applied').length).toBeGreaterThan(0);
    // Every write the emulator saw is one of the saved actions, and every applied action was written.
    const writes = writesAsActions(r.emulators[0]);
    const savedKeys = new Set(proposed.map(key));
    for (const w of writes) expect(savedKeys).toContain(w);
    expect(writes.sort()).toEqual(executed.filter((a) => a.status === 'applied' || a.status === 'failed').map(key).sort());
    expect(r.code === 0 || r.code === 3).toBe(true);
  }, 180_000);

  it('a fact changed after planning refuses that action and the rest of its VM, and executes the others', async () => {
    const estate = estateCopy('changed');
    const file = path.join(tmp, 'changed.plan.json');
    await planTo(estate, file);
    const stuck = savedActions(file).find((a) => a.kind === 'remove-snapshot-extension' && /virtualMachines\/vm-ext-stuck\//i.test(a.target))!;
    expect(stuck).toBeDefined();
    // Someone repaired the extension by hand after the plan was reviewed.
    editEstate(estate, (e) => {
      const vm = e.subscriptions[0].resourceGroups.flatMap((g: any) => g.virtualMachines ?? []).find((v: any) => v.name === 'vm-ext-stuck');
      vm.extensions[0].provisioningState = 'Succeeded';
    });

    const r = await cli(['apply', '--plan', file, '--estate', estate, '--yes', '-o', 'json', '-q']);
    const report = JSON.parse(r.stdout) as RunReport;
    const item = report.items.find((i) => /virtualMachines\/vm-ext-stuck$/i.test(i.vmId))!;
    expect(item.actions[0].kind).toBe('remove-snapshot-extension');
    expect(item.actions[0].status).toBe('blocked');
    expect(item.actions[0].detail).toMatch(/^refused: the facts it relied on changed since the plan \(extension\)/);
    expect(item.actions.slice(1).every((a) => a.status === 'skipped')).toBe(true);
    expect(item.findings.some((f) => f.kind === 'precondition-changed')).toBe(true);
    // Nothing written for that VM; the other saved actions ran.
    const writes = writesAsActions(r.emulators[0]);
    expect(writes.filter((w) => /vm-ext-stuck/i.test(w))).toEqual([]);
    expect(writes.length).toBeGreaterThan(0);
  }, 180_000);

  it('an expired plan is refused before any ARM request (exit 2)', async () => {
    const estate = estateCopy('expired');
    const file = path.join(tmp, 'expired.plan.json');
    await planTo(estate, file);
    // A day and an hour later.
    editEstate(estate, (e) => (e.now = new Date(Date.parse(e.now) + 25 * 3_600_000).toISOString()));
    const r = await cli(['apply', '--plan', file, '--estate', estate, '--yes', '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: plan file .* refused: it was made .* older than the 24\.0 h allowed; plan again; nothing was executed\n$/);
    expect(r.emulators[0].requests.all()).toEqual([]);
    // A longer allowance accepts the same plan.
    const ok = await cli(['apply', '--plan', file, '--estate', estate, '--yes', '--max-plan-age', '2d', '-o', 'json', '-q']);
    expect(ok.stderr).not.toMatch(/refused/);
  }, 180_000);

  it('an edited plan or one for another scope is refused, nothing requested', async () => {
    const estate = estateCopy('edited');
    const file = path.join(tmp, 'edited.plan.json');
    await planTo(estate, file);
    const edited = path.join(tmp, 'edited-2.plan.json');
    fs.writeFileSync(edited, fs.readFileSync(file, 'utf8').replace(/vm-ext-stuck/g, 'vm-healthy'));
    const r1 = await cli(['apply', '--plan', edited, '--estate', estate, '--yes', '-q']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/digest does not match/);
    const r2 = await cli(['apply', '--plan', file, '--estate', estate, '--yes', '-q', '--subscription', '22222222-2222-2222-2222-222222222222']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/another scope/);
    for (const r of [r1, r2]) expect(r.emulators).toEqual([]);
  }, 180_000);
});

describe('interactive apply', () => {
  it('executes the plan it showed: no discovery after the operator said yes', async () => {
    let requestsAtPrompt = -1;
    const r = await cli(['apply', '--estate', sampleEstatePath(), '-o', 'json'], {
      answer: (emu) => {
        requestsAtPrompt = emu.requests.all().length;
        return 'y\n';
      },
    });
    expect(requestsAtPrompt).toBeGreaterThan(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.mode).toBe('apply');
    expect(report.items.flatMap((i) => i.actions).some((a) => a.status === 'applied')).toBe(true);
    const after = r.emulators[0].requests.all().slice(requestsAtPrompt);
    // Vault listings, the look-back job listing and Resource Graph are discovery: a new plan would
    // need them; executing the shown one does not (a write's precondition read lists only running jobs).
    const discovery = (q: (typeof after)[number]): boolean =>
      q.category === 'graph' ||
      (q.method === 'GET' && /\/vaults$/i.test(q.path)) ||
      (q.method === 'GET' && /\/backupJobs$/i.test(q.path) && !decodeURIComponent(q.query).includes('status eq'));
    expect(r.emulators[0].requests.all().slice(0, requestsAtPrompt).some(discovery)).toBe(true);
    expect(after.filter(discovery)).toEqual([]);
    expect(after.some((q) => q.category === 'write' || q.category === 'delete')).toBe(true);
  }, 180_000);
});
