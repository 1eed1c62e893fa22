// The CLI run in-process (commander program + real engine + in-process emulator over HTTPS + Azurite).

import { isReadOnlyOperation, permissionFor } from '../lib/arm/permissions';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import type { Emulator } from '../emulator/index';
import { sampleEstatePath } from '../emulator/sample';
import { validateRunReport } from './helpers/run-report-schema';
import { startAzurite } from '../emulator/azurite';
import type { RunReport } from '../lib/types';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  emulators: Emulator[];
}

let storage: Awaited<ReturnType<typeof startAzurite>>;
let tmp: string;

beforeAll(async () => {
  storage = await startAzurite({ silent: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
}, 60_000);

afterAll(async () => {
  await storage?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function cli(args: string[], opts: { env?: Record<string, string | undefined>; tty?: boolean } = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const emulators: Emulator[] = [];
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.isTTY = opts.tty;
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), columns: 200 },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    // A fresh ledger prefix per call keeps runs independent in the shared Azurite.
    env: { AzureWebJobsStorage: storage.connectionString, REMEDIATION_LEDGER_PREFIX: `t${Math.random().toString(36).slice(2, 10)}`, ...opts.env },
    onEmulator: (e) => emulators.push(e),
  };
  const code = await main(args, io);
  return { code, stdout, stderr, emulators };
}

const SAMPLE = sampleEstatePath();

describe('plan', () => {
  it('prints a valid JSON report for the sample estate and the emulator sees zero writes', async () => {
    const r = await cli(['plan', '--estate', SAMPLE, '--output', 'json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(validateRunReport(report)).toEqual({ valid: true, errors: [] });
    expect(report.mode).toBe('plan');
    expect(report.items.length).toBeGreaterThan(0);
    // The plan proposes writes but performs none.
    expect(report.items.some((i) => i.actions.length > 0)).toBe(true);
    for (const item of report.items) for (const a of item.actions) expect(a.status ?? 'proposed').toBe('proposed');
    expect(r.emulators).toHaveLength(1);
    const requests = r.emulators[0].requests;
    expect(requests.all().length).toBeGreaterThan(0);
    expect(requests.writes()).toEqual([]);
    // Besides GETs: tokens, Resource Graph queries and the NIC effective-* POSTs, which only read.
    expect(requests.all().filter((q) => q.method !== 'GET' && q.category !== 'token' && q.category !== 'graph' && !isReadOnlyOperation(permissionFor(q.method, q.path) ?? ''))).toEqual([]);
  });

  it('prints a readable table by default, scoped to one VM', async () => {
    const all = JSON.parse((await cli(['plan', '--estate', SAMPLE, '-o', 'json', '-q'])).stdout) as RunReport;
    const vmId = all.items.find((i) => i.actions.length > 0)!.vmId;
    const r = await cli(['plan', '--estate', SAMPLE, '--vm', vmId.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')]);
    expect(r.code).toBe(0);
    const name = vmId.split('/').pop()!;
    expect(r.stdout.split('\n')[0]).toMatch(/^Run \S+ \(plan, dry-run: nothing was changed\)$/);
    expect(r.stdout.toLowerCase()).toContain(name.toLowerCase());
    expect(r.stdout).toMatch(/: proposed/);
    expect(r.stdout.trimEnd().split('\n').pop()).toMatch(/^plan: 1 item · actions \d+ proposed/);
    expect(r.stderr).toContain('plan: VM ');
    expect(r.emulators[0].requests.writes()).toEqual([]);
  });

  it('honours --since: a window before every job finds nothing', async () => {
    const r = await cli(['plan', '--estate', SAMPLE, '--since', '1s', '-o', 'json', '-q']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as RunReport).items).toEqual([]);
  });

  it('keeps an in-memory ledger, without Azurite, when no storage is configured', async () => {
    const r = await cli(['plan', '--estate', SAMPLE, '-o', 'markdown'], { env: { AzureWebJobsStorage: undefined } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('ledger in memory for this run only');
    expect(r.stdout).toMatch(/^## Backup remediation plan \(dry-run\): /);
  });
});

describe('apply', () => {
  it('--yes applies the plan and reports statuses; exit code follows failures/escalations', async () => {
    const r = await cli(['apply', '--yes', '--estate', SAMPLE, '-o', 'json', '-q']);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(validateRunReport(report)).toEqual({ valid: true, errors: [] });
    expect(report.mode).toBe('apply');
    const statuses = report.items.flatMap((i) => i.actions.map((a) => a.status));
    expect(statuses).toContain('applied');
    expect(statuses).not.toContain('proposed');
    const writes = r.emulators[0].requests.writes();
    expect(writes.length).toBe(statuses.filter((s) => s === 'applied' || s === 'failed').length);
    const bad = report.items.some((i) => i.actions.some((a) => a.status === 'failed') || i.verification?.outcome === 'escalated');
    expect(r.code).toBe(bad ? 3 : 0);
  });

  it('refuses without --yes when stdin is not a terminal, before touching anything', async () => {
    const r = await cli(['apply', '--estate', SAMPLE]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('pass --yes');
    expect(r.emulators).toHaveLength(0);
  });
});

describe('bad input: clear message, non-zero exit, zero writes', () => {
  it.each([
    [['plan', '--estate', SAMPLE, '--vm', '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/../x'], '--vm'],
    [['plan', '--estate', SAMPLE, '--vm', 'web1'], '--vm "web1"'],
    [['apply', '--yes', '--estate', SAMPLE, '--vm', '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x'], '--vm'],
    [['apply', '--yes', '--estate', SAMPLE, '--vault', '/subscriptions/x/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v'], '--vault'],
    [['plan', '--estate', SAMPLE, '--subscription', 'not-a-guid'], '--subscription "not-a-guid"'],
    [['plan', '--estate', SAMPLE, '--since', 'yesterday'], '--since "yesterday"'],
    [['plan', '--estate', SAMPLE, '--endpoint', 'https://127.0.0.1:1'], '--estate and --endpoint cannot be combined'],
    [['plan', '--endpoint', 'http://127.0.0.1:1', '--subscription', '11111111-1111-1111-1111-111111111111'], 'must be an https:// URL'],
    [['plan', '--estate', SAMPLE, '--subscription', '11111111-1111-1111-1111-111111111111', '--vm', '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a'], 'cannot be combined'],
  ])('%j → exit 2 naming %s, no emulator started', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
    expect(r.emulators).toHaveLength(0);
  });

  it('rejects a subscription the estate does not have, with zero requests', async () => {
    const r = await cli(['apply', '--yes', '--estate', SAMPLE, '--subscription', '99999999-9999-9999-9999-999999999999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown subscription 99999999-9999-9999-9999-999999999999');
    expect(r.emulators[0].requests.all()).toEqual([]);
  });

  it('rejects a bad setting naming it', async () => {
    const r = await cli(['plan', '--estate', SAMPLE], { env: { REMEDIATION_MAX_ATTEMPTS: 'lots' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('REMEDIATION_MAX_ATTEMPTS="lots" is invalid');
  });

  it('an unreadable estate file', async () => {
    const missing = path.join(tmp, 'missing.json');
    const r = await cli(['plan', '--estate', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: cannot read estate file ${missing}: no such file\n`);
  });

  it('an estate file that is not JSON', async () => {
    const file = path.join(tmp, 'broken.json');
    fs.writeFileSync(file, '{ "subscriptions": [ ');
    const r = await cli(['apply', '--yes', '--estate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: estate file ${file} is not valid JSON`);
  });

  it('an estate that fails validation names the JSON path', async () => {
    const file = path.join(tmp, 'invalid.json');
    fs.writeFileSync(file, JSON.stringify({ subscriptions: [{ id: 'nope', resourceGroups: [] }] }));
    const r = await cli(['plan', '--estate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: estate file ${file} is invalid:`);
    expect(r.stderr).toMatch(/subscriptions\[0\]|subscriptions\/0|subscriptions\.0/);
  });

  it('an unknown option or output format is a usage error', async () => {
    expect((await cli(['plan', '--frobnicate'])).code).toBe(2);
    const r = await cli(['plan', '--estate', SAMPLE, '--output', 'yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are table, json, markdown");
  });

  it('--help lists the commands and the exit codes and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['plan', 'apply', 'simulate', 'demo', 'Exit codes:', '3    run completed with failed writes']) {
      expect(r.stdout).toContain(word);
    }
  });
});
