import { start, type Emulator } from '../emulator';
import { clients, smallEstate, SUB, vmId } from './helpers/emulator';
import type { RecoveryServicesBackupClient } from '@azure/arm-recoveryservicesbackup';

const VAULT_RG = 'rg-app';
const VAULT = 'rsv-prod';
const container = (vm: string) => `IaasVMContainer;iaasvmcontainerv2;rg-app;${vm}`;
const item = (vm: string) => `VM;iaasvmcontainerv2;rg-app;${vm}`;

/** Backup Now through the SDK; the job id comes from the operation status the 202 points at. */
async function backupNow(backup: RecoveryServicesBackupClient, vm: string): Promise<string> {
  let asyncOp: string | undefined;
  await backup.backups.trigger(VAULT, VAULT_RG, 'Azure', container(vm), item(vm), { properties: { objectType: 'IaasVMBackupRequest' } }, {
    onResponse: (raw) => {
      asyncOp = raw.headers.get('azure-asyncoperation') ?? undefined;
    },
  });
  expect(asyncOp).toBeDefined();
  const opId = new URL(asyncOp!).pathname.split('/').pop()!;
  const status = await backup.protectedItemOperationStatuses.get(VAULT, VAULT_RG, 'Azure', container(vm), item(vm), opId);
  expect(status.status).toBe('Succeeded');
  const jobId = (status.properties as { jobId?: string }).jobId;
  expect(jobId).toBeDefined();
  return jobId!;
}

describe('Recovery Services through the real SDK client', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await start({ estate: smallEstate({ backupDurationSeconds: 600 }) });
  });
  afterAll(async () => {
    await emu.stop();
  });

  test('jobs list honours the $filter grammar and serves estate errorDetails verbatim', async () => {
    const { backup } = clients(emu);
    const jobs = [];
    for await (const j of backup.backupJobs.list(VAULT, VAULT_RG, {
      filter: "status eq 'Failed' and operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and startTime eq '2026-11-20 12:00:00 AM' and endTime eq '2026-11-20 06:00:00 AM'",
    }))
      jobs.push(j);
    expect(jobs.map((j) => j.name)).toEqual(['5f1c3e8a-0000-4000-8000-000000000001']);
    expect(jobs[0].properties).toMatchObject({
      jobType: 'AzureIaaSVMJob',
      entityFriendlyName: 'vm-agent',
      containerName: 'iaasvmcontainerv2;rg-app;vm-agent',
      errorDetails: [{ errorCode: 'UserErrorGuestAgentStatusUnavailable', errorString: 'VM Agent unable to communicate with Azure Backup' }],
    });
    const none = [];
    for await (const j of backup.backupJobs.list(VAULT, VAULT_RG, { filter: "startTime eq '2026-11-20 01:30:00 AM' and endTime eq '2026-11-20 06:00:00 AM'" })) none.push(j);
    expect(none).toEqual([]);
  });

  test('an unknown filter field is refused with 400', async () => {
    const { backup } = clients(emu);
    const iter = backup.backupJobs.list(VAULT, VAULT_RG, { filter: "colour eq 'blue'" });
    await expect(iter.next()).rejects.toMatchObject({ statusCode: 400, code: 'BMSUserErrorInvalidInput' });
  });

  test('protected items list with the VM filter, and get by %3B-encoded names', async () => {
    const { backup } = clients(emu);
    const items = [];
    for await (const i of backup.backupProtectedItems.list(VAULT, VAULT_RG, { filter: "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'" })) items.push(i);
    expect(items.map((i) => i.name)).toEqual(['vm-ok', 'vm-agent', 'vm-ext', 'vm-full', 'vm-nonet'].map(item));
    expect(items[0].properties).toMatchObject({ protectedItemType: 'Microsoft.Compute/virtualMachines', sourceResourceId: vmId('rg-app', 'vm-ok'), friendlyName: 'vm-ok' });
    const one = await backup.protectedItems.get(VAULT, VAULT_RG, 'Azure', container('vm-ok'), item('vm-ok'));
    expect(one.id).toBe(`/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/rsv-prod/backupFabrics/Azure/protectionContainers/${container('vm-ok')}/protectedItems/${item('vm-ok')}`);
    const containers = [];
    for await (const c of backup.backupProtectionContainers.list(VAULT, VAULT_RG, { filter: "backupManagementType eq 'AzureIaasVM'" })) containers.push(c);
    expect(containers).toHaveLength(5);
  });

  test('Backup Now: InProgress, a second trigger refused, Completed after the clock passes the duration, restore point added', async () => {
    const { backup, compute } = clients(emu);
    const jobId = await backupNow(backup, 'vm-ok');
    const running = await backup.jobDetails.get(VAULT, VAULT_RG, jobId);
    expect(running.properties).toMatchObject({ status: 'InProgress', operation: 'Backup', entityFriendlyName: 'vm-ok', isUserTriggered: true });

    await expect(backupNow(backup, 'vm-ok')).rejects.toMatchObject({ statusCode: 400, code: 'UserErrorBackupOperationInProgress' });

    emu.clock.advance(599_000);
    expect((await backup.jobDetails.get(VAULT, VAULT_RG, jobId)).properties?.status).toBe('InProgress');
    emu.clock.advance(1_000);
    const done = await backup.jobDetails.get(VAULT, VAULT_RG, jobId);
    expect(done.properties).toMatchObject({ status: 'Completed', endTime: new Date('2026-11-20T06:10:00Z') });
    const rpc = await compute.restorePointCollections.get('AzureBackupRG_westeurope_1', 'AzureBackup_vm-ok_200', { expand: 'restorePoints' });
    expect(rpc.restorePoints).toHaveLength(4);
  });

  test('agent NotReady fails with UserErrorGuestAgentStatusUnavailable as an integer errorCode', async () => {
    const { backup } = clients(emu);
    const jobId = await backupNow(backup, 'vm-agent');
    emu.clock.advance(600_000);
    const job = await backup.jobDetails.get(VAULT, VAULT_RG, jobId);
    expect(job.properties).toMatchObject({
      status: 'Failed',
      errorDetails: [{ errorCode: 990101, errorTitle: '', errorString: 'VM Agent unable to communicate with Azure Backup' }],
    });
  });

  test('18 points with a lock over the collection fails with UserErrorRpCollectionLimitReached; no network and failed extension fail too', async () => {
    const { backup } = clients(emu);
    const full = await backupNow(backup, 'vm-full');
    const nonet = await backupNow(backup, 'vm-nonet');
    const ext = await backupNow(backup, 'vm-ext');
    emu.clock.advance(600_000);
    const codes = async (id: string) => (await backup.jobDetails.get(VAULT, VAULT_RG, id)).properties as { errorDetails?: { errorCode?: number; errorString?: string }[] };
    expect((await codes(full)).errorDetails?.[0]).toMatchObject({ errorCode: 990104, errorString: 'The Restore Point collection max limit has reached.' });
    expect((await codes(nonet)).errorDetails?.[0].errorCode).toBe(990102);
    expect((await codes(ext)).errorDetails?.[0].errorCode).toBe(990103);
  });

  test('without the lock the 19th point is pruned to 18; a missing collection and extension are created', async () => {
    const { backup, compute, locks } = clients(emu);
    await locks.managementLocks.deleteAtResourceGroupLevel('AzureBackupRG_westeurope_1', 'keep');
    const jobId = await backupNow(backup, 'vm-full');
    emu.clock.advance(600_000);
    expect((await backup.jobDetails.get(VAULT, VAULT_RG, jobId)).properties?.status).toBe('Completed');
    const rpc = await compute.restorePointCollections.get('AzureBackupRG_westeurope_1', 'AzureBackup_vm-full_100', { expand: 'restorePoints' });
    expect(rpc.restorePoints).toHaveLength(18);
    expect(rpc.restorePoints?.some((p) => p.name?.startsWith('rp-0001'))).toBe(false);
    const exts = await compute.virtualMachineExtensions.list('rg-app', 'vm-full');
    expect(exts.value?.map((x) => [x.name, x.provisioningState])).toEqual([['VMSnapshotLinux', 'Succeeded']]);

    emu.state.vmById(vmId('rg-app', 'vm-nonet'))!.vm.outboundConnectivity = true;
    await backupNow(backup, 'vm-nonet');
    emu.clock.advance(600_000);
    const cols = [];
    for await (const c of compute.restorePointCollections.list('AzureBackupRG_westeurope_1')) cols.push(c);
    const created = cols.find((c) => c.source?.id === vmId('rg-app', 'vm-nonet'));
    expect(created?.name).toMatch(/^AzureBackup_vm-nonet_\d+$/);
  });

  test('zero duration: InProgress when triggered, ended by the next request', async () => {
    emu.state.estate.simulation.backupDurationSeconds = 0;
    const { backup } = clients(emu);
    const jobId = await backupNow(backup, 'vm-ok');
    const job = emu.state.estate.subscriptions[0].resourceGroups[0].vaults[0].jobs.find((j) => j.name === jobId)!;
    expect(job.status).toBe('Completed'); // the operation-status poll in backupNow was the next request
    emu.state.estate.simulation.backupDurationSeconds = 600;
  });

  test('job cancel runs to completion', async () => {
    const { backup } = clients(emu);
    const jobId = await backupNow(backup, 'vm-ok');
    await backup.jobCancellations.trigger(VAULT, VAULT_RG, jobId);
    const job = await backup.jobDetails.get(VAULT, VAULT_RG, jobId);
    expect(job.properties?.status).toBe('Cancelled');
    emu.clock.advance(600_000);
    expect((await backup.jobDetails.get(VAULT, VAULT_RG, jobId)).properties?.status).toBe('Cancelled');
  });
});
