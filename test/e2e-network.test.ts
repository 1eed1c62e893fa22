// Confirmed network diagnosis, end to end through the real SDK clients (@azure/arm-network's
// effective-* long-running POSTs) against the emulator: for a no-connectivity failure the finding
// names the NSG rule or the route that blocks outbound TCP 443 to the backup service tags, or says
// the path is open (so the documented likely cause is in the guest). Plan and apply write nothing.

import { failedJob, ids, lc, oneVaultEstate, RG, SUB, useHarness, vmSpec as vm } from './helpers/harness';
import type { Finding, RunReport } from '../lib/types';

const env = useHarness();
const JOB = '00000000-0000-4000-8000-0000000000a1';

function estate(network: Record<string, unknown> | undefined, nsgs?: unknown[]) {
  const e = oneVaultEstate({
    vms: [vm('vm-net', { outboundConnectivity: false, ...(network ? { network } : {}) })],
    jobs: [failedJob(JOB, 'vm-net', 'ExtensionSnapshotFailedNoNetwork')],
  });
  if (nsgs) (e.subscriptions[0].resourceGroups[0] as Record<string, unknown>).networkSecurityGroups = nsgs;
  return e;
}

const denyHttps = { name: 'deny-https-out', priority: 200, direction: 'Outbound', access: 'Deny', protocol: 'Tcp', destinationAddressPrefix: 'Internet', destinationPortRange: '443' };
const allowBackupTags = ['AzureBackup', 'Storage', 'AzureActiveDirectory'].map((tag, i) => ({
  name: `allow-${tag.toLowerCase()}`, priority: 100 + i, direction: 'Outbound', access: 'Allow', protocol: 'Tcp', destinationAddressPrefix: tag, destinationPortRange: '443',
}));

function connectivity(report: RunReport): Finding {
  expect(report.items).toHaveLength(1);
  const f = report.items[0].findings.find((x) => x.kind === 'no-outbound-connectivity');
  expect(f).toBeDefined();
  return f!;
}

/** Runs plan then apply; both must write nothing; returns the apply report. */
async function planAndApply(raw: unknown): Promise<{ plan: RunReport; apply: RunReport; networkCalls: string[] }> {
  const e = await env(raw);
  const plan = await e.run('plan');
  expect(e.writes()).toEqual([]);
  const networkCalls = e.emu.requests.all().filter((r) => /microsoft\.network/i.test(r.path)).map((r) => `${r.method} ${lc(r.path)}`);
  const apply = await e.run('apply');
  expect(e.writes()).toEqual([]);
  expect(apply.summary.writes ?? 0).toBe(0);
  return { plan, apply, networkCalls };
}

const nic = lc(`/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/vm-net-nic`);

describe('confirmed network diagnosis (ExtensionSnapshotFailedNoNetwork)', () => {
  test('an NSG rule denying outbound 443: the finding names the NSG, the rule and its priority', async () => {
    const { plan, apply, networkCalls } = await planAndApply(estate({ networkSecurityGroup: 'nsg-app' }, [{ name: 'nsg-app', securityRules: [denyHttps] }]));
    // Both effective-* LROs were called on the VM's own NIC, and nothing else in Microsoft.Network.
    expect(networkCalls.filter((c) => c.startsWith('POST')).sort()).toEqual([`POST ${nic}/effectivenetworksecuritygroups`, `POST ${nic}/effectiveroutetable`]);
    expect(networkCalls.every((c) => c.startsWith('POST') || /\/locations\/[^/]+\/operation(s|results)\//.test(c))).toBe(true);
    for (const report of [plan, apply]) {
      const f = connectivity(report);
      expect(f.message).toBe("Outbound TCP 443 to AzureBackup, Storage, AzureActiveDirectory is denied by rule 'deny-https-out' (priority 200) of NSG 'nsg-app', in the effective security rules of NIC 'vm-net-nic'.");
      expect(f.evidence).toMatchObject({ confirmed: true, network: { read: true, verdict: { verdict: 'blocked-by-rule', rule: { networkSecurityGroup: 'nsg-app', rule: 'deny-https-out', priority: 200 } } } });
      expect(f.nextStep).toMatch(/priority number below 200 in NSG 'nsg-app'/);
      expect(report.items[0].actions).toEqual([]);
    }
  });

  test('a default route to a virtual appliance: the finding names the route and its next hop', async () => {
    const { apply } = await planAndApply(estate({ routes: [{ name: 'to-firewall', addressPrefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIpAddress: '10.0.1.4' }] }));
    const f = connectivity(apply);
    expect(f.message).toMatch(/^In the effective routes of NIC 'vm-net-nic', the User route 'to-firewall' for 0\.0\.0\.0\/0 has next hop VirtualAppliance \(10\.0\.1\.4\)/);
    expect(f.message).toMatch(/documented likely cause is that it does not/);
    expect(f.evidence).toMatchObject({ confirmed: false, network: { verdict: { verdict: 'blocked-by-route', route: { name: 'to-firewall', nextHopType: 'VirtualAppliance', nextHopIpAddress: ['10.0.1.4'] } } } });
  });

  test('a default route to None: the finding says the traffic is dropped, as fact', async () => {
    const { apply } = await planAndApply(estate({ routes: [{ name: 'blackhole', addressPrefix: '0.0.0.0/0', nextHopType: 'None' }] }));
    const f = connectivity(apply);
    expect(f.message).toMatch(/the User route 'blackhole' for 0\.0\.0\.0\/0 has next hop None: the traffic is dropped/);
    expect(f.evidence).toMatchObject({ confirmed: true, network: { verdict: { verdict: 'blocked-by-route' } } });
  });

  test('the path is open: the finding says so and that the documented likely cause is in the guest', async () => {
    const { apply } = await planAndApply(estate({ networkSecurityGroup: 'nsg-app' }, [{ name: 'nsg-app', securityRules: [...allowBackupTags, denyHttps] }]));
    const f = connectivity(apply);
    expect(f.message).toMatch(/^The network path is open: the effective security rules of NIC 'vm-net-nic' allow outbound TCP 443 to AzureBackup, Storage, AzureActiveDirectory \('allow-azurebackup' of 'nsg-app', 'allow-storage' of 'nsg-app', 'allow-azureactivedirectory' of 'nsg-app'\), and their route goes to next hop Internet\./);
    expect(f.message).toMatch(/documented likely cause is therefore inside the guest: a proxy or a firewall in the VM/);
    expect(f.evidence).toMatchObject({ confirmed: false, pathOpen: true, network: { read: true, verdict: { verdict: 'open' } } });
    expect(f.nextStep).toMatch(/^Inside the VM, check the proxy settings/);
  });

  test('no NIC data in the estate: the finding stays the documented likely cause, with what could not be read', async () => {
    const { apply, networkCalls } = await planAndApply(estate(undefined));
    expect(networkCalls.length).toBeGreaterThan(0); // it asked; the emulator knows no NIC (404)
    const f = connectivity(apply);
    expect(f.message).toMatch(/^Inferred, not confirmed: documented likely cause "/);
    expect(f.evidence).toMatchObject({ inferred: true, confirmed: false, network: { read: false, nic: ids.vm(SUB, RG, 'vm-net').replace('Microsoft.Compute/virtualMachines/vm-net', 'Microsoft.Network/networkInterfaces/vm-net-nic') } });
    expect((f.evidence.network as { problems: string[] }).problems.join(' ')).toMatch(/effective security rules: 404/);
    expect(apply.items[0].findings.map((x) => x.kind)).not.toContain('read-failed');
  });

  test('read only where it can matter: another code, or a stopped VM, makes no Microsoft.Network call', async () => {
    const net = { networkSecurityGroup: 'nsg-app' };
    const nsgs = [{ name: 'nsg-app', securityRules: [denyHttps] }];
    const raw = oneVaultEstate({
      vms: [vm('vm-kv', { network: net }), vm('vm-off', { network: net, powerState: 'deallocated' })],
      jobs: [failedJob(JOB, 'vm-kv', 'UserErrorKeyvaultPermissionsNotConfigured'), failedJob('00000000-0000-4000-8000-0000000000a2', 'vm-off', 'ExtensionSnapshotFailedNoNetwork')],
    });
    (raw.subscriptions[0].resourceGroups[0] as Record<string, unknown>).networkSecurityGroups = nsgs;
    const e = await env(raw);
    const report = await e.run('plan');
    expect(report.items).toHaveLength(2);
    expect(e.emu.requests.all().filter((r) => /microsoft\.network/i.test(r.path))).toEqual([]);
    expect(e.writes()).toEqual([]);
  });
});
