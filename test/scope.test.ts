// The one scope rule (lib/scope): one meaning for empty lists, both levels, every id an input names.

import { parseJobId, parseProtectedItemId, parseVaultId, parseVmId } from '../lib/arm/ids';
import { Scope } from '../lib/scope';

const SUB = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const vm = (sub: string, rg: string) => parseVmId(`/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/vm-a`);
const vault = (rg: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/rsv`;

describe('Scope', () => {
  it('no subscriptions: nothing is in scope, and says so', () => {
    const s = Scope.of({ subscriptions: [], resourceGroups: [] });
    expect(s.isEmpty).toBe(true);
    expect(s.outside(vm(SUB, 'rg'))).toMatchObject({ level: 'subscription', message: expect.stringMatching(/is empty/) });
  });

  it('no resource groups: every resource group of the subscriptions; casing never matters', () => {
    const s = Scope.of({ subscriptions: [SUB.toUpperCase()], resourceGroups: [] });
    expect(s.contains(vm(SUB, 'Any-RG'))).toBe(true);
    expect(s.outside(vm(OTHER, 'rg'))).toMatchObject({ level: 'subscription', setting: 'REMEDIATION_SUBSCRIPTIONS' });
  });

  it('a resource-group allow-list is exact (no prefix match) and case-insensitive', () => {
    const s = Scope.of({ subscriptions: [SUB], resourceGroups: [`${SUB}/RG-App`] });
    expect(s.contains(vm(SUB, 'rg-app'))).toBe(true);
    expect(s.outside(vm(SUB, 'rg-app2'))).toMatchObject({ level: 'resource group', setting: 'REMEDIATION_RESOURCE_GROUPS' });
  });

  it('a job is in scope only with its vault; a protected item only with its vault and its VM', () => {
    const s = Scope.of({ subscriptions: [SUB], resourceGroups: [`${SUB}/rg-app`] });
    expect(s.contains(parseVaultId(vault('rg-app')))).toBe(true);
    expect(s.contains(parseJobId(`${vault('rg-other')}/backupJobs/00000000-0000-4000-8000-000000000001`))).toBe(false);
    const item = (vaultRg: string, vmRg: string) =>
      parseProtectedItemId(`${vault(vaultRg)}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;${vmRg};vm-a/protectedItems/VM;iaasvmcontainerv2;${vmRg};vm-a`);
    expect(s.contains(item('rg-app', 'rg-app'))).toBe(true);
    expect(s.outside(item('rg-app', 'rg-other'))?.resourceGroup).toBe('rg-other');
    expect(s.outside(item('rg-other', 'rg-app'))?.resourceGroup).toBe('rg-other');
  });
});
