// The protected items that claim a VM as their source, in the vault of its failed job: diagnosis
// needs exactly one (Backup Now's target; none or several are reported, never guessed). Over ARM that
// is one paged list of the vault's VM items. For a run whose candidates came from Resource Graph, one
// Graph query answers every candidate VM of every subscription (50 lists -> 1 query at 10,000 VMs).
// Graph may lag, and that is safe here: the item is only what a proposal targets; trigger-backup GETs
// it fresh before Backup Now and refuses an item that is gone or now protects another VM.
import type { ArmContext } from '../arm/clients';
import { parseProtectedItemId, parseVaultId } from '../arm/ids';
import { rowsOfSourceVms, sourceNameFilter } from './graph-by-vm';

/** A protected item and the VM it protects (`properties.sourceResourceId`). */
export interface ItemSummary { id: string; sourceId: string }

/** Azure VM items only, as the REST list's filter asks. */
const VM_ITEMS = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'";

/** Every Azure VM protected item of the vault, over ARM. */
export async function protectedItemsOfVault(arm: ArmContext, vaultId: string): Promise<ItemSummary[]> {
  const v = parseVaultId(vaultId);
  const out: ItemSummary[] = [];
  for await (const it of arm.backup(v.subscriptionId).backupProtectedItems.list(v.name, v.resourceGroup, { filter: VM_ITEMS })) {
    const src = (it.properties as { sourceResourceId?: string } | undefined)?.sourceResourceId;
    if (it.id && src) out.push({ id: it.id, sourceId: src });
  }
  return out;
}

/** Azure VM protected items whose source VM has one of these names (a superset; kept by full id). */
export function protectedItemsQuery(vmIds: string[]): string {
  return [
    'RecoveryServicesResources',
    "| where type =~ 'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems'",
    "| where properties.backupManagementType =~ 'AzureIaasVM' and properties.workloadType =~ 'VM'",
    '| extend sourceId = tostring(properties.sourceResourceId)',
    ...sourceNameFilter(vmIds),
    '| project id, sourceId',
  ].join('\n');
}

/** The vault an item id names, lower case; undefined for an id that is not an Azure VM item's. */
function vaultKeyOf(itemId: string): string | undefined {
  try {
    return parseProtectedItemId(itemId).vault.id.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The protected items of these VMs (over `subscriptionIds`) through Resource Graph, by vault id (lower case). */
export async function protectedItemsOfVms(arm: ArmContext, subscriptionIds: string[], vmIds: string[]): Promise<Map<string, ItemSummary[]>> {
  const byVault = new Map<string, ItemSummary[]>();
  for (const r of await rowsOfSourceVms(arm, subscriptionIds, vmIds, protectedItemsQuery)) {
    const vault = typeof r.id === 'string' ? vaultKeyOf(r.id) : undefined;
    if (!vault) continue;
    byVault.set(vault, [...(byVault.get(vault) ?? []), { id: r.id as string, sourceId: r.sourceId as string }]);
  }
  return byVault;
}
