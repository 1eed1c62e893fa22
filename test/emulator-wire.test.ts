// ARM wire details the SDK clients hide: raw requests, raw status codes and headers.
import * as https from 'node:https';
import { start, type Emulator } from '../emulator';
import { smallEstate, SUB } from './helpers/emulator';
import { makeJwt } from '../emulator/jwt';

const V = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/rsv-prod`;

function raw(emu: Emulator, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, any>; body: string }> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { Authorization: `Bearer ${makeJwt({})}`, ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...headers };
    const r = https.request(`${emu.endpoint}${path}`, { method, ca: emu.ca, headers: h }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

describe('ARM wire fidelity (raw HTTP)', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await start({ estate: smallEstate() });
  });
  afterAll(async () => {
    await emu.stop();
  });
  afterEach(() => emu.faults.clear());

  test('every 401 carries a Bearer WWW-Authenticate challenge: a malformed token and an expired one too', async () => {
    const path = `/subscriptions/${SUB}?api-version=2022-12-01`;
    const bad = await raw(emu, 'GET', path, { Authorization: 'Bearer not-a-jwt' });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body).error.code).toBe('InvalidAuthenticationToken');
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer authorization_uri="[^"]+", error="invalid_token", error_description="[^"]+"$/);

    const expired = makeJwt({ nowSeconds: Math.floor(Date.now() / 1000) - 7200, lifetimeSeconds: 3600 });
    const old = await raw(emu, 'GET', path, { Authorization: `Bearer ${expired}` });
    expect(old.status).toBe(401);
    expect(JSON.parse(old.body).error).toEqual({ code: 'ExpiredAuthenticationToken', message: expect.stringMatching(/^The access token expiry UTC time '.+' is earlier than current UTC time '.+'\.$/) });
    expect(old.headers['www-authenticate']).toMatch(/^Bearer authorization_uri="[^"]+", error="invalid_token"/);
    expect(emu.requests.all().filter((r) => r.status === 401)).toHaveLength(2);
  });

  test('injected faults still carry x-ms-ratelimit-remaining-*; an injected 429 always carries Retry-After', async () => {
    const path = `/subscriptions/${SUB}/resourceGroups/rg-app?api-version=2025-04-01`;
    emu.faults.add({ method: 'GET', path: '*/resourceGroups/rg-app', status: 429, times: 1 });
    const throttled = await raw(emu, 'GET', path);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled.headers['x-ms-ratelimit-remaining-subscription-reads']).toMatch(/^\d+$/);

    emu.faults.add({ method: 'DELETE', path: '*/restorePointCollections/*', status: 503, retryAfterSeconds: 0, times: 1 });
    const unavailable = await raw(emu, 'DELETE', `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_2/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-agent_300?api-version=2024-11-01`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('0');
    expect(unavailable.headers['x-ms-ratelimit-remaining-subscription-deletes']).toMatch(/^\d+$/);
  });

  test('backup-jobs $filter: an impossible date or time is a 400, never a silently shifted window', async () => {
    for (const t of ['2026-13-45 01:00:00 AM', '2026-11-20 01:61:00 AM', '2026-11-20 01:00:60 PM', '2026-02-30 10:00:00 AM', '2026-11-20 25:00:00']) {
      const filter = encodeURIComponent(`status eq 'Failed' and startTime eq '${t}' and endTime eq '2026-11-21 12:00:00 AM'`);
      const res = await raw(emu, 'GET', `${V}/backupJobs?api-version=2023-06-01&$filter=${filter}`);
      expect([t, res.status]).toEqual([t, 400]);
      expect(JSON.parse(res.body).error.code).toBe('BMSUserErrorInvalidInput');
    }
    // The valid 12-hour forms still work: 12:30 AM is half past midnight, 12:00 PM is noon.
    const ok = encodeURIComponent("startTime eq '2026-11-20 12:30:00 AM' and endTime eq '2026-11-20 12:00:00 PM'");
    const res = await raw(emu, 'GET', `${V}/backupJobs?api-version=2023-06-01&$filter=${ok}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).value.map((j: { name: string }) => j.name)).toEqual(['5f1c3e8a-0000-4000-8000-000000000001']);
  });

  test('a skip token that is not one the service issued is a 400, not another page', async () => {
    for (const token of ['-1', 'abc', '1e3']) {
      const res = await raw(emu, 'GET', `/subscriptions/${SUB}/resourcegroups?api-version=2025-04-01&$skiptoken=${token}`);
      expect([token, res.status]).toEqual([token, 400]);
    }
    emu.setPageSize(1);
    try {
      const first = JSON.parse((await raw(emu, 'GET', `/subscriptions/${SUB}/resourcegroups?api-version=2025-04-01`)).body);
      const next = new URL(first.nextLink);
      const second = await raw(emu, 'GET', `${next.pathname}${next.search}`);
      expect(second.status).toBe(200);
      expect(JSON.parse(second.body).value).toHaveLength(1);
    } finally {
      emu.setPageSize(200);
    }
  });
  test('DELETE under a resource group that does not exist is 404 ResourceGroupNotFound; an absent resource in an existing group is 204', async () => {
    const C = `/subscriptions/${SUB}/resourceGroups/no-such-rg/providers/Microsoft.Compute/restorePointCollections/AzureBackup_x_1`;
    for (const path of [C, `${C}/restorePoints/rp-1`]) {
      const res = await raw(emu, 'DELETE', `${path}?api-version=2024-11-01`);
      expect([path, res.status, JSON.parse(res.body).error.code]).toEqual([path, 404, 'ResourceGroupNotFound']);
    }
    const absent = await raw(emu, 'DELETE', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/restorePointCollections/AzureBackup_x_1?api-version=2024-11-01`);
    expect(absent.status).toBe(204);
  });

  test('Backup Now with a body that is not an IaasVMBackupRequest object is a 400 BMSUserErrorInvalidInput and triggers nothing', async () => {
    const item = `${V}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-ok/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-ok/backup?api-version=2023-06-01`;
    const jobsBefore = emu.state.vault(SUB, 'rg-app', 'rsv-prod')!.vault.jobs.length;
    const cases: [string, string | undefined, Record<string, string>][] = [
      ['absent', undefined, {}],
      ['not JSON', 'backup please', { 'Content-Type': 'text/plain' }],
      ['malformed JSON', '{"properties":', {}],
      ['null', 'null', {}],
      ['array', '[{"properties":{"objectType":"IaasVMBackupRequest"}}]', {}],
      ['string', '"IaasVMBackupRequest"', {}],
      ['empty object', '{}', {}],
      ['properties not an object', '{"properties":"IaasVMBackupRequest"}', {}],
      ['no objectType', '{"properties":{}}', {}],
      ['other objectType', '{"properties":{"objectType":"AzureFileShareBackupRequest"}}', {}],
      ['objectType wrong case', '{"properties":{"objectType":"iaasvmbackuprequest"}}', {}],
    ];
    for (const [what, body, headers] of cases) {
      const res = await raw(emu, 'POST', item, headers, body);
      expect([what, res.status]).toEqual([what, 400]);
      expect([what, JSON.parse(res.body)]).toEqual([what, { error: { code: 'BMSUserErrorInvalidInput', message: expect.any(String) } }]);
      expect(res.headers['location']).toBeUndefined();
    }
    expect(emu.state.vault(SUB, 'rg-app', 'rsv-prod')!.vault.jobs.length).toBe(jobsBefore);
  });

  test('a subscription that is not in the estate is 404 SubscriptionNotFound on resource-group-scoped routes, never ResourceGroupNotFound', async () => {
    const GONE = '99999999-9999-4999-8999-999999999999';
    const S = `/subscriptions/${GONE}`;
    const routes: [string, string][] = [
      ['GET', `${S}/resourcegroups/rg-app?api-version=2025-04-01`],
      ['GET', `${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines?api-version=2024-11-01`],
      ['GET', `${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-ok?api-version=2024-11-01`],
      ['GET', `${S}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-ok/extensions?api-version=2024-11-01`],
      ['GET', `${S}/resourceGroups/AzureBackupRG_westeurope_2/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-agent_300?api-version=2024-11-01`],
      ['DELETE', `${S}/resourceGroups/AzureBackupRG_westeurope_2/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-agent_300?api-version=2024-11-01`],
      ['GET', `${S}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults?api-version=2023-06-01`],
      ['GET', `${S}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/rsv-prod?api-version=2023-06-01`],
      ['GET', `${S}/resourceGroups/rg-app/providers/Microsoft.RecoveryServices/vaults/rsv-prod/backupJobs?api-version=2023-06-01`],
      ['GET', `${S}/resourceGroups/rg-app/providers/Microsoft.Authorization/locks?api-version=2020-05-01`],
    ];
    for (const [method, path] of routes) {
      const res = await raw(emu, method, path);
      expect([method, path, res.status, JSON.parse(res.body).error]).toEqual([method, path, 404, { code: 'SubscriptionNotFound', message: `The subscription '${GONE}' could not be found.` }]);
    }
    // The estate's own subscription is unaffected.
    expect((await raw(emu, 'GET', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-ok?api-version=2024-11-01`)).status).toBe(200);
  });

  test('a lock PUT on a resource scope the estate does not hold is 404 ResourceNotFound; locks on existing scopes keep working', async () => {
    const RG = `/subscriptions/${SUB}/resourceGroups/rg-app`;
    const lockBody = JSON.stringify({ properties: { level: 'CanNotDelete' } });
    const missing = [
      `${RG}/providers/Microsoft.RecoveryServices/vaults/rsv-nope`,
      `${RG}/providers/Microsoft.Storage/storageAccounts/stnope`,
      `${RG}/providers/Microsoft.Compute/virtualMachines/vm-ok/extensions/NoSuchExtension`,
      `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_2/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-agent_300/restorePoints/no-such-rp`,
      `${RG}/providers/Microsoft.Compute/virtualMachines/vm-nope`,
    ];
    for (const scope of missing) {
      const res = await raw(emu, 'PUT', `${scope}/providers/Microsoft.Authorization/locks/guard?api-version=2020-05-01`, {}, lockBody);
      expect([scope, res.status, JSON.parse(res.body).error.code]).toEqual([scope, 404, 'ResourceNotFound']);
      const get = await raw(emu, 'GET', `${scope}/providers/Microsoft.Authorization/locks/guard?api-version=2020-05-01`);
      expect([scope, get.status]).toEqual([scope, 404]);
    }
    const existing = [
      `/subscriptions/${SUB}`,
      RG,
      `${RG}/providers/Microsoft.Compute/virtualMachines/vm-ok`,
      `${RG}/providers/Microsoft.Compute//virtualMachines/vm-ext`,
      `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_2/providers/Microsoft.Compute/restorePointCollections/AzureBackup_vm-agent_300`,
      `${RG}/providers/Microsoft.RecoveryServices/vaults/rsv-prod`,
      `${RG}/providers/Microsoft.Compute/virtualMachines/vm-ok/extensions/VMSnapshot`,
    ];
    for (const scope of existing) {
      const url = `${scope}/providers/Microsoft.Authorization/locks/wire-guard?api-version=2020-05-01`;
      const res = await raw(emu, 'PUT', url, {}, lockBody);
      expect([scope, res.status]).toEqual([scope, 201]);
      expect((await raw(emu, 'GET', url)).status).toBe(200);
      expect((await raw(emu, 'DELETE', url)).status).toBe(200);
    }
  });
});
