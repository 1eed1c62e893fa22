import * as https from 'node:https';
import { start, type Emulator } from '../emulator';
import { clients, smallEstate, SUB, vmId } from './helpers/emulator';
import { makeJwt, DEFAULT_PRINCIPAL_ID } from '../emulator/jwt';

const OTHER_TOKEN = makeJwt({ oid: '00000000-0000-4000-8000-0000000000bb' });

function rawGet(emu: Emulator, path: string, agent: https.Agent, token = OTHER_TOKEN): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${emu.endpoint}${path}`, { ca: emu.ca, agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ARM behaviour through the real SDK clients', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await start({ estate: smallEstate() });
  });
  afterAll(async () => {
    await emu.stop();
  });
  afterEach(() => {
    emu.setPageSize(200);
    emu.faults.clear();
    emu.setThrottling('off');
  });

  test('resource groups via arm-resources, paged across several pages with absolute nextLinks', async () => {
    emu.setPageSize(1);
    const { resources, compute } = clients(emu);
    const rgs = [];
    for await (const rg of resources.resourceGroups.list()) rgs.push(rg.name);
    expect(rgs).toEqual(['rg-app', 'AzureBackupRG_westeurope_1', 'AzureBackupRG_westeurope_2']);
    emu.setPageSize(2);
    const vms = [];
    for await (const vm of compute.virtualMachines.list('rg-app')) vms.push(vm.name);
    expect(vms).toEqual(['vm-ok', 'vm-agent', 'vm-ext', 'vm-full', 'vm-nonet']);
    const listCalls = emu.requests.all().filter((r) => r.path.endsWith('/virtualMachines'));
    expect(listCalls).toHaveLength(3);
    expect(listCalls[2].query).toContain('skiptoken=4');
    const all = [];
    for await (const vm of compute.virtualMachines.listAll()) all.push(vm.id);
    expect(all).toContain(vmId('rg-app', 'vm-nonet'));
  });

  test('VM GET carries the child extensions as `resources` (with and without $expand=instanceView), as ARM does', async () => {
    const { compute } = clients(emu);
    for (const opts of [{}, { expand: 'instanceView' as const }]) {
      const vm = await compute.virtualMachines.get('rg-app', 'vm-ok', opts);
      expect(vm.resources).toHaveLength(1);
      expect(vm.resources![0]).toMatchObject({
        id: `${vmId('rg-app', 'vm-ok')}/extensions/VMSnapshot`,
        name: 'VMSnapshot',
        type: 'Microsoft.Compute/virtualMachines/extensions',
        publisher: 'Microsoft.Azure.RecoveryServices',
        typePropertiesType: 'VMSnapshot',
        provisioningState: 'Succeeded',
      });
      expect(typeof vm.resources![0].typeHandlerVersion).toBe('string');
    }
    // A VM without extensions has no `resources`; so has every VM when the emulator plays an ARM that leaves them out.
    expect((await compute.virtualMachines.get('rg-app', 'vm-full')).resources).toBeUndefined();
    emu.setVmGetResources(false);
    try {
      const vm = await compute.virtualMachines.get('rg-app', 'vm-ok', { expand: 'instanceView' });
      expect(vm.resources).toBeUndefined();
      expect(vm.instanceView?.extensions?.length).toBe(1);
    } finally {
      emu.setVmGetResources(true);
    }
  });

  test('extension delete is an LRO that completes; the extension is gone', async () => {
    const { compute } = clients(emu);
    await compute.virtualMachineExtensions.delete('rg-app', 'vm-ext', 'VMSnapshot', { updateIntervalInMs: 0 });
    const exts = await compute.virtualMachineExtensions.list('rg-app', 'vm-ext');
    expect(exts.value).toEqual([]);
    const del = emu.requests.writes();
    expect(del.map((r) => [r.method, r.status])).toContainEqual(['DELETE', 202]);
  });

  test('restore point collection delete: 409 ScopeLocked under an RG lock, then succeeds once unlocked', async () => {
    const { compute, locks } = clients(emu);
    const rpcId = `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-ok_200`;
    await expect(compute.restorePointCollections.delete('AzureBackupRG_westeurope_1', 'AzureBackup_vm-ok_200', { updateIntervalInMs: 0 })).rejects.toMatchObject({
      statusCode: 409,
      code: 'ScopeLocked',
      message: `The scope '${rpcId}' cannot perform delete operation because following scope(s) are locked: '/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_1'. Please remove the lock and try again.`,
    });
    await locks.managementLocks.deleteAtResourceGroupLevel('AzureBackupRG_westeurope_1', 'keep');
    await compute.restorePointCollections.delete('AzureBackupRG_westeurope_1', 'AzureBackup_vm-ok_200', { updateIntervalInMs: 0 });
    await expect(compute.restorePointCollections.get('AzureBackupRG_westeurope_1', 'AzureBackup_vm-ok_200')).rejects.toMatchObject({ statusCode: 404 });
    await locks.managementLocks.createOrUpdateAtResourceGroupLevel('AzureBackupRG_westeurope_1', 'keep', { level: 'CanNotDelete' });
  });

  test('409 ScopeLocked under a subscription lock and under a resource lock (VM lock covers its extension)', async () => {
    const { compute, locks } = clients(emu);
    await locks.managementLocks.createOrUpdateAtSubscriptionLevel('sub-guard', { level: 'CanNotDelete', notes: 'change #42' });
    await expect(compute.restorePointCollections.delete('AzureBackupRG_westeurope_2', 'AzureBackup_vm-agent_300', { updateIntervalInMs: 0 })).rejects.toMatchObject({
      statusCode: 409,
      code: 'ScopeLocked',
      message: expect.stringContaining(`following scope(s) are locked: '/subscriptions/${SUB}'`),
    });
    await locks.managementLocks.deleteAtSubscriptionLevel('sub-guard');

    await locks.managementLocks.createOrUpdateAtResourceLevel('rg-app', 'Microsoft.Compute', '', 'virtualMachines', 'vm-ok', 'vm-guard', { level: 'ReadOnly' });
    await expect(compute.virtualMachineExtensions.delete('rg-app', 'vm-ok', 'VMSnapshot', { updateIntervalInMs: 0 })).rejects.toMatchObject({
      statusCode: 409,
      code: 'ScopeLocked',
      message: expect.stringContaining(`locked: '${vmId('rg-app', 'vm-ok')}'`),
    });
    const atVm = [];
    for await (const l of locks.managementLocks.listAtResourceLevel('rg-app', 'Microsoft.Compute', '', 'virtualMachines', 'vm-ok')) atVm.push(l.id);
    expect(atVm).toEqual([`${vmId('rg-app', 'vm-ok')}/providers/Microsoft.Authorization/locks/vm-guard`]);
    const atRg = [];
    for await (const l of locks.managementLocks.listAtResourceGroupLevel('rg-app')) atRg.push(l.name);
    expect(atRg).toEqual(['vm-guard']);
    const atSub = [];
    for await (const l of locks.managementLocks.listAtSubscriptionLevel()) atSub.push(l.name);
    expect(atSub.sort()).toEqual(['keep', 'vm-guard']);
    const got = await locks.managementLocks.getByScope(`/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_1`, 'keep');
    expect(got).toMatchObject({ level: 'CanNotDelete', type: 'Microsoft.Authorization/locks' });
    await locks.managementLocks.deleteAtResourceLevel('rg-app', 'Microsoft.Compute', '', 'virtualMachines', 'vm-ok', 'vm-guard');
  });

  test('an injected 503 is retried by the SDK; a reset connection is retried too', async () => {
    const { compute } = clients(emu);
    emu.faults.add({ method: 'GET', path: '*/virtualMachines/vm-ok', status: 503, retryAfterSeconds: 0, times: 1 });
    const vm = await compute.virtualMachines.get('rg-app', 'vm-ok');
    expect(vm.name).toBe('vm-ok');
    const calls = emu.requests.all().filter((r) => r.path.endsWith('/virtualMachines/vm-ok'));
    expect(calls.slice(-2).map((r) => [r.status, r.faulted])).toEqual([
      [503, true],
      [200, false],
    ]);
    emu.faults.add({ method: 'GET', path: '*/virtualMachines/vm-agent', kind: 'reset', times: 1 });
    expect((await compute.virtualMachines.get('rg-app', 'vm-agent')).name).toBe('vm-agent');
  });

  test('ARM throttling: the read bucket empties, 429 + Retry-After, the SDK waits and succeeds', async () => {
    emu.setThrottling('arm');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
    const path = `/subscriptions/${SUB}/resourceGroups/rg-app?api-version=2025-04-01`;
    const first = await rawGet(emu, path, agent);
    expect(first.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('249');
    // The drain uses its own principal, so the SDK's principal still has a full bucket...
    const drain = await Promise.all(Array.from({ length: 400 }, () => rawGet(emu, path, agent)));
    const throttled = drain.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(50);
    expect(Number(throttled[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The SDK's principal still has a full bucket: buckets are per subscription AND principal.
    const { resources } = clients(emu);
    expect((await resources.resourceGroups.get('rg-app')).name).toBe('rg-app');
    agent.destroy();
    // With its write budget spent, the SDK's next write meets 429, waits Retry-After (1 s) and succeeds.
    emu.exhaustBudget(SUB, DEFAULT_PRINCIPAL_ID, 'writes');
    emu.requests.reset();
    const { locks } = clients(emu);
    const t0 = Date.now();
    const lock = await locks.managementLocks.createOrUpdateAtSubscriptionLevel('throttled', { level: 'CanNotDelete' });
    expect(lock.name).toBe('throttled');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(emu.requests.all().map((r) => [r.status, r.throttled])).toEqual([
      [429, true],
      [201, false],
    ]);
    await locks.managementLocks.deleteAtSubscriptionLevel('throttled');
  });
});
