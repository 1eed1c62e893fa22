import {
  InvalidResourceIdError, parseVmId, parseVaultId, parseProtectedItemId, parseJobId, parseSubscriptionId, sameId,
  parseRestorePointCollectionId, parseExtensionId, vmBackupNames, vmOfContainerName,
} from '../lib/arm/ids';

const SUB = '11111111-2222-3333-4444-555555555555';
const VM = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`;
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-bkp/providers/Microsoft.RecoveryServices/vaults/rsv1`;
const ITEM = `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;web1/protectedItems/VM;iaasvmcontainerv2;rg-app;web1`;

describe('parseVmId', () => {
  it('parses a canonical id', () => {
    expect(parseVmId(VM)).toEqual({ subscriptionId: SUB, resourceGroup: 'rg-app', name: 'web1', id: VM });
  });

  it('accepts mixed casing and returns canonical casing', () => {
    const mixed = `/Subscriptions/${SUB.toUpperCase()}/resourcegroups/rg-app/providers/microsoft.compute/VIRTUALMACHINES/web1`;
    expect(parseVmId(mixed).id).toBe(VM);
  });

  it('tolerates one trailing slash', () => {
    expect(parseVmId(VM + '/').id).toBe(VM);
  });

  const rejects: [string, unknown, RegExp][] = [
    ['dot-dot segment', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/..`, /'\.\.'/],
    ['dot-dot traversal', `/subscriptions/${SUB}/resourceGroups/../providers/Microsoft.Compute/virtualMachines/web1`, /'\.\.'/],
    ['encoded slash', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1%2Fextensions`, /%2F/],
    ['encoded slash lower', `/subscriptions/${SUB}/resourceGroups/rg%2fx/providers/Microsoft.Compute/virtualMachines/web1`, /%2F/],
    ['other escapes', `/subscriptions/${SUB}/resourceGroups/rg%20x/providers/Microsoft.Compute/virtualMachines/web1`, /percent-escape/],
    ['query string', `${VM}?api-version=2024-01-01`, /query string/],
    ['fragment', `${VM}#x`, /query string or fragment/],
    ['whitespace', `${VM} `, /whitespace/],
    ['newline', `${VM}\n`, /whitespace or control/],
    ['control char', `/subscriptions/${SUB}/resourceGroups/rg\u0001/providers/Microsoft.Compute/virtualMachines/web1`, /control/],
    ['another type', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/disks/web1`, /expected 'virtualMachines'/],
    ['another provider', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.ClassicCompute/virtualMachines/web1`, /expected 'Microsoft.Compute'/],
    ['too many segments', `${VM}/extensions/VMSnapshot`, /10 path segments, expected 8/],
    ['too few segments', `/subscriptions/${SUB}/resourceGroups/rg-app`, /4 path segments, expected 8/],
    ['double slash', `/subscriptions/${SUB}//resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`, /empty path segment/],
    ['non-GUID subscription', `/subscriptions/prod/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1`, /not a GUID/],
    ['no leading slash', VM.slice(1), /must start with/],
    ['empty', '', /empty/],
    ['number', 42, /must be a string/],
    ['null', null, /must be a string, got null/],
    ['backslash', `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web1\\..`, /backslash/],
  ];
  it.each(rejects)('rejects %s', (_label, input, message) => {
    expect(() => parseVmId(input as string)).toThrow(InvalidResourceIdError);
    expect(() => parseVmId(input as string)).toThrow(message);
  });
});

describe('other parsers', () => {
  it('parses a vault id', () => {
    expect(parseVaultId(VAULT.toLowerCase())).toEqual({
      subscriptionId: SUB, resourceGroup: 'rg-bkp', name: 'rsv1',
      id: `/subscriptions/${SUB}/resourceGroups/rg-bkp/providers/Microsoft.RecoveryServices/vaults/rsv1`,
    });
    expect(() => parseVaultId(VM)).toThrow(/expected 'Microsoft.RecoveryServices'/);
  });

  it('parses a protected item id with ; and with %3B', () => {
    const p = parseProtectedItemId(ITEM);
    expect(p.vault.name).toBe('rsv1');
    expect(p.containerName).toBe('IaasVMContainer;iaasvmcontainerv2;rg-app;web1');
    expect(p.itemName).toBe('VM;iaasvmcontainerv2;rg-app;web1');
    expect(p.vm).toEqual({ resourceGroup: 'rg-app', name: 'web1' });
    expect(p.id).toBe(ITEM);
    expect(parseProtectedItemId(ITEM.replace(/;/g, '%3B')).id).toBe(ITEM);
    expect(parseProtectedItemId(ITEM.replace(/;/g, '%3b').toLowerCase()).vm).toEqual({ resourceGroup: 'rg-app', name: 'web1' });
  });

  it('rejects a protected item that is not an Azure VM item or sits in another fabric', () => {
    expect(() => parseProtectedItemId(ITEM.replace('/backupFabrics/Azure/', '/backupFabrics/Other/'))).toThrow(/expected 'Azure'/);
    const sql = `${VAULT}/backupFabrics/Azure/protectionContainers/VMAppContainer;compute;rg;sql1/protectedItems/SQLDataBase;mssqlserver;db1`;
    expect(() => parseProtectedItemId(sql)).toThrow(/not an Azure VM protected item/);
  });

  it('parses a job id', () => {
    const j = parseJobId(`${VAULT}/backupJobs/5f1c3e8a-0000-4000-8000-000000000001`);
    expect(j).toEqual({ vault: parseVaultId(VAULT), name: '5f1c3e8a-0000-4000-8000-000000000001', id: `${VAULT}/backupJobs/5f1c3e8a-0000-4000-8000-000000000001` });
    expect(() => parseJobId(`${VAULT}/backupJobs`)).toThrow(/9 path segments, expected 10/);
    expect(() => parseJobId(`${VAULT}/backupJobs/a/../b`)).toThrow(InvalidResourceIdError);
  });

  it('parses restore point collection and extension ids', () => {
    const rpc = `/subscriptions/${SUB}/resourceGroups/AzureBackupRG_westeurope_1/providers/Microsoft.Compute/restorePointCollections/AzureBackup_web1_123`;
    expect(parseRestorePointCollectionId(rpc).name).toBe('AzureBackup_web1_123');
    const ext = parseExtensionId(`${VM}/extensions/VMSnapshot`);
    expect(ext.vm.id).toBe(VM);
    expect(ext.name).toBe('VMSnapshot');
    expect(() => parseExtensionId(`${VM}/extensions/VMSnapshot/x`)).toThrow(InvalidResourceIdError);
  });

  it('parseSubscriptionId accepts GUIDs only', () => {
    expect(parseSubscriptionId(SUB.toUpperCase())).toBe(SUB);
    expect(() => parseSubscriptionId('not-a-guid')).toThrow(/not a GUID/);
    expect(() => parseSubscriptionId(` ${SUB}`)).toThrow(InvalidResourceIdError);
    expect(() => parseSubscriptionId(undefined as unknown as string)).toThrow(/must be a string/);
  });

  it('sameId compares case-insensitively, tolerating a trailing slash and %3B', () => {
    expect(sameId(VM, VM.toUpperCase() + '/')).toBe(true);
    expect(sameId(ITEM, ITEM.replace(/;/g, '%3B'))).toBe(true);
    expect(sameId(VM, VM.replace('web1', 'web10'))).toBe(false);
    expect(sameId(VM, undefined as unknown as string)).toBe(false);
  });

  it('builds and reads VM backup names', () => {
    expect(vmBackupNames('rg-app', 'web1')).toEqual({
      containerName: 'IaasVMContainer;iaasvmcontainerv2;rg-app;web1',
      itemName: 'VM;iaasvmcontainerv2;rg-app;web1',
    });
    expect(vmOfContainerName('iaasvmcontainerv2;rg-app;web1')).toEqual({ resourceGroup: 'rg-app', name: 'web1' });
    expect(vmOfContainerName('IaasVMContainer;iaasvmcontainerv2;rg-app;web1')).toEqual({ resourceGroup: 'rg-app', name: 'web1' });
    expect(vmOfContainerName('StorageContainer;x')).toBeUndefined();
  });
});
