// Run Command on the emulator through the real SDK over HTTPS: the LRO, the guest state a script
// sees and changes (emulator/guest.ts), the refusals Compute gives, and Backup Now before and after
// a fix. Request and final body are checked against runCommand.json with ajv: oav validate-traffic
// throws on POST runCommand ("Converting circular structure to JSON", shared README-network-runcommand.md).
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { RecoveryServicesBackupClient } from '@azure/arm-recoveryservicesbackup';
import { start, type Emulator } from '../emulator';
import { EstateError, validateEstate } from '../emulator/validate';
import { staticTokenCredential } from '../emulator/credential';
import { ComputeManagementClient } from '@azure/arm-compute';
import { sdkClientOptions } from '../emulator/sdk-options';
import { sampleEstatePath } from '../emulator/sample';
import { clients, SUB, vmId } from './helpers/emulator';

const RG = 'rg-app';
const VAULT = 'rsv-prod';
const header = (id: string, version = 1) => `# backup-remediator-script: ${id}@${version}`;
const SPEC_DIR = join(__dirname, '..', '..', 'shared', 'azure-reference', 'swagger', 'specification', 'compute', 'resource-manager', 'Microsoft.Compute');

const SQL_FAILED = { name: 'SqlServerWriter', state: 'Failed', lastError: 'Timed out', service: 'SQLWriter', recoversOnRestart: true };
const SYSTEM_OK = { name: 'System Writer', state: 'Stable', lastError: 'No error', service: 'CryptSvc' };
const win = (name: string, extra: Record<string, unknown> = {}) => ({ name, os: 'Windows', ...extra });

function estate(): unknown {
  const vms = [
    win('vm-writer', { guest: { vssWriters: [SQL_FAILED, SYSTEM_OK], services: { SQLWriter: 'Running' } } }),
    win('vm-stuck-writer', { guest: { vssWriters: [{ ...SQL_FAILED, recoversOnRestart: false }] } }),
    win('vm-odd-writer', { guest: { vssWriters: [{ name: 'Contoso Ledger Writer', state: 'Waiting for completion', lastError: 'Retryable error', service: 'ContosoLedger' }] } }),
    win('vm-vss', { guest: { services: { VSS: 'Stopped' } } }),
    win('vm-com', { guest: { services: { MSDTC: 'Stopped' } } }),
    win('vm-slow', { guest: { slowSnapshot: true, registry: { SnapshotWithoutThreads: 'True' } } }),
    win('vm-plain'),
    win('vm-agent', { agent: { status: 'NotReady', version: 'Unknown' }, guest: { vssWriters: [SQL_FAILED] } }),
    win('vm-off', { powerState: 'deallocated', guest: { vssWriters: [SQL_FAILED] } }),
    { name: 'vm-linux', os: 'Linux' },
  ];
  return {
    now: '2026-11-20T06:00:00Z',
    subscriptions: [{
      id: SUB, displayName: 'prod', resourceGroups: [{
        name: RG, location: 'westeurope', virtualMachines: vms,
        vaults: [{ name: VAULT, protectedItems: vms.map((v) => ({ vmId: vmId(RG, v.name), policy: 'DefaultPolicy' })) }],
      }],
    }],
    simulation: { backupDurationSeconds: 600 },
  };
}

/** Every runCommand request body and every final (Location) result body the SDK saw. */
function recorder(seen: { requests: unknown[]; results: unknown[] }): PipelinePolicy {
  return {
    name: 'runcommand-recorder',
    async sendRequest(request, next) {
      const response = await next(request);
      const path = new URL(request.url).pathname;
      if (request.method === 'POST' && /\/runCommand$/i.test(path)) seen.requests.push(JSON.parse(String(request.body)));
      if (request.method === 'GET' && new URL(request.url).searchParams.get('monitor') === 'true' && response.status === 200) seen.results.push(JSON.parse(response.bodyAsText ?? 'null'));
      return response;
    },
  };
}

/** ajv over the official definitions (swagger extensions ignored), with the InstanceViewStatus keys closed. */
function swaggerValidators() {
  const ajv = new Ajv({ strict: false, validateSchema: false, validateFormats: false, allErrors: true });
  const base = 'file:///spec/ComputeRP/stable/2024-11-01/';
  ajv.addSchema(JSON.parse(readFileSync(join(SPEC_DIR, 'ComputeRP/stable/2024-11-01/runCommand.json'), 'utf8')), `${base}runCommand.json`);
  const common = JSON.parse(readFileSync(join(SPEC_DIR, 'ComputeRP/stable/2024-11-01/computeRPCommon.json'), 'utf8'));
  const statusKeys = Object.keys(common.definitions.InstanceViewStatus.properties);
  ajv.addSchema(common, `${base}computeRPCommon.json`);
  const input = ajv.getSchema(`${base}runCommand.json#/definitions/RunCommandInput`)!;
  const result = ajv.getSchema(`${base}runCommand.json#/definitions/RunCommandResult`)!;
  return {
    input: (b: unknown) => (input(b) ? [] : input.errors),
    result: (b: any) => {
      if (!result(b)) return result.errors;
      const extra = (b.value as Record<string, unknown>[]).flatMap((s) => Object.keys(s).filter((k) => !statusKeys.includes(k)));
      return extra.length ? [`InstanceViewStatus has no ${extra.join(', ')}`] : [];
    },
  };
}

/** A POST the SDK would never send (its serializer types the body), straight over HTTPS. */
async function rawRunCommand(emu: Emulator, vm: string, body: string): Promise<{ status: number; json: any }> {
  const token = (await staticTokenCredential().getToken('https://management.azure.com/.default'))!.token;
  const url = `${emu.endpoint}/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${vm}/runCommand?api-version=2026-04-01`;
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca: emu.ca, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Backup Now, the clock past its duration, then the job's outcome. */
async function backupOutcome(emu: Emulator, backup: RecoveryServicesBackupClient, vm: string, vaultRg = RG) {
  const container = `IaasVMContainer;iaasvmcontainerv2;${RG};${vm}`;
  const item = `VM;iaasvmcontainerv2;${RG};${vm}`;
  let asyncOp: string | undefined;
  await backup.backups.trigger(VAULT, vaultRg, 'Azure', container, item, { properties: { objectType: 'IaasVMBackupRequest' } }, {
    onResponse: (raw) => void (asyncOp = raw.headers.get('azure-asyncoperation') ?? undefined),
  });
  const status = await backup.protectedItemOperationStatuses.get(VAULT, vaultRg, 'Azure', container, item, new URL(asyncOp!).pathname.split('/').pop()!);
  emu.clock.advance(3600_000);
  const job = await backup.jobDetails.get(VAULT, vaultRg, (status.properties as { jobId: string }).jobId);
  const p = job.properties as { status?: string; errorDetails?: { errorCode?: number; errorString?: string }[] };
  return { status: p.status, errorCode: p.errorDetails?.[0]?.errorCode, errorString: p.errorDetails?.[0]?.errorString };
}

/** The JSON line a script printed: the last non-empty line of stdout (Windows) or of the Linux message's [stdout]. */
function printed(result: { value?: { code?: string; message?: string }[] }): any {
  const first = result.value![0]!;
  const stdout = first.code === 'ProvisioningState/succeeded' ? /\[stdout\]\n([\s\S]*)\n\[stderr\]/.exec(first.message!)![1] : first.message!;
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  return JSON.parse(lines[lines.length - 1]!);
}

describe('Run Command on the emulator (real SDK, HTTPS)', () => {
  let emu: Emulator;
  let compute: ComputeManagementClient;
  let backup: RecoveryServicesBackupClient;
  const seen = { requests: [] as unknown[], results: [] as unknown[] };
  const lro = { updateIntervalInMs: 0 };
  const guestOf = (vm: string) => JSON.parse(JSON.stringify(emu.state.vm(SUB, RG, vm)!.vm.guest ?? null));
  const run = (vm: string, script: string[], commandId = 'RunPowerShellScript') => compute.virtualMachines.beginRunCommandAndWait(RG, vm, { commandId, script }, lro);

  beforeAll(async () => {
    emu = await start({ estate: estate() });
    compute = new ComputeManagementClient(staticTokenCredential(), SUB, { ...sdkClientOptions(emu), additionalPolicies: [{ policy: recorder(seen), position: 'perCall' }] });
    backup = clients(emu).backup;
  });
  afterAll(async () => {
    await emu?.stop();
  });

  test('the Windows diagnostic prints the estate guest as one JSON line and changes nothing', async () => {
    const before = guestOf('vm-writer');
    const result = await run('vm-writer', [header('windows-guest-diagnose'), 'vssadmin list writers']);
    expect(result.value!.map((s) => [s.code, s.level, s.displayStatus])).toEqual([
      ['ComponentStatus/StdOut/succeeded', 'Info', 'Provisioning succeeded'],
      ['ComponentStatus/StdErr/succeeded', 'Info', 'Provisioning succeeded'],
    ]);
    expect(result.value![1]!.message).toBe('');
    expect(printed(result)).toEqual({
      script: 'windows-guest-diagnose@1',
      writers: [
        { name: 'SqlServerWriter', state: 'Failed', lastError: 'Timed out', service: 'SQLWriter' },
        { name: 'System Writer', state: 'Stable', lastError: 'No error', service: 'CryptSvc' },
      ],
      services: { VSS: 'Running', COMSysApp: 'Running', MSDTC: 'Running', SQLWriter: 'Running', CryptSvc: 'Running' },
      registry: { SnapshotMethod: null, CalculateSnapshotTimeFromHost: null, SnapshotWithoutThreads: null },
    });
    expect(guestOf('vm-writer')).toEqual(before);
  });

  test('the Linux diagnostic answers in the Linux shape (one status, [stdout]/[stderr] in the message)', async () => {
    const result = await run('vm-linux', [header('linux-guest-diagnose'), 'systemctl is-active walinuxagent'], 'RunShellScript');
    expect(result.value).toHaveLength(1);
    expect(result.value![0]).toMatchObject({ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded' });
    expect(result.value![0]!.message).toMatch(/^Enable succeeded: \n\[stdout\]\n[\s\S]*\n\[stderr\]\n$/);
    expect(printed(result)).toEqual({ script: 'linux-guest-diagnose@1', services: { walinuxagent: 'active', waagent: 'inactive' } });
  });

  test('VSS writer: Backup Now fails with the writer code before the fix and succeeds after it', async () => {
    expect(await backupOutcome(emu, backup, 'vm-writer')).toEqual({
      status: 'Failed', errorCode: 990106, errorString: 'Snapshot operation failed because VSS writers were in a bad state',
    });
    const fix = await run('vm-writer', [header('vss-restart-writer-services'), '# restart services of unstable writers']);
    expect(printed(fix)).toEqual({ script: 'vss-restart-writer-services@1', changed: ['restarted SQLWriter'], skipped: [], failed: [] });
    expect(guestOf('vm-writer').vssWriters[0]).toMatchObject({ name: 'SqlServerWriter', state: 'Stable', lastError: 'No error' });
    expect(guestOf('vm-writer').vssWriters[1]).toEqual(SYSTEM_OK);
    expect(await backupOutcome(emu, backup, 'vm-writer')).toEqual({ status: 'Completed', errorCode: undefined, errorString: undefined });
  });

  test('a writer that does not recover on restart, or is outside the scripts\' writer map, keeps failing the backup after the fix', async () => {
    expect(printed(await run('vm-stuck-writer', [header('vss-restart-writer-services')]))).toMatchObject({ changed: ['restarted SQLWriter'], skipped: [] });
    expect(guestOf('vm-stuck-writer').vssWriters[0]).toMatchObject({ state: 'Failed', lastError: 'Timed out' });
    expect(await backupOutcome(emu, backup, 'vm-stuck-writer')).toMatchObject({ status: 'Failed', errorCode: 990106 });
    const odd = printed(await run('vm-odd-writer', [header('vss-restart-writer-services')]));
    expect(odd).toEqual({ script: 'vss-restart-writer-services@1', changed: [], skipped: ['Contoso Ledger Writer'], failed: [] });
    expect(printed(await run('vm-odd-writer', [header('windows-guest-diagnose')])).writers).toEqual([
      { name: 'Contoso Ledger Writer', state: 'Waiting for completion', lastError: 'Retryable error', service: null },
    ]);
    expect(await backupOutcome(emu, backup, 'vm-odd-writer')).toMatchObject({ status: 'Failed', errorCode: 990106 });
  });

  test.each([
    ['vm-vss', 'vss-restart-service', 990107, 'Snapshot operation failed due to VSS (Volume Shadow Copy) service in bad state', { changed: ['started VSS'], failed: [] }],
    ['vm-com', 'complus-restart', 990108, 'Snapshot operation failed due to COM+ error', { changed: ['started MSDTC', 'restarted COMSysApp'], failed: [], notes: [] }],
    ['vm-slow', 'snapshot-registry-set', 990109, 'Snapshot operation failed due to inadequate VM resources', {
      changed: ['SnapshotMethod=firstHostThenGuest', 'CalculateSnapshotTimeFromHost=True'], failed: [],
    }],
  ])('%s: fails with its code, %s removes the cause, the next backup completes', async (vm, script, code, message, effect) => {
    expect(await backupOutcome(emu, backup, vm)).toEqual({ status: 'Failed', errorCode: code, errorString: message });
    expect(printed(await run(vm, [header(script)]))).toEqual({ script: `${script}@1`, ...effect });
    expect(await backupOutcome(emu, backup, vm)).toMatchObject({ status: 'Completed' });
  });

  test('the registry fix sets the documented values, seen by the next diagnostic', async () => {
    const diag = printed(await run('vm-slow', [header('windows-guest-diagnose')]));
    expect(diag.registry).toEqual({ SnapshotMethod: 'firstHostThenGuest', CalculateSnapshotTimeFromHost: 'True', SnapshotWithoutThreads: 'True' });
    expect(diag.services).toMatchObject({ VSS: 'Running', COMSysApp: 'Running', MSDTC: 'Running' });
  });

  test('an unrecognised script (no header, unknown id, other version, other OS) runs and changes nothing', async () => {
    const before = guestOf('vm-stuck-writer');
    const scripts = [
      ['Restart-Service SQLWriter'],
      [header('vss-restart-everything'), 'Restart-Service *'],
      [header('vss-restart-writer-services', 2)],
      [header('linux-guest-diagnose')],
      [`  ${header('vss-restart-writer-services')}`],
      [],
    ];
    for (const script of scripts) {
      const r = await run('vm-stuck-writer', script);
      expect(r.value!.map((s) => s.message)).toEqual(['script ran', '']);
    }
    expect(guestOf('vm-stuck-writer')).toEqual(before);
  });

  test('agent NotReady: the operation fails with VMAgentStatusCommunicationError; deallocated: 409 OperationNotAllowed; nothing changes', async () => {
    // The SDK (core-lro) turns a Failed operation into a plain Error whose message carries code and message.
    await expect(run('vm-agent', [header('vss-restart-writer-services')])).rejects.toThrow(
      "The long-running operation has failed. VMAgentStatusCommunicationError. VM 'vm-agent' has not reported status for VM agent or extensions. Please verify the VM has a running VM agent and can establish outbound connections to Azure storage.",
    );
    await expect(run('vm-off', [header('vss-restart-writer-services')])).rejects.toMatchObject({
      statusCode: 409, code: 'OperationNotAllowed', message: 'The operation requires the VM to be running (or set to run).',
    });
    expect(guestOf('vm-agent').vssWriters[0].state).toBe('Failed');
    expect(guestOf('vm-off').vssWriters[0].state).toBe('Failed');
  });

  test('refusals: unknown VM 404, wrong OS 409, unknown commandId 404, malformed bodies 400; each counted as a write, none changes the guest', async () => {
    const before = guestOf('vm-stuck-writer');
    emu.requests.reset();
    await expect(run('vm-nope', ['x'])).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    await expect(run('vm-linux', ['Get-Service'], 'RunPowerShellScript')).rejects.toMatchObject({
      statusCode: 409, code: 'Conflict', message: "Run command OS type 'Windows' does not match the target OS Linux.",
    });
    await expect(run('vm-plain', ['ls'], 'RunShellScript')).rejects.toMatchObject({ statusCode: 409, message: "Run command OS type 'Linux' does not match the target OS Windows." });
    await expect(run('vm-plain', [], 'IPConfig')).rejects.toMatchObject({ statusCode: 404, code: 'NotFound', message: 'The entity was not found in this Azure location.' });
    const bad: [string, string][] = [
      ['{}', 'InvalidParameter'],
      ['{"commandId":42}', 'InvalidRequestContent'],
      ['{"commandId":"RunPowerShellScript","script":"Restart-Service SQLWriter"}', 'InvalidRequestContent'],
      ['{"commandId":"RunPowerShellScript","script":[1,2]}', 'InvalidRequestContent'],
      ['{"commandId":"RunPowerShellScript","parameters":[{"name":"x"}]}', 'InvalidRequestContent'],
      ['[]', 'InvalidRequestContent'],
      ['not json', 'InvalidRequestContent'],
    ];
    for (const [body, code] of bad) {
      const r = await rawRunCommand(emu, 'vm-stuck-writer', body);
      expect([body, r.status, r.json?.error?.code]).toEqual([body, 400, code]);
      expect(typeof r.json.error.message).toBe('string');
    }
    expect(guestOf('vm-stuck-writer')).toEqual(before);
    const posts = emu.requests.all().filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(4 + bad.length);
    expect(emu.requests.writes()).toEqual(posts);
  });

  test('a successful run is one write (the POST, 202); its polls are reads', async () => {
    emu.requests.reset();
    await run('vm-plain', [header('windows-guest-diagnose')]);
    const writes = emu.requests.writes();
    expect(writes.map((w) => [w.method, w.status])).toEqual([['POST', 202]]);
    expect(writes[0]!.path).toBe(`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm-plain/runCommand`);
    expect(emu.requests.all().filter((r) => r.category === 'read').length).toBeGreaterThanOrEqual(1);
  });

  test('every request body and final result the SDK exchanged validates against runCommand.json', () => {
    const v = swaggerValidators();
    const sent = seen.requests.filter((b: any) => ['RunPowerShellScript', 'RunShellScript'].includes(b.commandId));
    expect(sent.length).toBeGreaterThan(10);
    expect(seen.results.length).toBeGreaterThan(10);
    for (const b of seen.requests) expect(v.input(b)).toEqual([]);
    for (const r of seen.results) expect(v.result(r)).toEqual([]);
    // The validator judges: a result missing `value` items' shape fails it.
    expect(v.result({ value: [{ code: 1 }] })).not.toEqual([]);
    expect(v.result({ value: [{ code: 'x', output: 'y' }] })).not.toEqual([]);
  });
});

describe('the sample estate: vm-vss-writer', () => {
  const PROD = '11111111-1111-1111-1111-111111111111';
  let emu: Emulator;
  beforeAll(async () => {
    emu = await start({ estate: sampleEstatePath() });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  test('its last job failed on the SQL writer; the diagnostic shows it, the writer fix clears it, Backup Now completes', async () => {
    const cred = staticTokenCredential();
    const compute = new ComputeManagementClient(cred, PROD, sdkClientOptions(emu));
    const { backup } = clients(emu, PROD);
    const job = emu.state.estate.subscriptions[0]!.resourceGroups.flatMap((g) => g.vaults.flatMap((v) => v.jobs)).filter((j) => j.vmId.endsWith('/vm-vss-writer'));
    expect(job.map((j) => [j.status, j.errorDetails?.[0]?.errorCode])).toEqual([['Failed', 'ExtensionFailedVssWriterInBadState']]);
    const run = async (id: string) => printed(await compute.virtualMachines.beginRunCommandAndWait(RG, 'vm-vss-writer', { commandId: 'RunPowerShellScript', script: [header(id)] }, { updateIntervalInMs: 0 }));
    expect((await run('windows-guest-diagnose')).writers[0]).toEqual({ name: 'SqlServerWriter', state: 'Failed', lastError: 'Timed out', service: 'SQLWriter' });
    expect(await backupOutcome(emu, backup, 'vm-vss-writer', 'rg-backup')).toMatchObject({ status: 'Failed', errorCode: 990106 });
    expect((await run('vss-restart-writer-services')).changed).toEqual(['restarted SQLWriter']);
    expect(await backupOutcome(emu, backup, 'vm-vss-writer', 'rg-backup')).toMatchObject({ status: 'Completed' });
  });
});

describe('estate guest field', () => {
  const withVm = (vm: unknown) => ({ subscriptions: [{ id: SUB, resourceGroups: [{ name: RG, virtualMachines: [vm] }] }] });

  test('accepts the documented shape and refuses Windows-only parts on Linux, bad states and duplicates', () => {
    expect(validateEstate(withVm(win('a', { guest: { vssWriters: [SQL_FAILED], services: { VSS: 'Stopped' }, registry: { SnapshotMethod: 'firstHostThenGuest' }, slowSnapshot: true } }))).subscriptions).toHaveLength(1);
    const refused = (vm: unknown) => {
      try {
        validateEstate(withVm(vm));
      } catch (e) {
        return (e as EstateError).message;
      }
      return 'accepted';
    };
    expect(refused({ name: 'l', os: 'Linux', guest: { vssWriters: [SQL_FAILED] } })).toMatch(/guest\.vssWriters: VSS writers exist only in a Windows guest/);
    expect(refused({ name: 'l', os: 'Linux', guest: { registry: {} } })).toMatch(/guest\.registry: .*only in a Windows guest/);
    expect(refused(win('a', { guest: { services: { VSS: 'Paused' } } }))).toMatch(/guest\.services\.VSS: expected "Running" \| "Stopped"/);
    expect(refused(win('a', { guest: { vssWriters: [SQL_FAILED, SQL_FAILED] } }))).toMatch(/duplicate VSS writer name 'SqlServerWriter'/);
    expect(refused(win('a', { guest: { vssWriters: [{ name: 'x', state: 'Stable' }] } }))).toMatch(/guest\.vssWriters\[0\]\.service: required/);
    expect(refused(win('a', { guest: { writers: [] } }))).toMatch(/unknown field\(s\) writers/);
  });
});
