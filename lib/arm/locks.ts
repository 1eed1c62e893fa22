// Management locks covering a resource: at its subscription, its resource group, a parent resource
// (a lock on a VM covers its extensions) or the resource itself. ARM refuses a DELETE under any of
// them; the remediator never removes a lock. One home for listing and for deciding coverage.
import type { ArmContext } from './clients';
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

/** Locks at the subscription itself (atScope(): not every lock below it). */
export async function listSubscriptionLocks(arm: ArmContext, subscriptionId: string): Promise<RawLock[]> {
  const out: RawLock[] = [];
  for await (const l of arm.locks(subscriptionId).managementLocks.listAtSubscriptionLevel({ filter: 'atScope()' })) {
    if (l.id) out.push({ id: l.id, name: l.name ?? '', level: l.level, notes: l.notes });
  }
  return out;
}

/** Locks of a resource group, including those on resources inside it (scope is told apart by the lock id). */
export async function listResourceGroupLocks(arm: ArmContext, subscriptionId: string, resourceGroup: string): Promise<RawLock[]> {
  const out: RawLock[] = [];
  for await (const l of arm.locks(subscriptionId).managementLocks.listAtResourceGroupLevel(resourceGroup)) {
    if (l.id) out.push({ id: l.id, name: l.name ?? '', level: l.level, notes: l.notes });
  }
  return out;
}

/** Locks covering a resource, read now (no cache): for the write-time checks. */
export async function readLocksCovering(arm: ArmContext, subscriptionId: string, resourceGroup: string, resourceId: string): Promise<LockRef[]> {
  const sub = await listSubscriptionLocks(arm, subscriptionId);
  const rg = await listResourceGroupLocks(arm, subscriptionId, resourceGroup);
  return locksCovering(resourceId, [...sub, ...rg]);
}
