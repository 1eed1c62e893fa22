import { validateEstate, EstateError } from '../emulator/validate';
import { start } from '../emulator';
import { ManagedIdentityCredential } from '@azure/identity';
import { smallEstate, vmId } from './helpers/emulator';

function errorOf(raw: unknown): string {
  try {
    validateEstate(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(EstateError);
    return (e as Error).message;
  }
  throw new Error('expected the estate to be rejected');
}

describe('estate validation names the JSON path and the problem', () => {
  test('enum mismatch deep in the tree', () => {
    const e = smallEstate();
    e.subscriptions[0].resourceGroups[0].virtualMachines[2].agent = { status: 'Sleepy', version: '1' };
    expect(errorOf(e)).toBe('subscriptions[0].resourceGroups[0].virtualMachines[2].agent.status: expected "Ready" | "NotReady"');
  });
  test('a misspelt field is refused, not silently replaced by its default', () => {
    const e = smallEstate();
    // A typo here would otherwise leave outboundConnectivity at its default (true) without a word.
    e.subscriptions[0].resourceGroups[0].virtualMachines[4] = { name: 'vm-nonet', os: 'Linux', outboundConectivity: false };
    expect(errorOf(e)).toBe('subscriptions[0].resourceGroups[0].virtualMachines[4]: unknown field(s) outboundConectivity');
  });
  test('non-GUID subscription id', () => {
    const e = smallEstate();
    e.subscriptions[0].id = 'prod';
    expect(errorOf(e)).toMatch(/^subscriptions\[0\]\.id: expected a subscription GUID/);
  });
  test('duplicate names compare case-insensitively', () => {
    const e = smallEstate();
    e.subscriptions[0].resourceGroups[0].virtualMachines.push({ name: 'VM-OK' });
    expect(errorOf(e)).toBe("subscriptions[0].resourceGroups[0].virtualMachines[5].name: duplicate virtual machine name 'VM-OK' (also at subscriptions[0].resourceGroups[0].virtualMachines[0]; names compare case-insensitively)");
  });
  test('sourceVmId pointing at a VM that does not exist', () => {
    const e = smallEstate();
    e.subscriptions[0].resourceGroups[1].restorePointCollections[0].sourceVmId = vmId('rg-app', 'vm-gone');
    expect(errorOf(e)).toBe(`subscriptions[0].resourceGroups[1].restorePointCollections[0].sourceVmId: no virtual machine '${vmId('rg-app', 'vm-gone')}' in the estate`);
  });
  test('job vmId on a missing VM unless marked vmDeleted', () => {
    const e = smallEstate();
    e.subscriptions[0].resourceGroups[0].vaults[0].jobs[0].vmId = vmId('rg-app', 'vm-gone');
    expect(errorOf(e)).toMatch(/^subscriptions\[0\]\.resourceGroups\[0\]\.vaults\[0\]\.jobs\[0\]\.vmId: no virtual machine/);
    e.subscriptions[0].resourceGroups[0].vaults[0].jobs[0].vmDeleted = true;
    expect(() => validateEstate(e)).not.toThrow();
  });
  test('missing required field and wrong type', () => {
    expect(errorOf({})).toBe('subscriptions: required (expected array)');
    const e = smallEstate();
    e.subscriptions[0].resourceGroups[0].virtualMachines[0].outboundConnectivity = 'yes';
    expect(errorOf(e)).toBe('subscriptions[0].resourceGroups[0].virtualMachines[0].outboundConnectivity: expected boolean, got string "yes"');
  });
  test('defaults applied and restore-point counts expanded', () => {
    const e = validateEstate(smallEstate());
    const vm = e.subscriptions[0].resourceGroups[0].virtualMachines[0];
    expect(vm).toMatchObject({ powerState: 'running', provisioningState: 'Succeeded', agent: { status: 'Ready' }, outboundConnectivity: true, locks: [] });
    const rps = e.subscriptions[0].resourceGroups[1].restorePointCollections[0].restorePoints;
    expect(rps).toHaveLength(18);
    expect(rps[17].timeCreated).toBe('2026-11-19T06:00:00.000Z');
  });
});

describe('managed identity token endpoint', () => {
  test('@azure/identity ManagedIdentityCredential (IDENTITY_ENDPOINT/IDENTITY_HEADER) gets a JWT-shaped token', async () => {
    const emu = await start({ estate: smallEstate() });
    const saved = { e: process.env.IDENTITY_ENDPOINT, h: process.env.IDENTITY_HEADER };
    try {
      // The token endpoint is plain HTTP on the same port, as App Service's IDENTITY_ENDPOINT is.
      process.env.IDENTITY_ENDPOINT = `${emu.endpoint.replace('https://', 'http://')}/msi/token`;
      process.env.IDENTITY_HEADER = 'secret-header';
      const token = await new ManagedIdentityCredential().getToken('https://management.azure.com/.default');
      const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ tid: emu.tenantId, aud: 'https://management.azure.com' });
      expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
      expect(emu.requests.all().filter((r) => r.category === 'token').map((r) => r.status)).toContain(200);
    } finally {
      process.env.IDENTITY_ENDPOINT = saved.e;
      process.env.IDENTITY_HEADER = saved.h;
      if (saved.e === undefined) delete process.env.IDENTITY_ENDPOINT;
      if (saved.h === undefined) delete process.env.IDENTITY_HEADER;
      await emu.stop();
    }
  });
});
