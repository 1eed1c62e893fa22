import { start, type Emulator } from '../emulator';
import { clients, smallEstate, SUB, vmId } from './helpers/emulator';

describe('emulator basics through the real SDK clients', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await start({ estate: smallEstate() });
  });
  afterAll(async () => {
    await emu.stop();
  });

  test('ComputeManagementClient.virtualMachines.get reaches the emulator over TLS with the generated CA', async () => {
    const { compute } = clients(emu);
    const vm = await compute.virtualMachines.get('RG-APP', 'VM-OK');
    expect(vm.id).toBe(vmId('rg-app', 'vm-ok'));
    expect(vm.name).toBe('vm-ok');
    expect(vm.location).toBe('westeurope');
    const rec = emu.requests.all().find((r) => r.method === 'GET' && r.path.endsWith('/virtualMachines/VM-OK'));
    expect(rec).toMatchObject({ status: 200, category: 'read', throttled: false, faulted: false });
    expect(rec!.principal).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('401 AuthenticationFailed without a bearer token', async () => {
    const res = await fetchInsecure(emu, `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-ok?api-version=2024-11-01`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer authorization_uri=/);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'AuthenticationFailed', message: expect.stringContaining('Authorization') } });
  });

  test('instance view reports agent and power state as the estate says', async () => {
    const { compute } = clients(emu);
    const vm = await compute.virtualMachines.get('rg-app', 'vm-agent', { expand: 'instanceView' });
    expect(vm.instanceView?.vmAgent?.vmAgentVersion).toBe('Unknown');
    expect(vm.instanceView?.vmAgent?.statuses?.[0]).toMatchObject({ code: 'ProvisioningState/Unavailable', displayStatus: 'Not Ready' });
    const iv = await compute.virtualMachines.instanceView('rg-app', 'vm-ok');
    expect(iv.vmAgent?.statuses?.[0]).toMatchObject({ code: 'ProvisioningState/succeeded', displayStatus: 'Ready' });
    expect(iv.vmAgent?.extensionHandlers?.map((h) => h.type)).toEqual(['Microsoft.Azure.RecoveryServices.VMSnapshot']);
    expect(iv.statuses?.map((s) => s.code)).toEqual(['ProvisioningState/succeeded', 'PowerState/running']);
  });
});

import * as https from 'node:https';
function fetchInsecure(emu: Emulator, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, any>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${emu.endpoint}${path}`, { ca: emu.ca, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
