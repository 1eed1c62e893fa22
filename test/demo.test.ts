// `npm start` (= `backup-remediator demo`) run in-process: the real engine over the built-in sample
// estate in the in-process emulator, checked against what the emulator actually saw. The demo clears
// the emulator's request log at each stage, so the test reads the log when each stage's banner is
// printed: at that moment it holds exactly the stage before.

import { isReadOnlyOperation, permissionFor } from '../lib/arm/permissions';
import { PassThrough } from 'node:stream';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import type { Emulator, RequestRecord } from '../emulator/index';
import { validateRunReport } from './helpers/run-report-schema';
import type { PlanItem, PlannedAction, RunReport } from '../lib/types';

interface DemoRun {
  code: number;
  stdout: string;
  stderr: string;
  /** JSON reports in the order printed: the plan, then the apply. */
  reports: RunReport[];
  /** Requests of each stage, read from the emulator's log just before the next stage cleared it. */
  stage: { plan: RequestRecord[]; apply: RequestRecord[]; approved: RequestRecord[]; again: RequestRecord[] };
  emulator: Emulator;
}

async function runDemo(args: string[], columns = 160): Promise<DemoRun> {
  let stdout = '';
  let stderr = '';
  const reports: RunReport[] = [];
  const emulators: Emulator[] = [];
  const snapshots = new Map<string, RequestRecord[]>();
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  const io: CliIo = {
    stdout: {
      columns,
      write: (s: string) => {
        // Banners end a stage: the log still holds that stage's requests (the demo resets it after).
        const banner = /^\n=== (\S+)/.exec(s);
        if (banner && emulators[0]) snapshots.set(banner[1]!, emulators[0].requests.all());
        if (s.startsWith('{')) reports.push(JSON.parse(s) as RunReport);
        stdout += s;
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    // Azure settings in the environment must not matter: the demo only ever uses the simulated estate.
    env: {},
    onEmulator: (e) => emulators.push(e),
  };
  const code = await main(args, io);
  expect(emulators).toHaveLength(1);
  const emulator = emulators[0]!;
  return {
    code,
    stdout,
    stderr,
    reports,
    stage: {
      plan: snapshots.get('2/4') ?? [], // printed after the plan
      apply: snapshots.get('3/4') ?? [], // printed after the apply (and its verification)
      approved: snapshots.get('4/4') ?? [], // printed after the apply that ran the approved guest fix
      again: emulator.requests.all(), // the log after the final apply, when the command returned
    },
    emulator,
  };
}

/** The ARM request a proposed action becomes: method and path, lower-cased (ARM ids are case-insensitive). */
function expectedWrite(a: PlannedAction): string {
  const path = a.kind === 'trigger-backup' ? `${a.target}/backup` : a.target;
  return `${a.method} ${path.toLowerCase()}`;
}

const writeKey = (r: RequestRecord): string => `${r.method} ${r.path.toLowerCase()}`;
const byVm = (report: RunReport, name: string): PlanItem | undefined =>
  report.items.find((i) => i.vmId.toLowerCase().endsWith(`/virtualmachines/${name}`));

describe('demo (npm start)', () => {
  let run: DemoRun;

  beforeAll(async () => {
    run = await runDemo(['demo', '--output', 'json', '--quiet']);
  }, 60_000);

  it('exits 0, prints the plan and apply reports as valid JSON, and nothing on stderr with --quiet', () => {
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.reports.map((r) => r.mode)).toEqual(['plan', 'apply']);
    for (const r of run.reports) expect(validateRunReport(r)).toEqual({ valid: true, errors: [] });
  });

  it('the plan stage read ARM and wrote nothing', () => {
    const [plan] = run.reports;
    expect(run.stage.plan.length).toBeGreaterThan(0);
    expect(run.stage.plan.filter((r) => r.category === 'write' || r.category === 'delete')).toEqual([]);
    // Besides GETs: tokens, Resource Graph queries and the NIC effective-* POSTs, which only read.
    expect(run.stage.plan.filter((r) => r.method !== 'GET' && r.category !== 'token' && r.category !== 'graph' && !isReadOnlyOperation(permissionFor(r.method, r.path) ?? ''))).toEqual([]);
    const proposed = plan!.items.flatMap((i) => i.actions);
    expect(proposed.length).toBeGreaterThan(0);
    for (const a of proposed) expect(a.status ?? 'proposed').toBe('proposed');
    expect(run.stdout).toContain(`The plan made ${run.stage.plan.length} ARM requests and 0 writes; it proposes ${proposed.length} writes.`);
  });

  it('the apply stage made exactly the writes the plan proposed that need no approval, every one applied', () => {
    const [plan, applied] = run.reports;
    const needsApproval = (i: PlanItem) => i.actions.some((a) => a.approval);
    const proposed = plan!.items.filter((i) => !needsApproval(i)).flatMap((i) => i.actions.map(expectedWrite)).sort();
    const writes = run.stage.apply.filter((r) => r.category === 'write' || r.category === 'delete');
    expect(writes.map(writeKey).sort()).toEqual(proposed);
    for (const w of writes) expect(w.status).toBe(202);
    // Same kinds and targets in the apply report, each one applied.
    const appliedActions = applied!.items.filter((i) => !needsApproval(i)).flatMap((i) => i.actions);
    expect(appliedActions.map(expectedWrite).sort()).toEqual(proposed);
    for (const a of appliedActions) expect(a.status).toBe('applied');
    // All three write kinds appear in the sample's story.
    expect(new Set(appliedActions.map((a) => a.kind))).toEqual(new Set(['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup']));
  });

  it('verification: fixes that removed the cause resolve; vm-ext-nonet escalates with the cause that remains', () => {
    const applied = run.reports[1]!;
    const outcomes = applied.items.flatMap((i) => (i.verification ? [i.verification.outcome] : []));
    expect(outcomes.filter((o) => o === 'resolved').length).toBeGreaterThanOrEqual(1);
    expect(byVm(applied, 'vm-ext-stuck')!.verification).toMatchObject({ outcome: 'resolved', status: 'Completed' });

    const nonet = byVm(applied, 'vm-ext-nonet')!;
    expect(nonet.failure.code).toBe('ExtensionOperationFailedForManagedDisks');
    expect(nonet.actions.map((a) => [a.kind, a.status])).toEqual([
      ['remove-snapshot-extension', 'applied'],
      ['trigger-backup', 'applied'],
    ]);
    expect(nonet.verification).toMatchObject({ outcome: 'escalated', status: 'Failed', failureCode: 'ExtensionSnapshotFailedNoNetwork' });
    expect(outcomes.filter((o) => o === 'escalated')).toHaveLength(1);

    // The emulator agrees: the extension is gone, and the backup it ran failed on the network.
    const vm = run.emulator.state.vmById(nonet.vmId)!;
    expect(vm.vm.extensions.filter((e) => /^VMSnapshot/.test(e.type))).toEqual([]);
    const jobName = nonet.verification!.jobId!.split('/').pop();
    const job = run.emulator.state.estate.subscriptions
      .flatMap((s) => s.resourceGroups.flatMap((rg) => rg.vaults.flatMap((v) => v.jobs)))
      .find((j) => j.name === jobName)!;
    expect(job.status).toBe('Failed');
    expect(job.errorDetails?.[0]?.errorString).toMatch(/no network connectivity/);
  });

  it('says honestly what escalated and what a human should do next', () => {
    const section = run.stdout.slice(run.stdout.indexOf('=== what is left for a human'));
    expect(section.length).toBeGreaterThan(40);
    // Prose is wrapped for the terminal: no line wider than 100 except one carrying a whole URL.
    for (const line of section.split('\n')) if (!line.includes('https://')) expect(line.length).toBeLessThanOrEqual(100);
    const tail = section.replace(/\n +/g, ' ');
    expect(tail).toMatch(/1 fix was applied but the cause was not removed/);
    expect(tail).toMatch(/rg-app\/vm-ext-nonet: ExtensionOperationFailedForManagedDisks -> remove-snapshot-extension, trigger-backup; backup job \S+ Failed with ExtensionSnapshotFailedNoNetwork\./);
    expect(tail).toMatch(/Next step: .*outbound/);
    expect(tail).toMatch(/Docs: https:\/\/learn\.microsoft\.com\//);
    expect(tail).toMatch(/Done: \d+ fixes proven by a completed backup; 1 escalated to a human \(above\)\. `apply` exits 3/);
    expect(run.stdout).not.toContain('nothing escalated');
  });

  it('one approval round trip: the guest fix waits, the demo approves its own proposal and says so, the next apply runs exactly that fix and it resolves', () => {
    const [plan, applied] = run.reports;
    const planned = byVm(plan!, 'vm-vss-writer')!;
    expect(planned.actions.map((a) => [a.kind, a.approval?.status])).toEqual([['run-guest-fix', 'pending'], ['trigger-backup', undefined]]);
    const id = planned.actions[0].approval!.id;
    // The apply sent nothing for it: it waited for a human.
    expect(byVm(applied!, 'vm-vss-writer')!.findings.map((f) => f.kind)).toContain('awaiting-approval');
    expect(run.stage.apply.filter((r) => /vm-vss-writer/i.test(r.path) && r.method !== 'GET')).toEqual([]);
    expect(applied!.pendingApprovals?.map((p) => p.id)).toEqual([id]);
    // The demo says it approves its own proposal, and the ledger records it as the approver.
    expect(run.stdout.replace(/\n +/g, ' ')).toContain('here the demo approves its own proposal, recorded as "backup-remediator demo (npm start)"');
    // The approved run wrote exactly the diagnostic, the fix and Backup Now on that VM, nothing else.
    const writes = run.stage.approved.filter((r) => r.category === 'write' || r.category === 'delete').map((r) => `${r.method} ${r.path.split('/').slice(-2).join('/')}`);
    expect(writes).toEqual(['POST vm-vss-writer/runCommand', 'POST vm-vss-writer/runCommand', `POST ${'VM;iaasvmcontainerv2;rg-app;vm-vss-writer'}/backup`]);
    const writer = run.emulator.state.vm('11111111-1111-1111-1111-111111111111', 'rg-app', 'vm-vss-writer')!.vm.guest!.vssWriters!.find((w) => w.name === 'SqlServerWriter');
    expect(writer?.state).toBe('Stable');
    expect(run.stdout).toMatch(/│ rg-app\/vm-vss-writer\s+│ ExtensionFailedVssWriterInBadState\s+│ \S+\s+│ Completed\s+│ resolved/);
  });

  it('a final apply over the same estate makes zero writes', () => {
    expect(run.stage.again.length).toBeGreaterThan(0); // it did run and read
    expect(run.stage.again.filter((r) => r.category === 'write' || r.category === 'delete')).toEqual([]);
    expect(run.stdout.replace(/\n +/g, ' ')).toMatch(/A final apply over the same estate made 0 writes \(\d+ item\(s\) still reported\s+for a human, 0 proposed\)/);
  });
});

describe('demo (npm start) in a 100-column terminal', () => {
  it('tells the same story in tables and prose that fit the terminal', async () => {
    const run = await runDemo(['demo', '--quiet'], 100);
    expect(run.code).toBe(0);
    for (const banner of ['1/4 plan', '2/4 apply', '3/4 approval', '4/4 verification', 'what is left for a human']) expect(run.stdout).toContain(`=== ${banner}`);
    const wide = run.stdout.split('\n').filter((l) => l.length > 100 && !l.includes('https://'));
    expect(wide).toEqual([]);
    // VM names are never cut inside the tables.
    expect(run.stdout).toContain('│ rg-app/vm-ext-nonet ');
    expect(run.stdout).toMatch(/escalated/);
    expect(run.stage.plan.filter((r) => r.category === 'write' || r.category === 'delete')).toEqual([]);
  }, 60_000);
});
