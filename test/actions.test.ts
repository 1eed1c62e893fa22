// Action modules against the emulator: preconditions re-read ARM and refuse when the estate changed after
// planning; apply changes the emulated estate exactly as intended (and nothing else).
import type { Emulator } from '../emulator';
import { startWithArm } from './helpers/emulator';
import { staticTokenCredential } from '../emulator/credential';
import { createArmContext, type ArmContext } from '../lib/arm/clients';
import { createPacer } from '../lib/arm/pacing';
import { ACTIONS, type ActionContext } from '../lib/actions';
import { newRunningBackupReads, notePlannedOnRunningBackups } from '../lib/rules/running-backup';
import type { PlanItem, PlannedAction } from '../lib/types';

const S = '44444444-4444-4444-4444-444444444444';
const NOW = new Date('2026-11-20T06:00:00Z');
const vmId = (name: string) => `/subscriptions/${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/${name}`;
const VAULT = `/subscriptions/${S}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/rsv`;
const RPC_RG = 'AzureBackupRG_westeurope_1';
const rpcId = (name: string) => `/subscriptions/${S}/resourceGroups/${RPC_RG}/providers/Microsoft.Compute/restorePointCollections/${name}`;
const itemId = (name: string) => `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;${name}/protectedItems/VM;iaasvmcontainerv2;rg-app;${name}`;
const extId = (vm: string, name = 'VMSnapshot') => `${vmId(vm)}/extensions/${name}`;

const snapshot = (state: string) => ({ name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: state });
const monitor = { name: 'Monitor', publisher: 'Microsoft.Azure.Monitor', type: 'AzureMonitorWindowsAgent', provisioningState: 'Failed' };
const vm = (name: string, over: Record<string, unknown> = {}) => ({
  name, os: 'Windows', powerState: 'running', provisioningState: 'Succeeded', agent: { status: 'Ready', version: '2.7.41491.1102' },
  tags: {}, locks: [], extensions: [snapshot('Failed'), monitor], ...over,
});
const VMS = ['web1', 'web10', 'ext2', 'ext3', 'ext4', 'ext5', 'rp1', 'rp2', 'rp3', 'bk1', 'bk2', 'bk3'];

function estate() {
  return {
    now: NOW.toISOString(),
    subscriptions: [{
      id: S, displayName: 'act', locks: [],
      resourceGroups: [
        {
          name: 'rg-app', location: 'westeurope', tags: {}, locks: [],
          virtualMachines: VMS.map((v) => vm(v)),
          restorePointCollections: [],
          vaults: [{
            name: 'rsv',
            protectedItems: VMS.map((v) => ({ vmId: vmId(v), policy: 'DefaultPolicy' })),
            jobs: [{ name: '00000000-0000-4000-8000-0000000000b3', vmId: vmId('bk3'), operation: 'Backup', status: 'InProgress', startTime: '2026-11-20T05:50:00Z' }],
          }],
        },
        {
          name: RPC_RG, location: 'westeurope', tags: {}, locks: [],
          virtualMachines: [],
          restorePointCollections: [
            { name: 'AzureBackup_web1_1', sourceVmId: vmId('web1'), restorePoints: 18, locks: [] },
            { name: 'AzureBackup_web10', sourceVmId: vmId('web10'), restorePoints: 18, locks: [] },
            { name: 'AzureBackup_rp1', sourceVmId: vmId('rp1'), restorePoints: 10, locks: [] },
            { name: 'AzureBackup_rp1_2', sourceVmId: vmId('rp1'), restorePoints: 8, locks: [] },
            { name: 'AzureBackup_rp2', sourceVmId: vmId('rp2'), restorePoints: 18, locks: [] },
            { name: 'AzureBackup_rp3', sourceVmId: vmId('rp3'), restorePoints: 18, locks: [] },
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
  ({ emu, arm } = await startWithArm(estate()));
});
afterAll(() => emu?.stop());

const rg = (name: string) => emu.state.estate.subscriptions[0].resourceGroups.find((r) => r.name === name)!;
const vmSpec = (name: string) => rg('rg-app').virtualMachines.find((v) => v.name === name)!;
const collections = () => rg(RPC_RG).restorePointCollections.map((c) => c.name).sort();

function item(vm: string, code: string, actions: PlannedAction[]): PlanItem {
  return {
    vmId: vmId(vm), jobId: `${VAULT}/backupJobs/failed-${vm}`, vaultId: VAULT, protectedItemId: itemId(vm),
    failure: { code, signals: [] }, actions, findings: [],
  };
}
const action = (kind: PlannedAction['kind'], target: string, evidence: Record<string, unknown> = {}): PlannedAction =>
  ACTIONS[kind].describe({ target, reason: 'test', evidence });
const ctx = (it: PlanItem): ActionContext => ({ item: it, settings: { backupRetentionDays: 30 }, now: NOW, operationTimeoutMs: 5000 });
const writes = () => emu.requests.writes().map((r) => `${r.method} ${r.path}`);

describe('remove-snapshot-extension', () => {
  it('deletes exactly the VMSnapshot extension of the VM and nothing else', async () => {
    const a = action('remove-snapshot-extension', extId('web1'));
    const it = item('web1', 'ExtensionOperationFailedForManagedDisks', [a]);
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(it))).toEqual({ ok: true });
    emu.requests.reset();
    expect(await ACTIONS[a.kind].apply(arm, a, ctx(it))).toEqual({ outcome: 'deleted', target: extId('web1') });
    expect(writes()).toEqual([`DELETE ${extId('web1')}`]);
    emu.requests.reset();
    // The emulator completes the LRO on the next request; the SDK's poll already saw it.
    expect(vmSpec('web1').extensions.map((x) => x.name)).toEqual(['Monitor']);
    expect(vmSpec('web10').extensions.map((x) => x.name)).toEqual(['VMSnapshot', 'Monitor']);
  });

  it('deleting an already-absent extension is success; preconditions say so', async () => {
    const a = action('remove-snapshot-extension', extId('web1'));
    const it = item('web1', 'ExtensionOperationFailedForManagedDisks', [a]);
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(it))).toEqual({ ok: true, note: 'already-absent' });
    expect((await ACTIONS[a.kind].apply(arm, a, ctx(it))).outcome).toMatch(/deleted|already-absent/);
  });

  it('refuses when the agent went NotReady after planning', async () => {
    vmSpec('ext2').agent = { status: 'NotReady', version: 'Unknown' };
    const a = action('remove-snapshot-extension', extId('ext2'));
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('ext2', 'ExtensionOperationFailedForManagedDisks', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'agent-not-ready' });
  });

  it('refuses when the VM was opted out after planning (tag re-read); the VM is read once for both checks', async () => {
    vmSpec('ext3').tags = { 'Backup-Remediation': 'Off' };
    const a = action('remove-snapshot-extension', extId('ext3'));
    emu.requests.reset();
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('ext3', 'ExtensionOperationFailedForManagedDisks', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'opted-out' });
    const reads = emu.requests.all().filter((q) => q.category === 'read').map((q) => `${q.method} ${q.path}`).sort();
    expect(reads).toEqual([
      `GET ${vmId('ext3')}`,
      `GET ${extId('ext3')}`,
      // The locks at and above the extension (atScope()): one read at the target's own scope.
      `GET /subscriptions/${S}/resourcegroups/rg-app/providers/Microsoft.Compute/virtualMachines/ext3/extensions/VMSnapshot/providers/Microsoft.Authorization/locks`,
      `GET /subscriptions/${S}/resourcegroups/rg-app`,
    ].sort());
  });

  it('refuses when a lock on the VM appeared after planning (ARM would refuse the DELETE); nothing is written', async () => {
    vmSpec('ext5').locks = [{ name: 'vm-freeze', level: 'CanNotDelete', notes: 'change freeze' }];
    const a = action('remove-snapshot-extension', extId('ext5'));
    emu.requests.reset();
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('ext5', 'ExtensionOperationFailedForManagedDisks', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'lock-blocks-cleanup' });
    expect((r as { reason: string }).reason).toContain(`${vmId('ext5')}/providers/Microsoft.Authorization/locks/vm-freeze`);
    expect(writes()).toEqual([]);
    expect(vmSpec('ext5').extensions.map((x) => x.name)).toEqual(['VMSnapshot', 'Monitor']);
    expect(vmSpec('ext5').locks).toHaveLength(1);
  });

  it('refuses another extension, and a healthy one when the error does not call for a reload', async () => {
    const other = action('remove-snapshot-extension', extId('ext4', 'Monitor'));
    expect(await ACTIONS[other.kind].preconditions(arm, other, ctx(item('ext4', 'ExtensionOperationFailedForManagedDisks', [other])))).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
    vmSpec('ext4').extensions[0].provisioningState = 'Succeeded';
    const a = action('remove-snapshot-extension', extId('ext4'));
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(item('ext4', 'BackUpOperationFailedV2', [a])))).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
    // The reload family still allows it.
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(item('ext4', 'ExtensionOperationFailed', [a])))).toEqual({ ok: true });
    // Another VM's extension is never a target for this item.
    const foreign = action('remove-snapshot-extension', extId('web10'));
    expect(await ACTIONS[foreign.kind].preconditions(arm, foreign, ctx(item('ext4', 'ExtensionOperationFailed', [foreign])))).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
  });
});

describe('delete-restore-point-collection', () => {
  it('deletes only the planned collection (web1, never web10)', async () => {
    const a = action('delete-restore-point-collection', rpcId('AzureBackup_web1_1'), { collection: { pointCount: 18 } });
    const it = item('web1', 'UserErrorRpCollectionLimitReached', [a]);
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(it))).toEqual({ ok: true });
    emu.requests.reset();
    expect(await ACTIONS[a.kind].apply(arm, a, ctx(it))).toEqual({ outcome: 'deleted', target: rpcId('AzureBackup_web1_1'), pointsFreed: 18 });
    expect(writes()).toEqual([`DELETE ${rpcId('AzureBackup_web1_1')}`]);
    expect(collections()).toEqual(['AzureBackup_rp1', 'AzureBackup_rp1_2', 'AzureBackup_rp2', 'AzureBackup_rp3', 'AzureBackup_web10']);
  });

  it('refuses web10\'s collection for web1 (source.id and name both checked)', async () => {
    const a = action('delete-restore-point-collection', rpcId('AzureBackup_web10'));
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('web1', 'UserErrorRpCollectionLimitReached', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
    expect((r as { reason: string }).reason).toMatch(/source/);
  });

  it('two collections of one plan: the second is still allowed after the first freed points', async () => {
    const a1 = action('delete-restore-point-collection', rpcId('AzureBackup_rp1'), { collection: { pointCount: 10 } });
    const a2 = action('delete-restore-point-collection', rpcId('AzureBackup_rp1_2'), { collection: { pointCount: 8 } });
    const it = item('rp1', 'UserErrorRpCollectionLimitReached', [a1, a2]);
    emu.requests.reset();
    expect(await ACTIONS[a1.kind].preconditions(arm, a1, ctx(it))).toEqual({ ok: true });
    // Every fact re-read once: each of the VM's collections (with its points), the list that finds them
    // (this plan has no record of them: made before vmCollections was recorded), locks, opt-out tags, backups running.
    const expand = (q: { query: string }) => (/expand=restorePoints/i.test(decodeURIComponent(q.query)) ? ' (with points)' : '');
    expect(emu.requests.all().filter((q) => q.category === 'read').map((q) => `${q.method} ${q.path}${expand(q)}`).sort()).toEqual([
      `GET ${rpcId('AzureBackup_rp1')} (with points)`,
      `GET ${rpcId('AzureBackup_rp1_2')} (with points)`,
      `GET /subscriptions/${S}/providers/Microsoft.Compute/restorePointCollections`,
      `GET /subscriptions/${S}/resourcegroups/${RPC_RG}/providers/Microsoft.Compute//restorePointCollections/AzureBackup_rp1/providers/Microsoft.Authorization/locks`,
      `GET ${vmId('rp1')}`,
      `GET /subscriptions/${S}/resourcegroups/rg-app`,
      `GET ${VAULT}/backupJobs`, // InProgress
      `GET ${VAULT}/backupJobs`, // Cancelling
    ].sort());
    await ACTIONS[a1.kind].apply(arm, a1, ctx(it));
    a1.status = 'applied';
    expect(await ACTIONS[a2.kind].preconditions(arm, a2, ctx(it))).toEqual({ ok: true });
    // Without the first having been applied in this plan, 8 points are under the limit: refused.
    a1.status = 'proposed';
    expect(await ACTIONS[a2.kind].preconditions(arm, a2, ctx(it))).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
  });

  it('write-time reads scoped to the target: the planned collections by id (no subscription listing), the locks at the target, one job list per write for an item planned in this run', async () => {
    const a = action('delete-restore-point-collection', rpcId('AzureBackup_rp2'), { collection: { pointCount: 18 }, vmCollections: [rpcId('AzureBackup_rp2')] });
    const it = item('rp2', 'UserErrorRpCollectionLimitReached', [a]);
    notePlannedOnRunningBackups(it, newRunningBackupReads(new Date(NOW.getTime() - 3_600_000)));
    // The run's first write in the vault also reads the vault's running backups (InProgress, Cancelling), once per run.
    emu.requests.reset();
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(it))).toEqual({ ok: true });
    const first = emu.requests.all().filter((q) => q.category === 'read' && /\/backupJobs$/i.test(q.path)).map((q) => /status eq '(\w+)'/.exec(decodeURIComponent(q.query))?.[1] ?? 'any');
    expect(first.sort()).toEqual(['Cancelling', 'InProgress', 'any']);
    emu.requests.reset();
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(it))).toEqual({ ok: true });
    const r = emu.requests.all().filter((q) => q.category === 'read');
    expect(r.filter((q) => /\/restorePointCollections$/i.test(q.path))).toEqual([]);
    expect(r.filter((q) => /\/locks$/i.test(q.path)).map((q) => q.path)).toEqual([
      `/subscriptions/${S}/resourcegroups/${RPC_RG}/providers/Microsoft.Compute//restorePointCollections/AzureBackup_rp2/providers/Microsoft.Authorization/locks`,
    ]);
    const jobs = r.filter((q) => /\/backupJobs$/i.test(q.path));
    expect(jobs).toHaveLength(1);
    expect(decodeURIComponent(jobs[0].query)).not.toMatch(/status eq/);
  });

  it('refuses when a subscription-level lock appeared after planning; the lock is untouched', async () => {
    const sub = emu.state.estate.subscriptions[0];
    sub.locks.push({ name: 'freeze', level: 'CanNotDelete' });
    try {
      const a = action('delete-restore-point-collection', rpcId('AzureBackup_rp2'));
      const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('rp2', 'UserErrorRpCollectionLimitReached', [a])));
      expect(r).toMatchObject({ ok: false, findingKind: 'lock-blocks-cleanup' });
      expect((r as { reason: string }).reason).toMatch(/freeze.*CanNotDelete.*subscription scope/);
      expect(sub.locks.map((l) => l.name)).toEqual(['freeze']);
      expect(collections()).toContain('AzureBackup_rp2');
    } finally {
      sub.locks.splice(0);
    }
  });

  it('refuses when the VM dropped under the limit after planning', async () => {
    rg(RPC_RG).restorePointCollections.find((c) => c.name === 'AzureBackup_rp3')!.restorePoints.splice(0, 5);
    const a = action('delete-restore-point-collection', rpcId('AzureBackup_rp3'), { collection: { pointCount: 18 } });
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('rp3', 'UserErrorRpCollectionLimitReached', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'precondition-changed' });
    expect((r as { reason: string }).reason).toMatch(/13 restore points/);
  });
});

describe('trigger-backup', () => {
  it('Backup Now: one POST, job created with the planned retention, operation followed to its job', async () => {
    const expiry = '2026-12-20T06:00:00.000Z';
    const a = action('trigger-backup', itemId('bk1'), { recoveryPointExpiryTimeInUTC: expiry, retentionDays: 30 });
    const it = item('bk1', 'ExtensionOperationFailedForManagedDisks', [a]);
    expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(it))).toEqual({ ok: true });
    const jobsBefore = rg('rg-app').vaults[0].jobs.length;
    // Observe the wire body through a pipeline policy (the SDK itself is untouched).
    const bodies: string[] = [];
    const inner = createPacer();
    const observing = createArmContext({
      endpoint: emu.endpoint, credential: staticTokenCredential(), ca: emu.ca, lroPollIntervalMs: 10,
      pacing: { ...inner, policy: { name: 'observe', sendRequest: (req, next) => { if (req.method === 'POST') bodies.push(String(req.body)); return next(req); } } },
    });
    emu.requests.reset();
    const r = await ACTIONS[a.kind].apply(observing, a, ctx(it));
    expect(bodies.map((b) => JSON.parse(b))).toEqual([{ properties: { objectType: 'IaasVMBackupRequest', recoveryPointExpiryTimeInUTC: expiry } }]);
    expect(writes()).toEqual([`POST ${itemId('bk1')}/backup`]);
    expect(r).toMatchObject({ status: 'Succeeded', protectedItemId: itemId('bk1'), vaultId: VAULT, recoveryPointExpiryTimeInUTC: expiry });
    expect(typeof r.operationId).toBe('string');
    const jobs = rg('rg-app').vaults[0].jobs;
    expect(jobs.length).toBe(jobsBefore + 1);
    const created = jobs[jobs.length - 1];
    expect(r.jobId).toBe(`${VAULT}/backupJobs/${created.name}`);
    expect(created).toMatchObject({ vmId: vmId('bk1'), operation: 'Backup', status: 'InProgress' });
  });

  it('refuses while a backup of the item is in progress (never stacks)', async () => {
    const a = action('trigger-backup', itemId('bk1'));
    const r = await ACTIONS[a.kind].preconditions(arm, a, ctx(item('bk1', 'ExtensionOperationFailedForManagedDisks', [a])));
    expect(r).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
    const b = action('trigger-backup', itemId('bk3'));
    expect(await ACTIONS[b.kind].preconditions(arm, b, ctx(item('bk3', 'ExtensionOperationFailedForManagedDisks', [b])))).toMatchObject({ ok: false, findingKind: 'backup-in-progress' });
  });

  it('refuses when the protected item is gone or protects another VM', async () => {
    const vault = rg('rg-app').vaults[0];
    const i = vault.protectedItems.findIndex((p) => p.vmId === vmId('bk2'));
    const [removed] = vault.protectedItems.splice(i, 1);
    emu.state.reindex();
    try {
      const a = action('trigger-backup', itemId('bk2'));
      expect(await ACTIONS[a.kind].preconditions(arm, a, ctx(item('bk2', 'ExtensionOperationFailedForManagedDisks', [a])))).toMatchObject({ ok: false, findingKind: 'ambiguous-target' });
    } finally {
      vault.protectedItems.splice(i, 0, removed);
      emu.state.reindex();
    }
    const wrong = action('trigger-backup', itemId('web10'));
    expect(await ACTIONS[wrong.kind].preconditions(arm, wrong, ctx(item('bk2', 'ExtensionOperationFailedForManagedDisks', [wrong])))).toMatchObject({ ok: false, findingKind: 'ambiguous-target' });
  });
});
