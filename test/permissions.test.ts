// The custom roles in infra/ must hold exactly what the engine does. This runs the engine over
// the sample estate through the real SDK clients against the emulator, maps every logged ARM
// request to its RBAC operation (lib/arm/permissions.ts) and compares the result with the
// role actions parsed out of the Bicep: an ARM call without its permission fails here.

import { armContextFor } from './helpers/emulator';
import { join } from 'path';
import { start, type Emulator } from '../emulator/index';
import { sampleEstatePath } from '../emulator/sample';
import { actionModule } from '../lib/actions';
import { isReadOnlyOperation, permissionFor, permissionKind } from '../lib/arm/permissions';
import { DEFAULT_SETTINGS, type Settings } from '../lib/config';
import { runRemediation } from '../lib/engine';
import { createLedger } from '../lib/ledger';
import { startAzurite, type AzuriteInstance } from '../emulator/azurite';
import { ACTION_KINDS, type RunMode, type RunReport } from '../lib/types';
import { declaration, evaluate, parseBicep, path as bicepPath } from './helpers/bicep';

const SUB = '00000000-0000-4000-8000-000000000001';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-app`;
const VM = `${RG}/providers/Microsoft.Compute/virtualMachines/vm-web-01`;
const VAULT = `${RG}/providers/Microsoft.RecoveryServices/vaults/rsv-prod`;
const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-web-01/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-web-01`;

describe('permissionFor', () => {
  const cases: [string, string, string | undefined][] = [
    ['GET', VM, 'Microsoft.Compute/virtualMachines/read'],
    ['GET', `${RG}/providers/Microsoft.Compute/virtualMachines`, 'Microsoft.Compute/virtualMachines/read'],
    ['GET', `${VM}/instanceView`, 'Microsoft.Compute/virtualMachines/instanceView/read'],
    ['GET', `${VM}/extensions`, 'Microsoft.Compute/virtualMachines/extensions/read'],
    ['DELETE', `${VM}/extensions/VMSnapshot`, 'Microsoft.Compute/virtualMachines/extensions/delete'],
    ['PUT', `${VM}/extensions/VMSnapshot`, 'Microsoft.Compute/virtualMachines/extensions/write'],
    ['PATCH', VM, 'Microsoft.Compute/virtualMachines/write'],
    ['POST', `${VM}/restart`, 'Microsoft.Compute/virtualMachines/restart/action'],
    ['GET', `${RG}/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-web-01_1`, 'Microsoft.Compute/restorePointCollections/read'],
    ['DELETE', `${RG}/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-web-01_1`, 'Microsoft.Compute/restorePointCollections/delete'],
    [
      'GET',
      `${RG}/providers/Microsoft.Compute/restorePointCollections/c/restorePoints/p`,
      'Microsoft.Compute/restorePointCollections/restorePoints/read',
    ],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/abc`, 'Microsoft.Compute/locations/operations/read'],
    ['POST', `${ITEM}/backup`, 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/backup/action'],
    ['GET', ITEM, 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/read'],
    [
      'GET',
      `${ITEM}/operationsStatus/0d9f2a`,
      'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/operationsStatus/read',
    ],
    [
      'GET',
      `${ITEM}/operationResults/0d9f2a`,
      'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/operationResults/read',
    ],
    ['GET', `${VAULT}/backupJobs`, 'Microsoft.RecoveryServices/vaults/backupJobs/read'],
    ['GET', `${VAULT}/backupJobs/7b1c`, 'Microsoft.RecoveryServices/vaults/backupJobs/read'],
    ['GET', `${VAULT}/backupProtectedItems`, 'Microsoft.RecoveryServices/vaults/backupProtectedItems/read'],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.RecoveryServices/vaults`, 'Microsoft.RecoveryServices/vaults/read'],
    ['POST', '/providers/Microsoft.ResourceGraph/resources', 'Microsoft.ResourceGraph/resources/read'],
    ['POST', '/providers/microsoft.resourcegraph/RESOURCES', 'Microsoft.ResourceGraph/resources/read'],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.Authorization/locks`, 'Microsoft.Authorization/locks/read'],
    ['GET', `${RG}/providers/Microsoft.Authorization/locks`, 'Microsoft.Authorization/locks/read'],
    // resource-level lock listing sends an empty parent path
    ['GET', `${RG}/providers/Microsoft.Compute//virtualMachines/vm-web-01/providers/Microsoft.Authorization/locks`, 'Microsoft.Authorization/locks/read'],
    ['GET', RG, 'Microsoft.Resources/subscriptions/resourceGroups/read'],
    ['GET', `/subscriptions/${SUB}/resourcegroups`, 'Microsoft.Resources/subscriptions/resourcegroups/read'],
    ['GET', `/subscriptions/${SUB}`, 'Microsoft.Resources/subscriptions/read'],
    ['GET', `${VM}/`, 'Microsoft.Compute/virtualMachines/read'],
    ['GET', `https://127.0.0.1:4443${VM}?api-version=2026-04-01&$expand=instanceView`, 'Microsoft.Compute/virtualMachines/read'],
    ['POST', '/providers/Microsoft.Compute/register', 'Microsoft.Compute/register/action'],
    // guest fixes: Run Command (the action form; an LRO polled through compute's operations)
    ['POST', `${VM}/runCommand`, 'Microsoft.Compute/virtualMachines/runCommand/action'],
    // confirmed network diagnosis: the NIC, its effective rules and routes, their LRO polls
    ['GET', `${RG}/providers/Microsoft.Network/networkInterfaces/vm-web-01-nic`, 'Microsoft.Network/networkInterfaces/read'],
    ['POST', `${RG}/providers/Microsoft.Network/networkInterfaces/vm-web-01-nic/effectiveNetworkSecurityGroups`, 'Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action'],
    ['POST', `${RG}/providers/Microsoft.Network/networkInterfaces/vm-web-01-nic/effectiveRouteTable`, 'Microsoft.Network/networkInterfaces/effectiveRouteTable/action'],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.Network/locations/westeurope/operations/abc`, 'Microsoft.Network/locations/operations/read'],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.Network/locations/westeurope/operationResults/abc`, 'Microsoft.Network/locations/operationResults/read'],
    // not ARM resource calls, or no ARM shape: nothing to authorise / cannot say
    ['POST', '/msi/token', undefined],
    ['GET', '/metadata/identity/oauth2/token', undefined],
    ['POST', '/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token', undefined],
    ['DELETE', `${VM}/extensions`, undefined],
    ['PUT', `${RG}/providers/Microsoft.Compute/virtualMachines`, undefined],
    ['POST', VM, undefined],
    ['GET', `/subscriptions/${SUB}/providers/Microsoft.Compute`, undefined],
    ['TRACE', VM, undefined],
    ['GET', 'subscriptions/x', undefined],
  ];
  test.each(cases)('%s %s → %s', (method, p, expected) => {
    expect(permissionFor(method, p)).toBe(expected);
  });

  it('classifies operation kinds', () => {
    expect(permissionKind('Microsoft.Compute/virtualMachines/read')).toBe('read');
    expect(permissionKind('Microsoft.Compute/virtualMachines/extensions/delete')).toBe('delete');
    expect(permissionKind('a/b/backup/action')).toBe('action');
    expect(permissionKind('a/b/write')).toBe('write');
    expect(permissionKind('a/b/c')).toBeUndefined();
    expect(isReadOnlyOperation('Microsoft.Network/networkInterfaces/effectiveRouteTable/action')).toBe(true);
    expect(isReadOnlyOperation('microsoft.network/networkinterfaces/effectivenetworksecuritygroups/action')).toBe(true);
    expect(isReadOnlyOperation('Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(isReadOnlyOperation('Microsoft.Compute/virtualMachines/restart/action')).toBe(false);
  });

  it('the reader role holds the network diagnosis operations', async () => {
    const reader = (await rolesFromBicep()).reader;
    for (const op of [
      'Microsoft.Network/networkInterfaces/read',
      'Microsoft.Network/networkInterfaces/effectiveNetworkSecurityGroups/action',
      'Microsoft.Network/networkInterfaces/effectiveRouteTable/action',
    ]) expect(reader).toContain(op.toLowerCase());
  });
});

// ---- engine runs over the sample estate vs. the roles in the Bicep -----------------------------

interface Roles {
  reader: string[];
  operator: string[];
}

async function rolesFromBicep(): Promise<Roles> {
  const f = await parseBicep(join(__dirname, '..', 'infra', 'modules', 'remediator-roles.bicep'));
  const actions = (name: string): string[] => {
    const perms = evaluate(f, bicepPath(declaration(f, 'resource_declaration', name).value, 'properties.permissions'));
    const a = Array.isArray(perms) ? (perms[0] as Record<string, unknown>)?.actions : undefined;
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) throw new Error(`${name}: actions are not a literal list`);
    return (a as string[]).map((x) => x.toLowerCase());
  };
  return { reader: actions('readerRole'), operator: actions('operatorRole') };
}

interface Used {
  /** Every ARM request with the operation it maps to (undefined = unmapped). */
  mapped: { method: string; path: string; operation: string | undefined }[];
  operations: Set<string>;
  report: RunReport;
}

describe('engine runs need exactly the permissions of the roles in infra/', () => {
  let azurite: AzuriteInstance;
  let roles: Roles;
  const emulators: Emulator[] = [];

  beforeAll(async () => {
    azurite = await startAzurite({ silent: true });
    roles = await rolesFromBicep();
  }, 30000);
  afterAll(async () => {
    while (emulators.length > 0) await emulators.pop()!.stop();
    await azurite?.stop();
  });

  async function runOver(mode: RunMode, prefix: string): Promise<Used> {
    const emu = await start({ estate: sampleEstatePath(), port: 0 });
    emulators.push(emu);
    const arm = armContextFor(emu);
    const ledger = await createLedger({ connectionString: azurite.connectionString, prefix: `${prefix}${process.pid}` });
    const subscriptions = emu.state.estate.subscriptions.map((s) => s.id);
    const settings: Settings = {
      ...DEFAULT_SETTINGS,
      mode: mode === 'apply' ? 'apply' : 'dry-run',
      subscriptions,
      armEndpoint: emu.endpoint,
    };
    emu.requests.reset();
    const report = await runRemediation({
      mode,
      scope: { subscriptions },
      settings,
      arm,
      ledger,
      trigger: 'cli',
      now: () => emu.clock.now(),
      verifyWait: async (ms: number) => emu.clock.advance(ms),
    });
    const mapped = emu.requests
      .all()
      .filter((r) => r.category !== 'token')
      .map((r) => ({ method: r.method, path: r.path, operation: permissionFor(r.method, r.path)?.toLowerCase() }));
    return { mapped, operations: new Set(mapped.flatMap((m) => (m.operation ? [m.operation] : []))), report };
  }

  const sortedList = (s: Iterable<string>) => [...s].sort();

  it('dry-run uses only reads, all of them in the reader role', async () => {
    const used = await runOver('plan', 'permplan');
    expect(used.report.items.length).toBeGreaterThan(0);
    expect(used.mapped.filter((m) => m.operation === undefined)).toEqual([]);
    expect(sortedList([...used.operations].filter((o) => !isReadOnlyOperation(o)))).toEqual([]);
    // The sample estate's vm-no-network has a NIC: the network diagnosis and its LRO polls are exercised.
    for (const op of ['effectivenetworksecuritygroups/action', 'effectiveroutetable/action']) expect(used.operations).toContain(`microsoft.network/networkinterfaces/${op}`);
    expect(used.operations).toContain('microsoft.network/locations/operationresults/read');
    expect(sortedList([...used.operations].filter((o) => !roles.reader.includes(o)))).toEqual([]);
  });

  it('apply writes exactly what the operator role adds, and reads only what it holds', async () => {
    const used = await runOver('apply', 'permapply');
    expect(used.mapped.filter((m) => m.operation === undefined)).toEqual([]);
    const writesUsed = sortedList([...used.operations].filter((o) => !isReadOnlyOperation(o)));
    const remediationExtras = sortedList(roles.operator.filter((o) => !roles.reader.includes(o) && !isReadOnlyOperation(o)));
    // The sample estate exercises every write kind, so the sets must be equal, not just included.
    expect(writesUsed).toEqual(remediationExtras);
    expect(sortedList([...used.operations].filter((o) => !roles.operator.includes(o)))).toEqual([]);
    // Reads beyond the reader role are only the operation-polling ones the operator role adds.
    const pollingUsed = [...used.operations].filter((o) => permissionKind(o) === 'read' && !roles.reader.includes(o));
    const pollingGranted = roles.operator.filter((o) => !roles.reader.includes(o) && permissionKind(o) === 'read');
    for (const o of pollingUsed) expect(pollingGranted).toContain(o);
  });
});

// ---- the action registry's RBAC operations vs. the roles in infra/ ------------------------------

describe('each action module names the RBAC operations it uses, and the roles hold exactly those', () => {
  const lower = (xs: readonly string[]) => [...new Set(xs.map((x) => x.toLowerCase()))].sort();
  async function roleVariables() {
    const f = await parseBicep(join(__dirname, '..', 'infra', 'modules', 'remediator-roles.bicep'));
    const list = (name: string) => evaluate(f, declaration(f, 'variable_declaration', name).value) as string[];
    const guestRole = evaluate(f, bicepPath(declaration(f, 'resource_declaration', 'guestRole').value, 'properties.permissions')) as { actions: string[] }[];
    return {
      reader: lower(list('readerActions')),
      remediation: lower(list('remediationActions')),
      polling: lower(list('pollingActions')),
      guest: lower(list('guestFixActions')),
      guestRole: lower(guestRole[0].actions),
    };
  }
  // Guest fixes live in their own role, assigned only when enabled (infra/main.bicep guestFixesEnabled).
  const GUEST_KINDS: readonly string[] = ['run-guest-fix'];
  const modules = ACTION_KINDS.filter((k) => !GUEST_KINDS.includes(k)).map((k) => actionModule(k));
  const guestModules = ACTION_KINDS.filter((k) => GUEST_KINDS.includes(k)).map((k) => actionModule(k));

  it('the operator role adds exactly the writes of the registered actions (guest fixes aside)', async () => {
    expect(lower(modules.flatMap((m) => m.permissions.writes))).toEqual((await roleVariables()).remediation);
  });

  it('the operator role polls exactly what the registered actions follow their writes with', async () => {
    expect(lower(modules.flatMap((m) => m.permissions.polls))).toEqual((await roleVariables()).polling);
  });

  it("the guest-fix role holds exactly run-guest-fix's writes and the polls the operator role lacks", async () => {
    const roles = await roleVariables();
    const polls = lower(guestModules.flatMap((m) => m.permissions.polls)).filter((o) => !roles.polling.includes(o));
    expect(roles.guestRole).toEqual(roles.guest);
    expect(roles.guest).toEqual(lower([...guestModules.flatMap((m) => m.permissions.writes), ...polls]));
    expect(roles.guest).toEqual(['microsoft.compute/virtualmachines/runcommand/action']);
    for (const o of roles.guest) {
      expect(roles.remediation).not.toContain(o);
      expect(roles.reader).not.toContain(o);
    }
  });

  it("every action's write-time reads are in the reader role, and every operation is one permissionFor can produce", async () => {
    const { reader } = await roleVariables();
    for (const m of [...modules, ...guestModules]) {
      expect(lower(m.permissions.reads).filter((o) => !reader.includes(o))).toEqual([]);
      for (const o of m.permissions.reads) expect(permissionKind(o)).toBe('read');
      for (const o of m.permissions.writes) expect(['delete', 'action']).toContain(permissionKind(o));
    }
  });
});
