// Management locks: where they live in the estate, which ones cover a resource, and ARM's listing
// semantics (a list at a scope includes the locks inherited from above and those on resources
// below; `$filter=atScope()` keeps only the scope itself and above).
import type { LockSpec } from './estate';
import type { EmulatorState, RpcEntry, VaultEntry, VmEntry } from './state';

export interface LockScope {
  /** Canonical id of the scope (estate casing when the resource is known). */
  id: string;
  /** Live array: pushing/splicing changes the estate. */
  locks: LockSpec[];
}

export interface LockView { scope: string; lock: LockSpec }

const lc = (s: string) => s.toLowerCase();

export function lockId(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/locks/${name}`;
}

export function serializeLock(v: LockView): unknown {
  const properties: Record<string, unknown> = { level: v.lock.level };
  if (v.lock.notes !== undefined) properties.notes = v.lock.notes;
  return { id: lockId(v.scope, v.lock.name), type: 'Microsoft.Authorization/locks', name: v.lock.name, properties };
}

/** Segments of a scope path with empty ones (the `Microsoft.Compute//virtualMachines` form) dropped. */
function segs(scope: string): string[] {
  return scope.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

/**
 * The chain of scopes from the subscription down to `scope`: subscription, resource group, then
 * each resource level (`.../virtualMachines/vm`, `.../virtualMachines/vm/extensions/ext`).
 * Returns undefined when the path is not a subscription-rooted scope.
 */
export function scopeChain(state: EmulatorState, scope: string, create = false): LockScope[] | undefined {
  const p = segs(scope);
  if (p.length < 2 || lc(p[0]) !== 'subscriptions') return undefined;
  const sub = state.subscription(p[1]);
  if (!sub) return undefined;
  const chain: LockScope[] = [{ id: `/subscriptions/${sub.id}`, locks: sub.locks }];
  if (p.length === 2) return chain;
  if (lc(p[2]) !== 'resourcegroups' || p.length < 4) return undefined;
  const rgE = state.resourceGroup(sub.id, p[3]);
  if (!rgE) return undefined;
  chain.push({ id: rgE.id, locks: rgE.rg.locks });
  if (p.length === 4) return chain;
  if (lc(p[4]) !== 'providers' || p.length < 8 || (p.length - 6) % 2 !== 0) return undefined;
  const ns = p[5];
  // Each resource level must be one the estate holds: a VM, a restore point collection or a vault
  // at the top, then a VM's extension or a collection's restore point. Anything else (a storage
  // account, a vault or extension that is not there) is ARM's ResourceNotFound for the scope.
  let parent: { kind: 'vm'; e: VmEntry } | { kind: 'rpc'; e: RpcEntry } | { kind: 'vault'; e: VaultEntry } | { kind: 'leaf' } | undefined;
  let id = `${rgE.id}/providers/${ns}`;
  for (let i = 6; i < p.length; i += 2) {
    const type = p[i];
    const name = p[i + 1];
    if (i === 6) {
      const level = lc(`${ns}/${type}`);
      if (level === 'microsoft.compute/virtualmachines') {
        const vm = state.vm(sub.id, rgE.rg.name, name);
        if (!vm) return undefined;
        id = vm.id;
        chain.push({ id, locks: vm.vm.locks });
        parent = { kind: 'vm', e: vm };
        continue;
      }
      if (level === 'microsoft.compute/restorepointcollections') {
        const rpc = state.rpc(sub.id, rgE.rg.name, name);
        if (!rpc) return undefined;
        id = rpc.id;
        chain.push({ id, locks: rpc.rpc.locks });
        parent = { kind: 'rpc', e: rpc };
        continue;
      }
      if (level === 'microsoft.recoveryservices/vaults') {
        const vault = state.vault(sub.id, rgE.rg.name, name);
        if (!vault) return undefined;
        id = vault.id;
        chain.push(extraScope(state, id, create && i + 2 >= p.length));
        parent = { kind: 'vault', e: vault };
        continue;
      }
      return undefined;
    }
    if (parent?.kind === 'vm' && lc(type) === 'extensions') {
      const x = parent.e.vm.extensions.find((x) => lc(x.name) === lc(name));
      if (!x) return undefined;
      id = `${parent.e.id}/extensions/${x.name}`;
    } else if (parent?.kind === 'rpc' && lc(type) === 'restorepoints') {
      const rp = parent.e.rpc.restorePoints.find((r) => lc(r.name) === lc(name));
      if (!rp) return undefined;
      id = `${parent.e.id}/restorePoints/${rp.name}`;
    } else return undefined;
    chain.push(extraScope(state, id, create && i + 2 >= p.length));
    parent = { kind: 'leaf' };
  }
  return chain;
}

/** The lock holder of a resource the estate file has no lock list for; registered only when a lock is put there. */
function extraScope(state: EmulatorState, id: string, register: boolean): LockScope {
  let extra = state.extraLocks.get(lc(id));
  if (!extra) {
    extra = { id, locks: [] };
    if (register) state.extraLocks.set(lc(id), extra);
  }
  return extra;
}

/** Locks that stop `op` on `targetId`: any lock blocks a delete, ReadOnly also blocks writes. */
export function blockingScopes(state: EmulatorState, targetId: string, op: 'delete' | 'write'): string[] {
  const chain = scopeChain(state, targetId);
  if (!chain) return [];
  const out: string[] = [];
  for (const s of chain) {
    if (s.locks.some((l) => op === 'delete' || l.level === 'ReadOnly')) out.push(s.id);
  }
  return out;
}

/** Every lock at or below `scope` (its children), in estate order. */
function locksBelow(state: EmulatorState, scopeId: string): LockView[] {
  const prefix = lc(scopeId) + '/';
  const out: LockView[] = [];
  const add = (id: string, locks: LockSpec[]) => {
    if (locks.length && lc(id).startsWith(prefix)) for (const lock of locks) out.push({ scope: id, lock });
  };
  for (const rg of state.resourceGroups.values()) add(rg.id, rg.rg.locks);
  for (const vm of state.vms.values()) add(vm.id, vm.vm.locks);
  for (const rpc of state.rpcs.values()) add(rpc.id, rpc.rpc.locks);
  for (const extra of state.extraLocks.values()) add(extra.id, extra.locks);
  return out;
}

export function listLocks(state: EmulatorState, scope: string, atScopeOnly: boolean): LockView[] | undefined {
  const chain = scopeChain(state, scope);
  if (!chain) return undefined;
  const out: LockView[] = [];
  for (const s of chain) for (const lock of s.locks) out.push({ scope: s.id, lock });
  if (!atScopeOnly) out.push(...locksBelow(state, chain[chain.length - 1].id));
  return out;
}
