// A log search alert names a VM only by its display name. It is resolved through the one vault the
// alert names (that vault's Azure VM protected items), never by a name search across subscriptions
// or resource groups: a name is only unique where Azure Backup says so. The VM id, in ARM's own
// casing, comes from the protected item's sourceResourceId.

import type { ArmContext } from '../arm/clients';
import { parseProtectedItemId, parseVmId, type ProtectedItemRef, type VaultRef, type VmRef } from '../arm/ids';

export type NameResolution =
  | { found: true; vm: VmRef; item: ProtectedItemRef }
  | { found: false; reason: string };

interface VmItem {
  vm: VmRef;
  item: ProtectedItemRef;
  friendlyName: string;
}

async function vmItemsOf(arm: ArmContext, vault: VaultRef): Promise<VmItem[]> {
  const out: VmItem[] = [];
  const items = arm.backup(vault.subscriptionId).backupProtectedItems.list(vault.name, vault.resourceGroup, {
    filter: "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'",
  });
  for await (const it of items) {
    const p = (it.properties ?? {}) as { sourceResourceId?: string; friendlyName?: string };
    if (!it.id || !p.sourceResourceId) continue;
    try {
      out.push({ vm: parseVmId(p.sourceResourceId), item: parseProtectedItemId(it.id), friendlyName: p.friendlyName ?? '' });
    } catch {
      // An item whose ids we cannot read is not a candidate: ambiguity is never guessed away.
    }
  }
  return out;
}

/** The one VM of `vault` whose display name (or VM name) is `name`, compared case-insensitively. */
export async function resolveDisplayName(arm: ArmContext, vault: VaultRef, name: string): Promise<NameResolution> {
  const wanted = name.toLowerCase();
  const items = await vmItemsOf(arm, vault);
  const matches = items.filter((i) => i.friendlyName.toLowerCase() === wanted || i.vm.name.toLowerCase() === wanted);
  const distinct = new Map(matches.map((m) => [m.vm.id.toLowerCase(), m]));
  if (distinct.size === 1) {
    const [m] = distinct.values();
    return { found: true, vm: m.vm, item: m.item };
  }
  if (distinct.size === 0) return { found: false, reason: `no Azure VM named '${name}' is protected by vault ${vault.id}` };
  return { found: false, reason: `ambiguous: ${distinct.size} VMs named '${name}' are protected by vault ${vault.id} (${[...distinct.values()].map((m) => m.vm.resourceGroup).join(', ')})` };
}
