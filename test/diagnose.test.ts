// Diagnosis against the emulator: the facts it reads, and how few reads it takes per VM thanks to the
// per-run cache.
import type { Emulator } from '../emulator';
import { startWithArm } from './helpers/emulator';
import { staticTokenCredential } from '../emulator/credential';
import { createArmContext, type ArmContext } from '../lib/arm/clients';
import { createDiagnoser } from '../lib/diagnose';
import { catalogueEntry } from '../lib/catalogue';
import { diagnoseOptionsFor } from '../lib/engine';
import { ACTION_KINDS } from '../lib/types';
import type { Candidate } from '../lib/discover/types';

const S = '33333333-3333-3333-3333-333333333333';
const NOW = new Date('2026-11-20T06:00:00Z');
const vmId = (rg: string, name: string) => `/subscriptions/${S}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
const VAULT = `/subscriptions/${S}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/rsv`;
const RPC_RG = 'AzureBackupRG_westeurope_1';
const rpcId = (name: string) => `/subscriptions/${S}/resourceGroups/${RPC_RG}/providers/Microsoft.Compute/restorePointCollections/${name}`;
const itemId = (name: string) => `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;${name}/protectedItems/VM;iaasvmcontainerv2;rg-app;${name}`;

const snapshot = (state: string) => ({ name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: state });
const vm = (name: string, over: Record<string, unknown> = {}) => ({
  name, os: 'Windows', powerState: 'running', provisioningState: 'Succeeded', agent: { status: 'Ready', version: '2.7.41491.1102' },
  tags: {}, locks: [], extensions: [], ...over,
});

function estate() {
  return {
    now: NOW.toISOString(),
    subscriptions: [{
      id: S, displayName: 'diag', locks: [{ name: 'sub-no-delete', level: 'CanNotDelete' }],
      resourceGroups: [
        {
          name: 'rg-app', location: 'westeurope', tags: { owner: 'ops' }, locks: [],
          virtualMachines: [
            vm('web1', { extensions: [snapshot('Failed'), { name: 'Monitor', publisher: 'Microsoft.Azure.Monitor', type: 'AzureMonitorWindowsAgent', provisioningState: 'Failed' }] }),
            vm('web10', { extensions: [snapshot('Succeeded')], tags: { 'backup-remediation': 'off' }, locks: [{ name: 'vm-keep', level: 'CanNotDelete' }] }),
            vm('app1', { agent: { status: 'NotReady', version: 'Unknown' }, powerState: 'stopped', os: 'Linux' }),
          ],
          restorePointCollections: [],
          vaults: [{
            name: 'rsv',
            protectedItems: ['web1', 'web10', 'app1'].map((v) => ({ vmId: vmId('rg-app', v), policy: 'DefaultPolicy' })),
            jobs: [
              { name: '00000000-0000-4000-8000-000000000001', vmId: vmId('rg-app', 'web1'), operation: 'Backup', status: 'Failed', startTime: '2026-11-20T01:00:00Z', endTime: '2026-11-20T01:10:00Z' },
              { name: '00000000-0000-4000-8000-000000000002', vmId: vmId('rg-app', 'web10'), operation: 'Backup', status: 'InProgress', startTime: '2026-11-20T05:00:00Z' },
              // Being cancelled (started days ago): a Resource Graph run sees it through one Graph query.
              { name: '00000000-0000-4000-8000-000000000003', vmId: vmId('rg-app', 'app1'), operation: 'Backup', status: 'Cancelling', startTime: '2026-11-17T05:00:00Z' },
            ],
          }],
        },
        // A namesake of web1 in another group (its collection must never be taken for web1's).
        // It has its own vault: its protected item comes back from a Graph query that names web1, and must be dropped too.
        {
          name: 'rg-old', location: 'westeurope', tags: {}, locks: [], virtualMachines: [vm('web1')], restorePointCollections: [],
          vaults: [{ name: 'rsv-old', protectedItems: [{ vmId: vmId('rg-old', 'web1'), policy: 'DefaultPolicy' }], jobs: [] }],
        },
        {
          name: RPC_RG, location: 'westeurope', tags: {}, locks: [{ name: 'rg-read-only', level: 'ReadOnly' }],
          virtualMachines: [],
          restorePointCollections: [
            { name: 'AzureBackup_web1_1', sourceVmId: vmId('rg-app', 'web1'), restorePoints: 12, locks: [] },
            { name: 'AzureBackup_web1_2', sourceVmId: vmId('rg-app', 'web1'), restorePoints: 6, locks: [{ name: 'keep-me', level: 'CanNotDelete' }] },
            { name: 'AzureBackup_web10', sourceVmId: vmId('rg-app', 'web10'), restorePoints: 18, locks: [{ name: 'web10-lock', level: 'CanNotDelete' }] },
            // A namesake's collection (web1 of another group): the Graph query names VMs by name, so it comes back and must be dropped.
            { name: 'AzureBackup_web1_namesake', sourceVmId: vmId('rg-old', 'web1'), restorePoints: 3, locks: [] },
          ],
          vaults: [],
        },
      ],
    }],
    simulation: { latencyMs: 0, throttling: 'off', backupDurationSeconds: 0, faults: [] },
  };
}

const candidate = (name: string): Candidate => ({
  vmId: vmId('rg-app', name), jobId: `${VAULT}/backupJobs/x-${name}`, vaultId: VAULT, protectedItemId: itemId(name),
  job: { status: 'Failed', operation: 'Backup' }, inProgress: false,
});

let emu: Emulator;
let arm: ArmContext;

beforeAll(async () => {
  ({ emu, arm } = await startWithArm(estate()));
});
afterAll(() => emu?.stop());

const reads = () => emu.requests.all().filter((r) => r.category !== 'token').map((r) => `${r.method} ${r.path}`).sort();

describe('createDiagnoser', () => {
  it('reads the facts of a VM: extension, collections by source.id, locks by scope, protected item', async () => {
    const d = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web1'));
    expect(d.readErrors).toEqual([]);
    expect(d.vm).toMatchObject({ id: vmId('rg-app', 'web1'), exists: true, name: 'web1', powerState: 'running', provisioningState: 'Succeeded', os: 'Windows', rgTags: { owner: 'ops' } });
    expect(d.agent).toMatchObject({ status: 'Ready', version: '2.7.41491.1102' });
    expect(d.snapshotExtension).toMatchObject({
      id: `${vmId('rg-app', 'web1')}/extensions/VMSnapshot`, name: 'VMSnapshot', type: 'VMSnapshot',
      publisher: 'Microsoft.Azure.RecoveryServices', provisioningState: 'Failed', source: 'vm-resources',
    });
    // web10's collection is never counted for web1, whatever its name.
    expect(d.collections.map((c) => [c.name, c.pointCount])).toEqual([['AzureBackup_web1_1', 12], ['AzureBackup_web1_2', 6]]);
    expect(d.totalPoints).toBe(18);
    const lockView = (name: string) => d.collections.find((c) => c.name === name)!.locks.map((l) => [l.name, l.level, l.scope]).sort();
    expect(lockView('AzureBackup_web1_1')).toEqual([['rg-read-only', 'ReadOnly', 'resourceGroup'], ['sub-no-delete', 'CanNotDelete', 'subscription']]);
    expect(lockView('AzureBackup_web1_2')).toEqual([['keep-me', 'CanNotDelete', 'resource'], ['rg-read-only', 'ReadOnly', 'resourceGroup'], ['sub-no-delete', 'CanNotDelete', 'subscription']]);
    const subLock = d.collections[0].locks.find((l) => l.scope === 'subscription')!;
    expect(subLock.id.toLowerCase()).toBe(`/subscriptions/${S}/providers/microsoft.authorization/locks/sub-no-delete`);
    expect(d.protectedItems.map((x) => x.toLowerCase())).toEqual([itemId('web1').toLowerCase()]);
    expect(d.backupInProgress).toBe(false);
  });

  it('agent NotReady, stopped VM, running backup, opt-out tag', async () => {
    const diag = createDiagnoser(arm, { now: NOW });
    const app1 = await diag.diagnose(candidate('app1'));
    expect(app1.agent.status).toBe('NotReady');
    expect(app1.vm.powerState).toBe('stopped');
    expect(app1.vm.os).toBe('Linux');
    expect(app1.collections).toEqual([]);
    const web10 = await diag.diagnose(candidate('web10'));
    expect(web10.backupInProgress).toBe(true);
    expect(web10.vm.tags).toEqual({ 'backup-remediation': 'off' });
    expect(web10.collections.map((c) => c.name)).toEqual(['AzureBackup_web10']);
  });

  it('a deleted VM is exists=false, not a read error', async () => {
    const d = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('gone1'));
    expect(d.vm.exists).toBe(false);
    expect(d.readErrors).toEqual([]);
    expect(d.protectedItems).toEqual([]);
  });

  it('a failing read becomes a readError (and so no writes), not a crash', async () => {
    emu.faults.add({ method: 'GET', path: '*/providers/Microsoft.Authorization/locks', status: 500, times: 10 });
    try {
      const d = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web1'));
      expect(d.readErrors.some((e) => /locks/.test(e))).toBe(true);
      // The one subscription-wide list is named once, though both of web1's collections needed it.
      expect(d.readErrors.filter((e) => /^locks of the subscription: 500/.test(e))).toHaveLength(1);
    } finally {
      emu.faults.clear();
    }
  });

  it('read counts: 7 + 1 per collection for the first VM, 1 + 1 per collection for the next VM sharing subscription and vault', async () => {
    // The snapshot extension comes from the VM GET's `resources`: no extensions-list call for a VM that has extensions.
    const diag = createDiagnoser(arm, { now: NOW });
    emu.requests.reset();
    await diag.diagnose(candidate('web1'));
    expect(reads()).toEqual([
      `GET /subscriptions/${S}/providers/Microsoft.Authorization/locks`,
      `GET /subscriptions/${S}/providers/Microsoft.Compute/restorePointCollections`,
      `GET ${rpcId('AzureBackup_web1_1')}`,
      `GET ${rpcId('AzureBackup_web1_2')}`,
      `GET ${vmId('rg-app', 'web1')}`,
      `GET ${VAULT}/backupJobs`, // InProgress
      `GET ${VAULT}/backupJobs`, // Cancelling (over ARM: this run was not found through Resource Graph)
      `GET ${VAULT}/backupProtectedItems`,
      `GET /subscriptions/${S}/resourcegroups`,
    ].sort());
    emu.requests.reset();
    await diag.diagnose(candidate('web10'));
    expect(reads()).toEqual([
      `GET ${vmId('rg-app', 'web10')}`,
      `GET ${rpcId('AzureBackup_web10')}`,
    ].sort());
    emu.requests.reset();
    // No extensions: ARM's VM GET then carries no `resources`, so the list is read (the fallback);
    // no collections: no point or lock reads at all.
    const app1 = await diag.diagnose(candidate('app1'));
    expect(reads()).toEqual([`GET ${vmId('rg-app', 'app1')}`, `GET ${vmId('rg-app', 'app1')}/extensions`].sort());
    expect(app1.snapshotExtension).toBeUndefined();
  });

  it('fallback: a VM GET without `resources` (another cloud, an older api-version) makes the extensions-list call, with the same facts', async () => {
    emu.setVmGetResources(false);
    try {
      const diag = createDiagnoser(arm, { now: NOW });
      emu.requests.reset();
      const web1 = await diag.diagnose(candidate('web1'), { collections: false });
      expect(reads()).toEqual([
        `GET ${vmId('rg-app', 'web1')}`,
        `GET ${vmId('rg-app', 'web1')}/extensions`,
        `GET ${VAULT}/backupJobs`, // InProgress
        `GET ${VAULT}/backupJobs`, // Cancelling
        `GET ${VAULT}/backupProtectedItems`,
        `GET /subscriptions/${S}/resourcegroups`,
      ].sort());
      expect(web1.readErrors).toEqual([]);
      expect(web1.snapshotExtension).toMatchObject({
        id: `${vmId('rg-app', 'web1')}/extensions/VMSnapshot`, name: 'VMSnapshot', type: 'VMSnapshot',
        publisher: 'Microsoft.Azure.RecoveryServices', provisioningState: 'Failed', source: 'extensions-list',
      });
      emu.setVmGetResources(true);
      emu.requests.reset();
      const fromVm = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web1'), { collections: false });
      expect(reads().filter((r) => r.endsWith('/extensions'))).toEqual([]);
      const { source: _a, ...viaList } = web1.snapshotExtension!;
      const { source: _b, ...viaVm } = fromVm.snapshotExtension!;
      expect(fromVm.snapshotExtension!.source).toBe('vm-resources');
      expect(viaVm).toEqual(viaList);
    } finally {
      emu.setVmGetResources(true);
    }
  });

  it('a failing extensions-list read (fallback path) is a readError, not a missing extension', async () => {
    emu.setVmGetResources(false);
    emu.faults.add({ method: 'GET', path: '*/virtualMachines/web1/extensions', status: 500, times: 10 });
    try {
      const d = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web1'), { collections: false });
      expect(d.readErrors.some((e) => /^extensions/.test(e))).toBe(true);
    } finally {
      emu.faults.clear();
      emu.setVmGetResources(true);
    }
  });

  it('extensionLocks: locks covering the snapshot extension (subscription, group, the VM), read once per subscription', async () => {
    const diag = createDiagnoser(arm, { now: NOW });
    emu.requests.reset();
    const web1 = await diag.diagnose(candidate('web1'), { extensionLocks: true });
    const web10 = await diag.diagnose(candidate('web10'), { extensionLocks: true });
    const view = (d: typeof web1) => d.snapshotExtension!.locks!.map((l) => [l.name, l.level, l.scope]).sort();
    expect(view(web1)).toEqual([['sub-no-delete', 'CanNotDelete', 'subscription']]);
    // A lock on the VM covers its extensions; web10's lock is not web1's.
    expect(view(web10)).toEqual([['sub-no-delete', 'CanNotDelete', 'subscription'], ['vm-keep', 'CanNotDelete', 'resource']]);
    expect(web10.snapshotExtension!.locks!.find((l) => l.name === 'vm-keep')!.id.toLowerCase()).toBe(`${vmId('rg-app', 'web10')}/providers/microsoft.authorization/locks/vm-keep`.toLowerCase());
    const lockReads = reads().filter((r) => r.endsWith('/locks'));
    expect(lockReads).toEqual([`GET /subscriptions/${S}/providers/Microsoft.Authorization/locks`]);
    // Without the option no extension locks are read (app1 has neither extension nor collections).
    emu.requests.reset();
    const app1 = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('app1'), { extensionLocks: true });
    expect(app1.snapshotExtension).toBeUndefined();
    expect(reads().filter((r) => r.endsWith('/locks'))).toEqual([]);
    const plain = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web1'));
    expect(plain.snapshotExtension!.locks).toBeUndefined();
  });

  it('reads only what the failure needs: no extension or collection reads when not asked for', async () => {
    const diag = createDiagnoser(arm, { now: NOW });
    emu.requests.reset();
    const d = await diag.diagnose(candidate('web1'), { extension: false, collections: false });
    expect(reads()).toEqual([
      `GET ${vmId('rg-app', 'web1')}`,
      `GET ${VAULT}/backupJobs`, // InProgress
      `GET ${VAULT}/backupJobs`, // Cancelling (over ARM: this run was not found through Resource Graph)
      `GET ${VAULT}/backupProtectedItems`,
      `GET /subscriptions/${S}/resourcegroups`,
    ].sort());
    expect(d.snapshotExtension).toBeUndefined();
    expect(d.collections).toEqual([]);
    expect(d.vm).toMatchObject({ exists: true, rgTags: { owner: 'ops' } });
    expect(d.agent.status).toBe('Ready');
  });

  it('running backups are read only when asked: a report-only failure lists no jobs of the vault', async () => {
    emu.requests.reset();
    const skipped = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web10'), { runningBackups: false });
    expect(reads().filter((x) => x.includes('/backupJobs'))).toEqual([]);
    expect(skipped.backupInProgress).toBe(false);
    // The same VM, asked: its InProgress job is seen.
    const read = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web10'));
    expect(read.backupInProgress).toBe(true);
    expect(reads().filter((x) => x.includes('/backupJobs'))).toHaveLength(2);
  });

  it('diagnoseOptionsFor: the reads each catalogue entry needs', () => {
    const all = { allowedActions: ACTION_KINDS };
    expect(diagnoseOptionsFor(undefined, all)).toEqual({ extension: false, collections: false, runningBackups: false });
    expect(diagnoseOptionsFor(catalogueEntry('ExtensionOperationFailedForManagedDisks'), all)).toEqual({ extension: true, collections: false, extensionLocks: true, network: false, runningBackups: true });
    expect(diagnoseOptionsFor(catalogueEntry('ExtensionOperationFailedForManagedDisks'), { allowedActions: ['trigger-backup'] })).toMatchObject({ extensionLocks: false });
    expect(diagnoseOptionsFor(catalogueEntry('UserErrorRpCollectionLimitReached'), all)).toEqual({ extension: false, collections: true, extensionLocks: false, network: false, runningBackups: true });
    expect(diagnoseOptionsFor(catalogueEntry('BackUpOperationFailed'), all)).toEqual({ extension: true, collections: true, extensionLocks: true, network: true, runningBackups: true });
    // Report-only: what its causes check (the connectivity inference looks at the extension); no running backups (nothing to write).
    expect(diagnoseOptionsFor(catalogueEntry('ExtensionSnapshotFailedNoNetwork'), all)).toEqual({ extension: true, collections: false, extensionLocks: false, network: true, runningBackups: false });
    expect(diagnoseOptionsFor(catalogueEntry('UserErrorKeyvaultPermissionsNotConfigured'), all)).toEqual({ extension: false, collections: false, extensionLocks: false, network: false, runningBackups: false });
  });

  it('one lock list and one resource-group list per subscription answer every VM, whatever its group', async () => {
    const diag = createDiagnoser(arm, { now: NOW });
    emu.requests.reset();
    const all = await Promise.all(['web1', 'web10', 'app1'].map((v) => diag.diagnose(candidate(v), { extensionLocks: true })));
    const r = reads();
    // 3 VMs, collections in another group than the VMs, locks at subscription, group and resource level: one list each.
    expect(r.filter((x) => x.endsWith('/locks'))).toEqual([`GET /subscriptions/${S}/providers/Microsoft.Authorization/locks`]);
    expect(r.filter((x) => /\/resourcegroups(\/[^/]+)?$/i.test(x))).toEqual([`GET /subscriptions/${S}/resourcegroups`]);
    expect(all.map((d) => d.vm.rgTags)).toEqual([{ owner: 'ops' }, { owner: 'ops' }, { owner: 'ops' }]);
    // The group-level lock of the collections' group and the resource-level lock of web10's collection come from that one list.
    const web10 = all[1];
    expect(web10.collections[0].locks.map((l) => [l.name, l.scope]).sort()).toEqual([['rg-read-only', 'resourceGroup'], ['sub-no-delete', 'subscription'], ['web10-lock', 'resource']]);
    expect(web10.snapshotExtension!.locks!.map((l) => l.name).sort()).toEqual(['sub-no-delete', 'vm-keep']);
  });

  it('restore point collections of the run\'s VMs through Resource Graph: one query, the same facts as the ARM listing', async () => {
    const viaArm = await createDiagnoser(arm, { now: NOW }).diagnose(candidate('web1'));
    const diag = createDiagnoser(arm, { now: NOW, graphVmIds: ['web1', 'web10', 'app1'].map((v) => vmId('rg-app', v)) });
    emu.requests.reset();
    const [web1, web10] = await Promise.all([diag.diagnose(candidate('web1')), diag.diagnose(candidate('web10')), diag.diagnose(candidate('app1'))]);
    const r = reads();
    // One query each for the collections, the protected items and the running backups (below), whatever the number of VMs.
    expect(r.filter((x) => x.includes('ResourceGraph'))).toEqual(Array(3).fill('POST /providers/Microsoft.ResourceGraph/resources'));
    expect(r.filter((x) => x.endsWith('/restorePointCollections'))).toEqual([]);
    expect(web1.collections).toEqual(viaArm.collections);
    expect(web1.collections.map((c) => c.name).sort()).toEqual(['AzureBackup_web1_1', 'AzureBackup_web1_2']);
    expect(web1.totalPoints).toBe(18);
    expect(web10.collections.map((c) => c.name)).toEqual(['AzureBackup_web10']);
    // A VM the run did not name (not among discovery's candidates) is read over ARM, as before.
    emu.requests.reset();
    const other = createDiagnoser(arm, { now: NOW, graphVmIds: [vmId('rg-app', 'app1')] });
    expect((await other.diagnose(candidate('web1'))).collections).toEqual(viaArm.collections);
    expect(reads().filter((x) => x.endsWith('/restorePointCollections'))).toEqual([`GET /subscriptions/${S}/providers/Microsoft.Compute/restorePointCollections`]);
  });

  it('protected items of the run\'s VMs through Resource Graph: no vault list, the same items as over ARM, namesakes and other vaults dropped', async () => {
    const viaArm = await Promise.all(['web1', 'web10'].map((v) => createDiagnoser(arm, { now: NOW }).diagnose(candidate(v))));
    const diag = createDiagnoser(arm, { now: NOW, graphVmIds: ['web1', 'web10', 'app1'].map((v) => vmId('rg-app', v)), graphVaultIds: [VAULT] });
    emu.requests.reset();
    const [web1, web10, app1] = await Promise.all([diag.diagnose(candidate('web1')), diag.diagnose(candidate('web10')), diag.diagnose(candidate('app1'))]);
    expect(reads().filter((x) => x.includes('backupProtectedItems'))).toEqual([]);
    expect(web1.protectedItems).toEqual(viaArm[0].protectedItems);
    expect(web10.protectedItems).toEqual(viaArm[1].protectedItems);
    // rg-old/web1's item (in rsv-old) answers the query's name filter; only rg-app/web1's own item is kept.
    expect(web1.protectedItems.map((x) => x.toLowerCase())).toEqual([itemId('web1').toLowerCase()]);
    expect(app1.protectedItems.map((x) => x.toLowerCase())).toEqual([itemId('app1').toLowerCase()]);
    // The item must be in the failed job's vault: a job of another vault finds none (the planner reports it).
    const otherVault = VAULT.replace(/rg-app\/providers\/Microsoft.RecoveryServices\/vaults\/rsv$/, 'rg-old/providers/Microsoft.RecoveryServices/vaults/rsv-old');
    const inOther = await diag.diagnose({ ...candidate('web1'), vaultId: otherVault, jobId: `${otherVault}/backupJobs/x-web1` });
    expect(inOther.protectedItems).toEqual([]);
  });

  it('running backups of a Resource Graph run: one Graph query for the run (InProgress and Cancelling), no job list over ARM', async () => {
    const diag = createDiagnoser(arm, { now: NOW, graphVmIds: ['web1', 'web10', 'app1'].map((v) => vmId('rg-app', v)), graphVaultIds: [VAULT] });
    emu.requests.reset();
    const [web1, web10, app1] = await Promise.all([diag.diagnose(candidate('web1')), diag.diagnose(candidate('web10')), diag.diagnose(candidate('app1'))]);
    expect([web1.backupInProgress, web10.backupInProgress, app1.backupInProgress]).toEqual([false, true, true]);
    const all = emu.requests.all().filter((r) => r.category !== 'token');
    // web10's backup in progress and app1's cancel both came from Resource Graph. Graph: collections, items, running backups.
    expect(all.filter((r) => /\/backupJobs$/i.test(r.path))).toEqual([]);
    expect(all.filter((r) => r.path.includes('ResourceGraph'))).toHaveLength(3);
    // The same answers as the two ARM lists of a run not found through Resource Graph.
    const viaArm = createDiagnoser(arm, { now: NOW });
    expect((await Promise.all(['web1', 'web10', 'app1'].map((v) => viaArm.diagnose(candidate(v))))).map((d) => d.backupInProgress)).toEqual([false, true, true]);
  });

  it('concurrent diagnoses share in-flight cached reads', async () => {
    const diag = createDiagnoser(arm, { now: NOW });
    emu.requests.reset();
    await Promise.all(['web1', 'web10', 'app1'].map((v) => diag.diagnose(candidate(v))));
    expect(reads()).toHaveLength(9 + 2 + 2);
  });
});
