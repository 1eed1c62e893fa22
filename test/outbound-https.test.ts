// The pure judge of outbound TCP 443 to the backup service tags, on hand-made effective rules and
// routes in the shapes ARM returns (names `securityRules/x`, ports `a-b`, protocol `All`).
import type { EffectiveNetworkSecurityGroup, EffectiveNetworkSecurityRule, EffectiveRoute } from '@azure/arm-network';
import { judgeOutboundHttps } from '../lib/rules/outbound-https';
import { validateEstate } from '../emulator/validate';

const NSG = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/';
const rule = (name: string, priority: number, access: 'Allow' | 'Deny', dest: string, ports = '443-443', protocol = 'Tcp'): EffectiveNetworkSecurityRule => ({
  name: `securityRules/${name}`, priority, access, direction: 'Outbound', protocol, destinationAddressPrefix: dest, destinationPortRange: ports, sourceAddressPrefix: '0.0.0.0/0', sourcePortRange: '0-65535',
});
const defaults: EffectiveNetworkSecurityRule[] = [
  { name: 'defaultSecurityRules/AllowInternetOutBound', priority: 65001, access: 'Allow', direction: 'Outbound', protocol: 'All', destinationAddressPrefix: 'Internet', destinationPortRange: '0-65535' },
  { name: 'defaultSecurityRules/DenyAllOutBound', priority: 65500, access: 'Deny', direction: 'Outbound', protocol: 'All', destinationAddressPrefix: '0.0.0.0/0', destinationPortRange: '0-65535' },
];
const group = (name: string, ...rules: EffectiveNetworkSecurityRule[]): EffectiveNetworkSecurityGroup => ({ networkSecurityGroup: { id: NSG + name }, effectiveSecurityRules: [...rules, ...defaults] });
const internet: EffectiveRoute[] = [{ source: 'Default', state: 'Active', addressPrefix: ['0.0.0.0/0'], nextHopType: 'Internet', nextHopIpAddress: [] }];

describe('judgeOutboundHttps', () => {
  it('no NSG and the default route: open', () => {
    expect(judgeOutboundHttps([], internet, 'westeurope')).toMatchObject({ verdict: 'open', allowedBy: [] });
  });

  it('priority order decides: an allow for the tags ahead of a deny of all 443 leaves the path open', () => {
    const g = group('nsg', rule('deny', 300, 'Deny', 'Internet'), rule('sto', 100, 'Allow', 'Storage.WestEurope'), rule('bk', 101, 'Allow', 'AzureBackup'), rule('aad', 102, 'Allow', 'AzureActiveDirectory'));
    expect(judgeOutboundHttps([g], internet, 'westeurope')).toMatchObject({ verdict: 'open' });
    // the regional Storage tag of another region does not cover this VM's storage: the deny decides
    expect(judgeOutboundHttps([g], internet, 'northeurope')).toMatchObject({ verdict: 'blocked-by-rule', rule: { rule: 'deny', priority: 300, networkSecurityGroup: 'nsg' }, tags: ['Storage'] });
  });

  it('the subnet NSG applies too: a deny there blocks even when the NIC NSG allows', () => {
    const nic = group('nsg-nic', rule('allow-all-443', 100, 'Allow', '*'));
    const subnet = group('nsg-subnet', rule('no-aad', 150, 'Deny', 'AzureActiveDirectory', '*', 'All'));
    expect(judgeOutboundHttps([nic, subnet], internet, 'westeurope')).toMatchObject({ verdict: 'blocked-by-rule', rule: { rule: 'no-aad', networkSecurityGroup: 'nsg-subnet' }, tags: ['AzureActiveDirectory'] });
  });

  it('rules for other ports, protocols, private ranges or other tags do not decide', () => {
    const g = group('nsg', rule('udp', 100, 'Deny', '*', '443-443', 'Udp'), rule('80', 101, 'Deny', '*', '80-80'), rule('private', 102, 'Deny', '10.0.0.0/8'), rule('sql', 103, 'Deny', 'Sql'));
    expect(judgeOutboundHttps([g], internet, 'westeurope')).toMatchObject({ verdict: 'open' });
  });

  it('a deny of a public range ARM does not attribute is undetermined, never a guess', () => {
    const g = group('nsg', rule('some-range', 100, 'Deny', '20.0.0.0/8'));
    expect(judgeOutboundHttps([g], internet, 'westeurope')).toMatchObject({ verdict: 'undetermined' });
  });

  it('routes: a user default route to None or a virtual appliance is named; an Invalid one is ignored', () => {
    const none: EffectiveRoute[] = [{ ...internet[0], state: 'Invalid' }, { name: 'drop', source: 'User', state: 'Active', addressPrefix: ['0.0.0.0/0'], nextHopType: 'None', nextHopIpAddress: [] }];
    expect(judgeOutboundHttps([], none, 'westeurope')).toMatchObject({ verdict: 'blocked-by-route', route: { name: 'drop', nextHopType: 'None' }, tags: ['AzureBackup', 'Storage', 'AzureActiveDirectory'] });
    const tagRoute: EffectiveRoute[] = [...internet, { name: 'sto-fw', source: 'User', state: 'Active', addressPrefix: ['Storage'], nextHopType: 'VirtualAppliance', nextHopIpAddress: ['10.0.1.4'] }];
    expect(judgeOutboundHttps([], tagRoute, 'westeurope')).toMatchObject({ verdict: 'blocked-by-route', route: { name: 'sto-fw' }, tags: ['Storage'] });
  });
});

describe('estate network fields', () => {
  const base = (rg: Record<string, unknown>) => ({ subscriptions: [{ id: '11111111-1111-4111-8111-111111111111', resourceGroups: [{ name: 'rg', ...rg }] }] });

  it('accepts NSGs and a VM network block; a VM naming an unknown NSG or an unknown field is refused', () => {
    const nsg = { name: 'nsg', securityRules: [{ name: 'r', priority: 100, direction: 'Outbound', access: 'Deny', destinationPortRange: '443' }] };
    const parsed = validateEstate(base({ networkSecurityGroups: [nsg], virtualMachines: [{ name: 'vm', network: { networkSecurityGroup: 'NSG' } }] }));
    expect(parsed.subscriptions[0].resourceGroups[0].networkSecurityGroups?.[0].securityRules[0]).toMatchObject({ protocol: '*', destinationAddressPrefix: '*' });
    expect(() => validateEstate(base({ virtualMachines: [{ name: 'vm', network: { networkSecurityGroup: 'nope' } }] }))).toThrow(/virtualMachines\[0\]\.network\.networkSecurityGroup: no network security group 'nope'/);
    expect(() => validateEstate(base({ virtualMachines: [{ name: 'vm', network: { subnet: 'x' } }] }))).toThrow(/unknown field\(s\) subnet/);
    expect(() => validateEstate(base({ networkSecurityGroups: [{ ...nsg, securityRules: [{ ...nsg.securityRules[0], destinationPortRange: '443,80' }] }] }))).toThrow(/destinationPortRange/);
  });
});
