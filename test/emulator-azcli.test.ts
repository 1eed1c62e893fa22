// The Azure CLI (Debian's azure-cli 2.45, Python SDKs) as a client independent of our Node SDKs:
// register a loopback cloud, sign in with the managed-identity protocol, then drive backup, locks,
// generic resources and `az rest` against the emulator. Every az call carries MSI_ENDPOINT so the CLI
// never falls back to the instance metadata address.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { start, type Emulator } from '../emulator/index';
import { sampleEstatePath } from '../emulator/sample';

const run = promisify(execFile);
const AZ = '/usr/bin/az';
const PROD = '11111111-1111-1111-1111-111111111111';
const LEGAL = '22222222-2222-2222-2222-222222222222';
const S = `/subscriptions/${PROD}`;
const API = '2024-11-01';

// The CLI's Python SDK types errorDetails[].errorCode as an integer (as bms.json does) and fails to
// deserialize a whole job list if one job carries a symbolic string there. So this estate is the
// sample with every string errorCode moved to errorTitle and a number in its place, as REST sends it.
function numericCodeEstate(): unknown {
  const estate = JSON.parse(readFileSync(sampleEstatePath(), 'utf8'));
  for (const sub of estate.subscriptions) for (const rg of sub.resourceGroups) for (const v of rg.vaults) for (const j of v.jobs) {
    for (const d of j.errorDetails ?? []) {
      if (typeof d.errorCode === 'string') {
        d.errorTitle = d.errorCode;
        d.errorCode = 990199;
      }
    }
  }
  return estate;
}

const azPresent = existsSync(AZ);
// On CI the CLI is installed by .ci/run: its absence there is a failure, not a skip.
const describeAz = azPresent || process.env.CI === 'true' ? describe : describe.skip;

describeAz('the Azure CLI against the emulator', () => {
  let emu: Emulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  async function az(...args: string[]): Promise<string> {
    const { stdout } = await run(AZ, [...args, '--only-show-errors'], { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }
  async function azJson<T = any>(...args: string[]): Promise<T> {
    return JSON.parse(await az(...args, '-o', 'json')) as T;
  }
  async function azFails(...args: string[]): Promise<string> {
    try {
      await az(...args);
    } catch (e) {
      return String((e as { stderr?: string }).stderr ?? e);
    }
    throw new Error(`expected az ${args.join(' ')} to fail`);
  }

  beforeAll(async () => {
    expect(azPresent).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'azcli-'));
    emu = await start({ estate: numericCodeEstate() });
    writeFileSync(join(dir, 'ca.pem'), emu.ca);
    const port = new URL(emu.endpoint).port;
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      AZURE_CONFIG_DIR: join(dir, 'azure'),
      REQUESTS_CA_BUNDLE: join(dir, 'ca.pem'),
      AZURE_CORE_COLLECT_TELEMETRY: 'false',
      AZURE_CORE_NO_COLOR: 'true',
      // App Service managed identity: plain HTTP on loopback, as in App Service itself
      MSI_ENDPOINT: `http://127.0.0.1:${port}/msi/token`,
      MSI_SECRET: 'emulator-identity-secret',
    };
    const ep = emu.endpoint;
    await az('cloud', 'register', '--name', 'Emulator', '--endpoint-resource-manager', `${ep}/`, '--endpoint-active-directory', ep,
      '--endpoint-active-directory-resource-id', `${ep}/`, '--endpoint-active-directory-graph-resource-id', `${ep}/`, '--endpoint-management', `${ep}/`);
    await az('cloud', 'set', '--name', 'Emulator');
    const accounts = await azJson<{ id: string; tenantId: string }[]>('login', '--identity');
    expect(accounts.map((a) => a.id).sort()).toEqual([PROD, LEGAL]);
    await az('account', 'set', '--subscription', PROD);
  }, 120_000);

  afterAll(async () => {
    await emu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('az backup job list / job show return the estate jobs', async () => {
    const jobs = await azJson<any[]>('backup', 'job', 'list', '-g', 'rg-backup', '-v', 'rsv-prod', '--status', 'Failed', '--operation', 'Backup',
      '--start-date', '19-11-2026', '--end-date', '21-11-2026');
    const byVm = new Map(jobs.map((j) => [j.properties.entityFriendlyName, j]));
    if (!byVm.has('vm-ext-stuck')) throw new Error(`jobs seen: ${[...byVm.keys()].join(', ')}; requests: ${emu.requests.all().filter((r) => /backupJobs/i.test(r.path)).map((r) => decodeURIComponent(r.query)).join(' | ')}`);
    expect(byVm.get('vm-ext-stuck').properties.errorDetails[0]).toMatchObject({ errorCode: 990199, errorTitle: 'ExtensionOperationFailedForManagedDisks' });
    expect(byVm.get('vm-offline').properties.errorDetails[0].errorCode).toBe(380008);
    expect(jobs.every((j) => j.properties.status === 'Failed')).toBe(true);
    const shown = await azJson('backup', 'job', 'show', '-g', 'rg-backup', '-v', 'rsv-prod', '-n', byVm.get('vm-2016').name);
    expect(shown.properties.errorDetails[0].errorString).toBe('Could not communicate with the VM agent for snapshot status - Snapshot VM sub task timed out');
  }, 60_000);

  it('az backup protection backup-now starts a job the emulator then runs', async () => {
    const job = await azJson('backup', 'protection', 'backup-now', '-g', 'rg-backup', '-v', 'rsv-prod', '-c', 'IaasVMContainer;iaasvmcontainerv2;rg-app;vm-healthy',
      '-i', 'VM;iaasvmcontainerv2;rg-app;vm-healthy', '--backup-management-type', 'AzureIaasVM', '--retain-until', '20-12-2026');
    expect(job.properties).toMatchObject({ entityFriendlyName: 'vm-healthy', operation: 'Backup', status: 'InProgress' });
    emu.clock.advance(3600_000);
    const done = await azJson('backup', 'job', 'show', '-g', 'rg-backup', '-v', 'rsv-prod', '-n', job.name);
    expect(done.properties.status).toBe('Completed');
  }, 60_000);

  it('az lock list at group and subscription scope', async () => {
    const group = await azJson<any[]>('lock', 'list', '-g', 'AzureBackupRG_westeurope_2');
    expect(group.map((l) => [l.name, l.level])).toEqual([['protect-backups', 'CanNotDelete']]);
    const sub = await azJson<any[]>('lock', 'list', '--subscription', LEGAL);
    expect(sub.map((l) => [l.name, l.level, l.notes])).toEqual([['legal-hold', 'CanNotDelete', 'litigation hold, ticket #42']]);
  }, 60_000);

  it('az resource show / delete on VMs, extensions and restore point collections; az rest for the instance view', async () => {
    const vm = await azJson('resource', 'show', '--ids', `${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-ext-stuck`, '--api-version', API);
    expect(vm).toMatchObject({ name: 'vm-ext-stuck', type: 'Microsoft.Compute/virtualMachines', location: 'westeurope' });
    const extId = `${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-ext-stuck/extensions/VMSnapshot`;
    expect((await azJson('resource', 'show', '--ids', extId, '--api-version', API)).properties.provisioningState).toBe('Failed');
    await az('resource', 'delete', '--ids', extId, '--api-version', API);
    expect(await azFails('resource', 'show', '--ids', extId, '--api-version', API)).toMatch(/ResourceNotFound/);
    expect(emu.state.vm(PROD, 'rg-app', 'vm-ext-stuck')!.vm.extensions).toEqual([]);

    const free = `${S}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web1_140738144265923`;
    const col = await azJson('resource', 'show', '--ids', free, '--api-version', API);
    expect(col.properties.source.id.toLowerCase()).toBe(`${S}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web1`.toLowerCase());
    await az('resource', 'delete', '--ids', free, '--api-version', API);
    expect(await azFails('resource', 'show', '--ids', free, '--api-version', API)).toMatch(/ResourceNotFound/);
    // web10's collection shares the name prefix and is still there
    await az('resource', 'show', '--ids', `${S}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web10_140738144265924`, '--api-version', API);

    const locked = `${S}/resourceGroups/AzureBackupRG_westeurope_2/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-rp-locked_140738144265906`;
    expect(await azFails('resource', 'delete', '--ids', locked, '--api-version', API)).toMatch(/failed to be deleted/);
    // az resource delete summarises; az rest shows ARM's own 409 body
    expect(await azFails('rest', '--method', 'delete', '--url', `${emu.endpoint}${locked}?api-version=${API}`)).toMatch(/ScopeLocked[\s\S]*cannot perform delete operation/);
    await az('resource', 'show', '--ids', locked, '--api-version', API);

    const view = await azJson('rest', '--method', 'get', '--url', `${emu.endpoint}${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-agent-down/instanceView?api-version=${API}`);
    expect(view.vmAgent.statuses[0].displayStatus).toBe('Not Ready');
    expect(view.statuses.map((s: { code: string }) => s.code)).toContain('PowerState/running');
  }, 90_000);
});
