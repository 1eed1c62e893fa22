// Resource Graph through the unmodified @azure/arm-resourcegraph 5 client over HTTPS against the emulator.
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { RestError } from '@azure/core-rest-pipeline';
import { start, type Emulator } from '../emulator/index';
import { staticTokenCredential, principalTokenCredential } from '../emulator/credential';
import { sdkClientOptions } from '../emulator/sdk-options';
import { generateEstate } from '../emulator/generate';
import { sampleEstatePath } from '../emulator/sample';

const ENGINE_QUERY = (since: string) => [
  'RecoveryServicesResources',
  "| where type =~ 'microsoft.recoveryservices/vaults/backupjobs'",
  "| where properties.backupManagementType =~ 'AzureIaasVM' and properties.operation =~ 'Backup'",
  `| where todatetime(properties.startTime) >= datetime(${since})`,
  '| project id, name, subscriptionId, resourceGroup, properties',
].join('\n');

const PROD = '11111111-1111-1111-1111-111111111111';
const LEGAL = '22222222-2222-2222-2222-222222222222';

async function graphError(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    return e as RestError;
  }
  throw new Error('expected the query to be refused');
}

describe('Resource Graph on the sample estate', () => {
  let emu: Emulator;
  let client: ResourceGraphClient;

  beforeAll(async () => {
    emu = await start({ estate: sampleEstatePath() });
    client = new ResourceGraphClient(staticTokenCredential(), sdkClientOptions(emu, { maxRetries: 0 }));
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('answers the engine query with REST-shaped job properties, across subscriptions', async () => {
    const res = await client.resources({ subscriptions: [PROD, LEGAL], query: ENGINE_QUERY('2026-11-19T06:00:00.000Z') });
    const rows = res.data as Record<string, any>[];
    expect(res.resultTruncated).toBe('false');
    expect(res.totalRecords).toBe(rows.length);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'name', 'subscriptionId', 'resourceGroup', 'properties']);
    const friendly = rows.map((r) => r.properties.entityFriendlyName as string);
    expect(friendly).toEqual(expect.arrayContaining(['vm-ext-stuck', 'web1', 'web10', 'vm-sub-locked', 'vm-2016']));
    expect(new Set(rows.map((r) => r.subscriptionId))).toEqual(new Set([PROD, LEGAL]));
    // properties equal what REST serves for the same job
    const ext = rows.find((r) => r.properties.entityFriendlyName === 'vm-ext-stuck' && r.properties.status === 'Failed')!;
    expect(ext.resourceGroup).toBe('rg-backup');
    expect(ext.properties).toMatchObject({
      jobType: 'AzureIaaSVMJob',
      operation: 'Backup',
      backupManagementType: 'AzureIaasVM',
      containerName: 'iaasvmcontainerv2;rg-app;vm-ext-stuck',
    });
    // the conservative shape (the default): no error details, no extended info in the row
    expect(ext.properties.errorDetails).toBeUndefined();
    expect(ext.properties.extendedInfo).toBeUndefined();
    // the job older than the look-back is not there; the whole answer is only Backup jobs
    expect(rows.every((r) => Date.parse(r.properties.startTime) >= Date.parse('2026-11-19T06:00:00Z'))).toBe(true);
  });

  it("serves the job's error details and extended info in rows only with graphJobShape 'full'", async () => {
    emu.setJobShapes({ graph: 'full' });
    try {
      const res = await client.resources({ subscriptions: [PROD], query: ENGINE_QUERY('2026-11-19T06:00:00.000Z') });
      const ext = (res.data as Record<string, any>[]).find((r) => r.properties.entityFriendlyName === 'vm-ext-stuck' && r.properties.status === 'Failed')!;
      expect(ext.properties.errorDetails).toEqual([expect.objectContaining({ errorCode: 'ExtensionOperationFailedForManagedDisks', errorTitle: '', errorString: 'VMSnapshot extension operation failed' })]);
      expect(ext.properties.extendedInfo).toMatchObject({ tasksList: expect.any(Array), propertyBag: expect.any(Object) });
    } finally {
      emu.setJobShapes({ graph: 'conservative' });
    }
  });

  it('keeps only the last 14 days of jobs, like the real table', async () => {
    const res = await client.resources({ subscriptions: [PROD], query: "RecoveryServicesResources | where type =~ 'microsoft.recoveryservices/vaults/backupjobs' | project id, start = todatetime(properties.startTime) | order by start asc | take 1" });
    const first = (res.data as { start: string }[])[0]!;
    expect(Date.parse(first.start)).toBeGreaterThan(Date.parse('2026-11-06T06:00:00Z'));
    // ... while the REST list of that vault does hold the 2026-10-30 job
    const oldJob = emu.state.estate.subscriptions[0]!.resourceGroups.flatMap((rg) => rg.vaults.flatMap((v) => v.jobs)).find((j) => j.startTime.startsWith('2026-10-30'));
    expect(oldJob).toBeDefined();
  });

  it('limits rows to the subscriptions asked for and serves protected items and VMs', async () => {
    const items = await client.resources({
      subscriptions: [LEGAL],
      query: "RecoveryServicesResources | where type == 'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems' | project id, name, vm = tostring(properties.sourceResourceId)",
    });
    expect(items.data).toEqual([
      {
        id: `/subscriptions/${LEGAL}/resourceGroups/rg-legal/providers/Microsoft.RecoveryServices/vaults/rsv-legal/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-legal;vm-sub-locked/protectedItems/VM;iaasvmcontainerv2;rg-legal;vm-sub-locked`,
        name: 'VM;iaasvmcontainerv2;rg-legal;vm-sub-locked',
        vm: `/subscriptions/${LEGAL}/resourceGroups/rg-legal/providers/Microsoft.Compute/virtualMachines/vm-sub-locked`,
      },
    ]);
    const vms = await client.resources({
      subscriptions: [PROD],
      query: "Resources | where type =~ 'Microsoft.Compute/virtualMachines' and name startswith 'web' | project id, name, power = tostring(properties.extended.instanceView.powerState.code) | order by name asc",
    });
    expect(vms.data).toEqual([
      { id: `/subscriptions/${PROD}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web1`, name: 'web1', power: 'PowerState/running' },
      { id: `/subscriptions/${PROD}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web10`, name: 'web10', power: 'PowerState/running' },
    ]);
    const offline = await client.resources({ subscriptions: [PROD], query: "Resources | where type =~ 'microsoft.compute/virtualmachines' and properties.extended.instanceView.powerState.code != 'PowerState/running' | project id, name" });
    expect((offline.data as { name: string }[]).map((r) => r.name)).toEqual(['vm-offline']);
  });

  it('answers the table result format with typed columns', async () => {
    const res = await client.resources({
      subscriptions: [PROD],
      query: "RecoveryServicesResources | where type =~ 'microsoft.recoveryservices/vaults/backupjobs' | summarize n = count() by status = tostring(properties.status) | order by status asc",
      options: { resultFormat: 'table' },
    });
    const data = res.data as { columns: { name: string; type: string }[]; rows: unknown[][] };
    expect(data.columns).toEqual([{ name: 'status', type: 'string' }, { name: 'n', type: 'integer' }]);
    expect(data.rows.map((r) => r[0])).toEqual(['Completed', 'Failed', 'InProgress']);
  });

  it.each([
    ['RecoveryServicesResources | join kind=inner (Resources) on id', "unsupported KQL: tabular operator 'join'"],
    ['RecoveryServicesResources | where properties.startTime > ago(1d)', 'dynamic and datetime'],
    ['AdvisorResources | take 1', "unsupported KQL: table 'AdvisorResources'"],
    ["RecoveryServicesResources | where name matches regex 'x'", 'unsupported KQL'],
  ])('refuses %s with 400 BadRequest', async (query, message) => {
    const err = await graphError(client.resources({ subscriptions: [PROD], query }));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('BadRequest');
    expect(err.message).toContain(message);
  });

  it('refuses a bad request body and a foreign $skipToken', async () => {
    expect((await graphError(client.resources({ subscriptions: [PROD], query: '' }))).statusCode).toBe(400);
    const err = await graphError(client.resources({ subscriptions: [PROD], query: 'Resources | project id', options: { skipToken: 'bm90IG91cnM=' } }));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('$skipToken');
  });
});

describe('Resource Graph paging on a generated estate', () => {
  let emu: Emulator;
  let client: ResourceGraphClient;
  const raw = generateEstate({ subscriptions: 3, vaultsPerSubscription: 2, vmsPerVault: 60, failureRate: 0.4, seed: 11 });
  const subs = raw.subscriptions.map((s) => s.id);
  // VMs, their extensions, restore point collections and vaults of one subscription
  const resourcesIn = (i: number) =>
    raw.subscriptions[i]!.resourceGroups.reduce((n, rg) => n + rg.virtualMachines.length + rg.virtualMachines.reduce((m, vm) => m + vm.extensions.length, 0) + rg.restorePointCollections.length + rg.vaults.length, 0);

  beforeAll(async () => {
    emu = await start({ estate: raw });
    client = new ResourceGraphClient(staticTokenCredential(), sdkClientOptions(emu, { maxRetries: 0 }));
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('pages with $skipToken until every failed job is seen exactly once', async () => {
    const since = new Date(Date.parse(raw.now) - 24 * 3600_000).toISOString();
    const query = `${ENGINE_QUERY(since)} | where properties.status == 'Failed'`;
    const expected = new Set(
      raw.subscriptions.flatMap((s) => s.resourceGroups.flatMap((rg) => rg.vaults.flatMap((v) => v.jobs.filter((j) => j.status === 'Failed').map((j) => j.name)))),
    );
    expect(expected.size).toBeGreaterThan(100);
    const seen: string[] = [];
    let skipToken: string | undefined;
    let pages = 0;
    emu.requests.reset();
    do {
      const res = await client.resources({ subscriptions: subs, query, options: { top: 40, ...(skipToken ? { skipToken } : {}) } });
      expect(res.totalRecords).toBe(expected.size);
      expect(res.count).toBe((res.data as unknown[]).length);
      seen.push(...(res.data as { name: string }[]).map((r) => r.name));
      skipToken = res.skipToken;
      pages++;
    } while (skipToken);
    expect(seen).toHaveLength(expected.size);
    expect(new Set(seen)).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.size / 40));
    expect(emu.requests.all().filter((r) => r.category === 'graph')).toHaveLength(pages);
  });

  it('pages 100 rows by default and reports truncation when rows carry no id', async () => {
    const withId = await client.resources({ subscriptions: subs, query: "Resources | where type =~ 'microsoft.compute/virtualmachines' | project id, name" });
    expect(withId.count).toBe(100);
    expect(withId.totalRecords).toBe(360);
    expect(withId.skipToken).toBeDefined();
    const noId = await client.resources({ subscriptions: subs, query: "Resources | where type =~ 'microsoft.compute/virtualmachines' | project name" });
    expect(noId.count).toBe(100);
    expect(noId.resultTruncated).toBe('true');
    expect(noId.skipToken).toBeUndefined();
  });

  it('applies the Resource Graph user quota (15 per 5 s per principal) under throttling', async () => {
    emu.setThrottling('arm');
    try {
      const quotaClient = new ResourceGraphClient(principalTokenCredential('0000aaaa-0000-4000-8000-000000000001'), sdkClientOptions(emu, { maxRetries: 0 }));
      const q = () => quotaClient.resources({ subscriptions: [subs[0]!], query: 'Resources | count' });
      for (let i = 0; i < 15; i++) await q();
      const err = await graphError(q());
      expect(err.statusCode).toBe(429);
      expect(err.response?.headers.get('x-ms-user-quota-remaining')).toBe('0');
      // another principal has its own quota
      const other = new ResourceGraphClient(principalTokenCredential('0000bbbb-0000-4000-8000-000000000002'), sdkClientOptions(emu, { maxRetries: 0 }));
      expect((await other.resources({ subscriptions: [subs[0]!], query: 'Resources | count' })).data).toEqual([{ Count: resourcesIn(0) }]);
      expect(Number(err.response?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      emu.setThrottling('off');
    }
  });
});
