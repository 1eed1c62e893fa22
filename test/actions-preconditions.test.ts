// Write preconditions that the planner enforces must hold again at write time (fresh reads):
// a backup that started after planning stops the extension and collection deletes, and a
// collection that was already gone frees no points for the next collection of the same plan.
import type { Emulator } from '../emulator';
import { startWithArm } from './helpers/emulator';
import type { ArmContext } from '../lib/arm/clients';
import { ACTIONS, type ActionContext } from '../lib/actions';
import type { PlanItem, PlannedAction } from '../lib/types';
import type { Candidate } from '../lib/discover/types';
import { createDiagnoser } from '../lib/diagnose';
import { planItem } from '../lib/plan';
import { catalogueEntry } from '../lib/catalogue';
import { newRunningBackupReads, notePlannedOnRunningBackups } from '../lib/rules/running-backup';

const S = '55555555-5555-4555-8555-555555555555';
const NOW = new Date('2026-11-20T06:00:00Z');
const vmId = (name: string) => `/subscriptions/${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/${name}`;
const VAULT = `/subscriptions/${S}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/rsv`;
const RPC_RG = 'AzureBackupRG_westeurope_1';
const rpcId = (name: string) => `/subscriptions/${S}/resourceGroups/${RPC_RG}/providers/Microsoft.Compute/restorePointCollections/${name}`;
const itemId = (name: string) => `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;${name}/protectedItems/VM;iaasvmcontainerv2;rg-app;${name}`;
const extId = (vm: string) => `${vmId(vm)}/extensions/VMSnapshot`;

const VMS = ['run1', 'run2', 'gone1', 'gone2', 'iverr', 'cancl'];
const vm = (name: string) => ({
  name, os: 'Windows', powerState: 'running', provisioningState: 'Succeeded', agent: { status: 'Ready', version: '2.7.41491.1102' },
  tags: {}, locks: [], extensions: [{ name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: 'Failed' }],
});

function estate() {
  return {
    now: NOW.toISOString(),
    subscriptions: [{
      id: S, displayName: 'pre', locks: [],
      resourceGroups: [
        {
          name: 'rg-app', location: 'westeurope', tags: {}, locks: [],
          virtualMachines: VMS.map(vm),
          restorePointCollections: [],
          vaults: [{
            name: 'rsv',
            protectedItems: VMS.map((v) => ({ vmId: vmId(v), policy: 'DefaultPolicy' })),
            jobs: [
              // Scheduled backups that started after the plan was made.
              { name: '00000000-0000-4000-8000-0000000000a1', vmId: vmId('run1'), operation: 'Backup', status: 'InProgress', startTime: '2026-11-20T05:55:00Z' },
              { name: '00000000-0000-4000-8000-0000000000a2', vmId: vmId('run2'), operation: 'Backup', status: 'InProgress', startTime: '2026-11-20T05:55:00Z' },
              // A backup being cancelled is still running (it holds the snapshot extension and the collection).
              { name: '00000000-0000-4000-8000-0000000000a3', vmId: vmId('cancl'), operation: 'Backup', status: 'Cancelling', startTime: '2026-11-20T05:50:00Z' },
            ],
          }],
        },
        {
          name: RPC_RG, location: 'westeurope', tags: {}, locks: [],
          virtualMachines: [],
          restorePointCollections: [
            { name: 'AzureBackup_run2', sourceVmId: vmId('run2'), restorePoints: 18, locks: [] },
            { name: 'AzureBackup_gone1_2', sourceVmId: vmId('gone1'), restorePoints: 8, locks: [] },
            { name: 'AzureBackup_cancl', sourceVmId: vmId('cancl'), restorePoints: 18, locks: [] },
          ],
          vaults: [],
        },
      ],
    }],
    simulation: { latencyMs: 0, throttling: 'off', backupDurationSeconds: 60, faults: [] },
  };
}

let emu: Emulator;
let arm: ArmContext;

beforeAll(async () => {
  const e = estate();
  // Provisioning Succeeded, but its instance view reports an error (BackUpOperationFailed's case).
  e.subscriptions[0].resourceGroups[0].virtualMachines.find((v) => v.name === 'iverr')!.extensions[0] = {
    name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: 'Succeeded',
    instanceViewStatus: { level: 'Error', message: 'Snapshot operation failed.' },
  } as (typeof e.subscriptions[0]['resourceGroups'][0]['virtualMachines'][0]['extensions'][0]);
  ({ emu, arm } = await startWithArm(e));
});
afterAll(() => emu?.stop());

const rg = (name: string) => emu.state.estate.subscriptions[0].resourceGroups.find((r) => r.name === name)!;
const collections = () => rg(RPC_RG).restorePointCollections.map((c) => c.name).sort();
const item = (v: string, code: string, actions: PlannedAction[]): PlanItem => ({
  vmId: vmId(v), jobId: `${VAULT}/backupJobs/failed-${v}`, vaultId: VAULT, protectedItemId: itemId(v),
  failure: { code, signals: [] }, actions, findings: [],
});
const action = (kind: PlannedAction['kind'], target: string, evidence: Record<string, unknown> = {}): PlannedAction =>
  ACTIONS[kind].describe({ target, reason: 'test', evidence });
const ctx = (it: PlanItem): ActionContext => ({ item: it, settings: { backupRetentionDays: 30 }, now: NOW, operationTimeoutMs: 5000 });

describe('a backup of the item started after planning', () => {
  it('remove-snapshot-extension refuses: the running backup needs the extension', async () => {
    const a = action('remove-snapshot-extension', extId('run1'));
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('run1', 'ExtensionOperationFailed', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    expect(emu.requests.writes()).toEqual([]);
  });

  it('delete-restore-point-collection refuses: the running backup writes into the collection', async () => {
    const a = action('delete-restore-point-collection', rpcId('AzureBackup_run2'), { collection: { pointCount: 18 } });
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('run2', 'UserErrorRpCollectionLimitReached', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    expect(collections()).toContain('AzureBackup_run2');
  });
});

describe('a planned collection that was already gone', () => {
  it('frees no points: the next collection of the plan is refused when the VM is under the limit', async () => {
    // Planned on 10 + 8 = 18 points; AzureBackup_gone1 vanished before the write (Azure pruned it).
    // ARM answers a DELETE of an absent resource with 204, so apply alone cannot tell it freed nothing.
    const a1 = action('delete-restore-point-collection', rpcId('AzureBackup_gone1'), { collection: { pointCount: 10 } });
    const a2 = action('delete-restore-point-collection', rpcId('AzureBackup_gone1_2'), { collection: { pointCount: 8 } });
    const it = item('gone1', 'UserErrorRpCollectionLimitReached', [a1, a2]);
    expect(await ACTIONS[a1.kind].preconditions(arm, a1, ctx(it))).toEqual({ ok: true, note: 'already-absent' });
    a1.result = await ACTIONS[a1.kind].apply(arm, a1, ctx(it));
    a1.status = 'applied';
    // The VM holds 8 points: not at the limit, and this plan freed none.
    const r = await ACTIONS[a2.kind].preconditions(arm, a2, ctx(it));
    expect(r).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
    expect(collections()).toContain('AzureBackup_gone1_2');
  });
});

describe('a planned delete whose target is already gone', () => {
  it('sends no DELETE at all (the VM may be opted out or locked by now; nothing is left to fix)', async () => {
    const spec = rg('rg-app').virtualMachines.find((v) => v.name === 'gone2')!;
    spec.extensions.splice(0);
    spec.tags = { 'backup-remediation': 'off' };
    const a = action('remove-snapshot-extension', extId('gone2'));
    const it = item('gone2', 'ExtensionOperationFailed', [a]);
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(it))).toEqual({ ok: true, note: 'already-absent' });
    emu.requests.reset();
    expect(await ACTIONS[a.kind].apply(arm, a, ctx(it))).toMatchObject({ outcome: 'already-absent' });
    const c = action('delete-restore-point-collection', rpcId('AzureBackup_gone2'), { collection: { pointCount: 18 } });
    const ci = item('gone2', 'UserErrorRpCollectionLimitReached', [c]);
    expect(await ACTIONS[c.kind].preconditions(arm, c, ctx(ci))).toEqual({ ok: true, note: 'already-absent' });
    emu.requests.reset();
    expect(await ACTIONS[c.kind].apply(arm, c, ctx(ci))).toMatchObject({ outcome: 'already-absent', pointsFreed: 0 });
    expect(emu.requests.writes()).toEqual([]);
  });
});

describe('a snapshot extension whose provisioning succeeded but whose instance view reports an error', () => {
  it('the planner proposes its removal and the write-time check accepts the same state', async () => {
    const d = await createDiagnoser(arm, { now: NOW }).diagnose({
      vmId: vmId('iverr'), jobId: `${VAULT}/backupJobs/failed-iverr`, vaultId: VAULT, protectedItemId: itemId('iverr'),
      job: {} as Candidate['job'], inProgress: false,
    }, { extensionLocks: true });
    const planned = planItem(
      { vmId: vmId('iverr'), jobId: `${VAULT}/backupJobs/failed-iverr`, vaultId: VAULT, protectedItemId: itemId('iverr'), job: {} as Candidate['job'], inProgress: false },
      { code: 'BackUpOperationFailed', signals: [], automation: 'auto' }, d, catalogueEntry('BackUpOperationFailed'),
      { subscriptions: [S], resourceGroups: [], allowedActions: ['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup'], optInCodes: [], backupRetentionDays: 30, now: NOW },
    );
    const a = planned.actions.find((x) => x.kind === 'remove-snapshot-extension')!;
    expect(a).toBeDefined();
    expect(a.target.toLowerCase()).toBe(extId('iverr').toLowerCase());
    emu.requests.reset();
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(planned));
    expect(r).toEqual({ ok: true });
    // The check read the extension, with its instance view.
    const reads = emu.requests.all().filter((q) => q.method === 'GET' && /\/extensions\/VMSnapshot$/i.test(q.path));
    expect(reads.length).toBe(1);
    expect(new URLSearchParams(reads[0].query).get('$expand')).toBe('instanceView');
  });

  it('a healthy extension (no error in its instance view) is still refused for a code that does not call for a reload', async () => {
    const a = action('remove-snapshot-extension', extId('run2'));
    const spec = rg('rg-app').virtualMachines.find((v) => v.name === 'run2')!;
    const saved = spec.extensions[0].provisioningState;
    spec.extensions[0].provisioningState = 'Succeeded';
    try {
      const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('run2', 'BackUpOperationFailed', [a])));
      expect(r).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
    } finally {
      spec.extensions[0].provisioningState = saved;
    }
  });
});

describe('a backup of the item that is being cancelled (status Cancelling)', () => {
  const cancl = (code: string, a: PlannedAction) => ctx(item('cancl', code, [a]));
  it('counts as running for every write of a saved plan and for diagnosis over ARM, in two small status-filtered job reads per check', async () => {
    const ext = action('remove-snapshot-extension', extId('cancl'));
    emu.requests.reset();
    expect(await ACTIONS[ext.kind].preconditions(arm, ext, cancl('ExtensionOperationFailed', ext))).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    const jobReads = emu.requests.all().filter((q) => q.method === 'GET' && /\/backupJobs$/i.test(q.path));
    // One list per running status (the filter grammar has no `or`): never a whole week of the vault's jobs.
    expect(jobReads.map((q) => /status eq '(\w+)'/.exec(decodeURIComponent(q.query))?.[1]).sort()).toEqual(['Cancelling', 'InProgress']);
    const col = action('delete-restore-point-collection', rpcId('AzureBackup_cancl'), { collection: { pointCount: 18 } });
    expect(await ACTIONS[col.kind].preconditions(arm, col, cancl('UserErrorRpCollectionLimitReached', col))).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    const trig = action('trigger-backup', itemId('cancl'));
    expect(await ACTIONS[trig.kind].preconditions(arm, trig, cancl('BackUpOperationFailed', trig))).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    const d = await createDiagnoser(arm, { now: NOW }).diagnose({
      vmId: vmId('cancl'), jobId: `${VAULT}/backupJobs/failed-cancl`, vaultId: VAULT, protectedItemId: itemId('cancl'),
      job: {} as Candidate['job'], inProgress: false,
    }, { collections: false });
    expect(d.backupInProgress).toBe(true);
    expect(emu.requests.writes()).toEqual([]);
  });

  it('an item planned in this run: one list of jobs started since its run began (status kept client-side) and the vault\'s two status lists once per run: Cancelling still refuses', async () => {
    const ext = action('remove-snapshot-extension', extId('cancl'));
    const c = cancl('ExtensionOperationFailed', ext);
    const run = newRunningBackupReads(new Date(NOW.getTime() - 3_600_000));
    notePlannedOnRunningBackups(c.item, run);
    emu.requests.reset();
    expect(await ACTIONS[ext.kind].preconditions(arm, ext, c)).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    const jobReads = emu.requests.all().filter((q) => q.method === 'GET' && /\/backupJobs$/i.test(q.path)).map((q) => decodeURIComponent(q.query));
    expect(jobReads).toHaveLength(3);
    const since = jobReads.find((f) => !/status eq/.test(f))!;
    // The window opens the clock skew before the plan's read (the service may date jobs behind our clock).
    expect(since).toMatch(/startTime eq '2026-11-20 04:50:00 AM'/);
    // InProgress first, then Cancelling: a job moving between them between the two answers is in one of them.
    expect(jobReads.map((f) => /status eq '(\w+)'/.exec(f)?.[1]).filter(Boolean)).toEqual(['InProgress', 'Cancelling']);
    // A second write of the run in this vault: the since-list only, and the Cancelling job is still seen.
    emu.requests.reset();
    const col = action('delete-restore-point-collection', rpcId('AzureBackup_cancl'), { collection: { pointCount: 18 } });
    const c2 = cancl('UserErrorRpCollectionLimitReached', col);
    notePlannedOnRunningBackups(c2.item, run);
    expect(await ACTIONS[col.kind].preconditions(arm, col, c2)).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    expect(emu.requests.all().filter((q) => q.method === 'GET' && /\/backupJobs$/i.test(q.path)).map((q) => decodeURIComponent(q.query)).filter((f) => /status eq/.test(f))).toEqual([]);
    expect(emu.requests.writes()).toEqual([]);
  });

  it('a cancel that started before the run began is not in the since-list: the once-per-run lists refuse the write', async () => {
    const ext = action('remove-snapshot-extension', extId('cancl'));
    const c = cancl('ExtensionOperationFailed', ext);
    // The run began after the job started (05:50) by more than the clock skew.
    notePlannedOnRunningBackups(c.item, newRunningBackupReads(new Date(NOW.getTime() + 60_000)));
    emu.requests.reset();
    const r = await ACTIONS[ext.kind].preconditions(arm, ext, c);
    expect(r).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    expect((r as { reason: string }).reason).toMatch(/0000000000a3/);
    expect(emu.requests.writes()).toEqual([]);
  });

  it('a backup InProgress since before the run began, whatever the plan saw (Resource Graph lags): the once-per-run InProgress list refuses the write', async () => {
    const ext = action('remove-snapshot-extension', extId('run1'));
    const c = ctx(item('run1', 'ExtensionOperationFailed', [ext]));
    // The run began 10 minutes after the job started (05:55), beyond the clock skew: the since-list does not show it.
    notePlannedOnRunningBackups(c.item, newRunningBackupReads(new Date(NOW.getTime() + 600_001)));
    emu.requests.reset();
    const r = await ACTIONS[ext.kind].preconditions(arm, ext, c);
    expect(r).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    expect((r as { reason: string }).reason).toMatch(/0000000000a1/);
    const jobReads = emu.requests.all().filter((q) => q.method === 'GET' && /\/backupJobs$/i.test(q.path)).map((q) => decodeURIComponent(q.query));
    expect(jobReads.find((f) => !/status eq/.test(f))).toMatch(/startTime eq '2026-11-20 06:00:00 AM'/);
    expect(emu.requests.writes()).toEqual([]);
  });

  it('a failed once-per-run read is not kept for the run: the write is refused, the next write reads again', async () => {
    const ext = action('remove-snapshot-extension', extId('cancl'));
    const run = newRunningBackupReads(new Date(NOW.getTime() + 60_000));
    const c = cancl('ExtensionOperationFailed', ext);
    notePlannedOnRunningBackups(c.item, run);
    emu.faults.add({ method: 'GET', path: '*/backupJobs', status: 500, times: 20 });
    let first: unknown;
    try {
      first = await ACTIONS[ext.kind].preconditions(arm, ext, c);
    } catch (e) {
      first = e;
    }
    // The since-list and the once-per-run lists run in parallel: let the latter end (failing) before the faults go.
    await Promise.allSettled([...run.running.values()]);
    emu.faults.clear();
    expect(first).not.toEqual({ ok: true });
    await new Promise((r) => setImmediate(r));
    expect(run.running.size).toBe(0);
    expect(await ACTIONS[ext.kind].preconditions(arm, ext, c)).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    expect(emu.requests.writes()).toEqual([]);
  });
});
