// The one scope rule. What the remediator may read and write is bounded by REMEDIATION_SUBSCRIPTIONS
// and REMEDIATION_RESOURCE_GROUPS; intake, discovery, planning and the write-time check all ask this
// value, so they cannot disagree. One meaning for empty lists:
// - no subscriptions: nothing is in scope (we were not told what we may touch, so we touch nothing);
// - no resource groups: every resource group of the allowed subscriptions.
// Every id is checked at both levels: a VM, a vault, a job (its vault) and a protected item (its
// vault and the VM it names). The check runs before the first ARM read of anything the id names.

import type { JobRef, ProtectedItemRef, VaultRef } from './arm/ids';

export interface ScopeLists {
  subscriptions: readonly string[];
  /** `<subscriptionId>/<resourceGroup>` entries. */
  resourceGroups: readonly string[];
}

/** A resource placed in a subscription and resource group (VMs, vaults, collections...). */
export interface Placed {
  subscriptionId: string;
  resourceGroup: string;
}

export type ScopedRef = Placed | JobRef | ProtectedItemRef;

export interface OutOfScope {
  level: 'subscription' | 'resource group';
  setting: 'REMEDIATION_SUBSCRIPTIONS' | 'REMEDIATION_RESOURCE_GROUPS';
  subscriptionId: string;
  resourceGroup: string;
  message: string;
}

export class Scope {
  private readonly subs: ReadonlySet<string>;
  private readonly groups: ReadonlySet<string>;

  private constructor(readonly lists: ScopeLists) {
    this.subs = new Set(lists.subscriptions.map((s) => s.toLowerCase()));
    this.groups = new Set(lists.resourceGroups.map((g) => g.toLowerCase()));
  }

  static of(lists: ScopeLists): Scope {
    return new Scope({ subscriptions: [...lists.subscriptions], resourceGroups: [...lists.resourceGroups] });
  }

  /** Nothing is in scope: no subscription was given. */
  get isEmpty(): boolean {
    return this.subs.size === 0;
  }

  get subscriptions(): readonly string[] {
    return [...this.subs];
  }

  containsSubscription(subscriptionId: string): boolean {
    return this.subs.has(subscriptionId.toLowerCase());
  }

  /** Why the resource (or any resource the id names) is outside the scope; undefined when inside. */
  outside(ref: ScopedRef): OutOfScope | undefined {
    for (const p of placesOf(ref)) {
      const why = this.placeOutside(p);
      if (why) return why;
    }
    return undefined;
  }

  contains(ref: ScopedRef): boolean {
    return this.outside(ref) === undefined;
  }

  private placeOutside({ subscriptionId, resourceGroup }: Placed): OutOfScope | undefined {
    if (!this.subs.has(subscriptionId.toLowerCase())) {
      const message = this.isEmpty
        ? 'REMEDIATION_SUBSCRIPTIONS is empty: no subscription is in scope'
        : `subscription ${subscriptionId} is not in REMEDIATION_SUBSCRIPTIONS`;
      return { level: 'subscription', setting: 'REMEDIATION_SUBSCRIPTIONS', subscriptionId, resourceGroup, message };
    }
    if (this.groups.size > 0 && !this.groups.has(`${subscriptionId}/${resourceGroup}`.toLowerCase())) {
      const message = `resource group ${resourceGroup} (subscription ${subscriptionId}) is not in REMEDIATION_RESOURCE_GROUPS`;
      return { level: 'resource group', setting: 'REMEDIATION_RESOURCE_GROUPS', subscriptionId, resourceGroup, message };
    }
    return undefined;
  }
}

/** The places an id names: a job lives in its vault; a protected item names its vault and its VM. */
function placesOf(ref: ScopedRef): Placed[] {
  if ('vault' in ref) {
    const vault: VaultRef = ref.vault;
    if ('vm' in ref) return [vault, { subscriptionId: vault.subscriptionId, resourceGroup: ref.vm.resourceGroup }];
    return [vault];
  }
  return [ref];
}
