// Management locks covering a resource: at its subscription, its resource group, a parent resource
// (a lock on a VM covers its extensions) or the resource itself. ARM refuses a DELETE under any of
// them; the remediator never removes a lock. One home for listing and for deciding coverage.
import type { ArmContext } from './clients';
import { isNotFound } from './errors';
import { sameId } from './ids';

export interface LockRef {
  id: string;
  name: string;
  level: string;
  scope: 'subscription' | 'resourceGroup' | 'resource';
  notes?: string;
}

/** A lock as listed, before its coverage is decided. */
export interface RawLock { id: string; name: string; level: string; notes?: string }

const LOCKS_SEGMENT = '/providers/microsoft.authorization/locks/';

/** Lock scope from its id: everything before /providers/Microsoft.Authorization/locks/. */
export function lockScopeOf(lockId: string): string | undefined {
  const i = lockId.toLowerCase().lastIndexOf(LOCKS_SEGMENT);
  return i > 0 ? lockId.slice(0, i) : undefined;
}

/** True when `scope` is a resource (deeper than the resource group) that contains `resourceId`. */
function isParentResource(scope: string, rgScope: string, resourceId: string): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return s.length > rgScope.length + 1 && resourceId.toLowerCase().startsWith(`${s}/`) && s.startsWith(`${rgScope.toLowerCase()}/providers/`);
}

function coverageOf(scope: string, subScope: string, rgScope: string, resourceId: string): LockRef['scope'] | undefined {
  if (sameId(scope, subScope)) return 'subscription';
  if (sameId(scope, rgScope)) return 'resourceGroup';
  if (sameId(scope, resourceId) || isParentResource(scope, rgScope, resourceId)) return 'resource';
  return undefined;
}

/** Locks that cover a resource: at its subscription, its resource group, a parent resource or the resource itself. */
export function locksCovering(resourceId: string, locks: RawLock[]): LockRef[] {
  const ref = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(resourceId);
  if (!ref) return [];
  const subScope = `/subscriptions/${ref[1]}`;
  const rgScope = `${subScope}/resourceGroups/${ref[2]}`;
  const out: LockRef[] = [];
  const seen = new Set<string>();
  for (const l of locks) {
    const scope = lockScopeOf(l.id);
    if (!scope || seen.has(l.id.toLowerCase())) continue;
    const level = coverageOf(scope, subScope, rgScope, resourceId);
    if (!level) continue;
    seen.add(l.id.toLowerCase());
    out.push({ id: l.id, name: l.name, level: l.level, scope: level, ...(l.notes ? { notes: l.notes } : {}) });
  }
  return out;
}

function rawLock(l: { id?: string; name?: string; level: string; notes?: string }): RawLock[] {
  return l.id ? [{ id: l.id, name: l.name ?? '', level: l.level, notes: l.notes }] : [];
}

async function collect(pages: AsyncIterable<{ id?: string; name?: string; level: string; notes?: string }>): Promise<RawLock[]> {
  const out: RawLock[] = [];
  for await (const l of pages) out.push(...rawLock(l));
  return out;
}

/** Locks at the subscription itself (atScope(): not every lock below it). */
export function listSubscriptionLocks(arm: ArmContext, subscriptionId: string): Promise<RawLock[]> {
  return collect(arm.locks(subscriptionId).managementLocks.listAtSubscriptionLevel({ filter: 'atScope()' }));
}

/**
 * Every lock of the subscription: at the subscription, on its resource groups and on resources in
 * them (without atScope(), ARM lists the locks below the scope too). One list answers the coverage
 * of every resource of the subscription; the scope of each lock is told apart by its id.
 */
export function listAllSubscriptionLocks(arm: ArmContext, subscriptionId: string): Promise<RawLock[]> {
  return collect(arm.locks(subscriptionId).managementLocks.listAtSubscriptionLevel());
}

/** Locks of a resource group, including those on resources inside it (scope is told apart by the lock id). */
export function listResourceGroupLocks(arm: ArmContext, subscriptionId: string, resourceGroup: string): Promise<RawLock[]> {
  return collect(arm.locks(subscriptionId).managementLocks.listAtResourceGroupLevel(resourceGroup));
}

/** A resource id split as the resource-level lock list takes it; undefined for anything else. */
export function resourceLevelOf(resourceId: string): { subscriptionId: string; resourceGroup: string; namespace: string; parentPath: string; type: string; name: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i.exec(resourceId.replace(/\/+$/, ''));
  if (!m) return undefined;
  const parts = m[4].split('/');
  if (parts.length < 2 || parts.length % 2 !== 0 || parts.some((p) => p === '')) return undefined;
  return { subscriptionId: m[1], resourceGroup: m[2], namespace: m[3], parentPath: parts.slice(0, -2).join('/'), type: parts[parts.length - 2], name: parts[parts.length - 1] };
}

/**
 * Locks at a resource and above it (its parents, its group, its subscription): one resource-level
 * list with atScope(). Undefined when the resource is not there (ARM answers 404 for the scope).
 */
async function locksAtAndAbove(arm: ArmContext, resourceId: string): Promise<RawLock[] | undefined> {
  const r = resourceLevelOf(resourceId);
  if (!r) return undefined;
  try {
    return await collect(arm.locks(r.subscriptionId).managementLocks.listAtResourceLevel(r.resourceGroup, r.namespace, r.parentPath, r.type, r.name, { filter: 'atScope()' }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Locks covering a resource, read now (no cache): for the write-time checks. One read at the
 * target's own scope; when that scope cannot be listed (not a resource id, or ARM no longer finds
 * the resource) the subscription's and the group's lists answer instead, as before.
 */
export async function readLocksCovering(arm: ArmContext, subscriptionId: string, resourceGroup: string, resourceId: string): Promise<LockRef[]> {
  const atTarget = await locksAtAndAbove(arm, resourceId);
  if (atTarget) return locksCovering(resourceId, atTarget);
  const sub = await listSubscriptionLocks(arm, subscriptionId);
  const rg = await listResourceGroupLocks(arm, subscriptionId, resourceGroup);
  return locksCovering(resourceId, [...sub, ...rg]);
}
