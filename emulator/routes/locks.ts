// Microsoft.Authorization/locks at any scope. Resource scopes vary in depth and may carry an empty
// parent path (`Microsoft.Compute//virtualMachines/x`), so these routes are regex patterns over the
// raw path: everything before `/providers/Microsoft.Authorization/locks` is the scope.
import type { Router, RouteContext } from '../router';
import { armError, type ArmResponse } from '../errors';
import { listLocks, scopeChain, serializeLock, lockId } from '../locks';
import { queryParam, type EmulatorRuntime } from '../runtime';
import type { LockLevel } from '../estate';

const LIST = /^(?<scope>\/subscriptions\/[^/]+(?:\/.*?)?)\/providers\/microsoft\.authorization\/locks\/?$/i;
const ONE = /^(?<scope>\/subscriptions\/[^/]+(?:\/.*?)?)\/providers\/microsoft\.authorization\/locks\/(?<lockName>[^/]+)\/?$/i;

function scopeNotFound(scope: string): ArmResponse {
  return armError(404, 'ResourceNotFound', `The scope '${scope}' does not exist in the emulated estate.`);
}

export function registerLockRoutes(router: Router, rt: EmulatorRuntime): void {
  router.addPattern('GET', LIST, (ctx: RouteContext) => {
    const filter = (queryParam(ctx, '$filter') ?? '').replace(/\s+/g, '').toLowerCase();
    const views = listLocks(ctx.state, ctx.params.scope, filter.includes('atscope()'));
    if (!views) return scopeNotFound(ctx.params.scope);
    return rt.page(ctx, views, serializeLock);
  });
  router.addPattern('GET', ONE, (ctx) => {
    const chain = scopeChain(ctx.state, ctx.params.scope);
    if (!chain) return scopeNotFound(ctx.params.scope);
    const s = chain[chain.length - 1];
    const lock = s.locks.find((l) => l.name.toLowerCase() === ctx.params.lockName.toLowerCase());
    if (!lock) return armError(404, 'LockNotFound', `The lock '${ctx.params.lockName}' could not be found.`);
    return { status: 200, body: serializeLock({ scope: s.id, lock }) };
  });
  router.addPattern('PUT', ONE, (ctx) => {
    const chain = scopeChain(ctx.state, ctx.params.scope, true);
    if (!chain) return scopeNotFound(ctx.params.scope);
    const s = chain[chain.length - 1];
    const level = ctx.body?.properties?.level as LockLevel | undefined;
    if (level !== 'CanNotDelete' && level !== 'ReadOnly')
      return armError(400, 'LockLevelInvalid', `The lock level '${String(level)}' is invalid. Use CanNotDelete or ReadOnly.`);
    const notes = typeof ctx.body?.properties?.notes === 'string' ? (ctx.body.properties.notes as string) : undefined;
    const existing = s.locks.find((l) => l.name.toLowerCase() === ctx.params.lockName.toLowerCase());
    if (existing) {
      existing.level = level;
      existing.notes = notes;
      return { status: 200, body: serializeLock({ scope: s.id, lock: existing }) };
    }
    const lock = { name: ctx.params.lockName, level, ...(notes !== undefined ? { notes } : {}) };
    s.locks.push(lock);
    return { status: 201, body: serializeLock({ scope: s.id, lock }) };
  });
  router.addPattern('DELETE', ONE, (ctx) => {
    const chain = scopeChain(ctx.state, ctx.params.scope);
    if (!chain) return { status: 204 };
    const s = chain[chain.length - 1];
    const i = s.locks.findIndex((l) => l.name.toLowerCase() === ctx.params.lockName.toLowerCase());
    if (i < 0) return { status: 204 };
    s.locks.splice(i, 1);
    void lockId;
    return { status: 200 };
  });
}
