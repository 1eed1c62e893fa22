// Microsoft.Compute: virtual machines (+ instance view), extensions and restore point collections.
// Deletes are long-running: 202 + Azure-AsyncOperation + Location + Retry-After: 0; the resource
// shows `Deleting` until the operation completes, which happens at the next request to the
// emulator (so the first poll already sees Succeeded and `beginDeleteAndWait` returns at once).
import type { Router, RouteContext } from '../router';
import { armError, isResponse, notFound, scopeLocked, type ArmResponse } from '../errors';
import { blockingScopes } from '../locks';
import { apiVersionOf, queryParam, type EmulatorRuntime, type Operation } from '../runtime';
import {
  serializeExtension,
  serializeInstanceView,
  serializeRestorePoint,
  serializeRestorePointCollection,
  serializeVm,
} from '../serialize';
import type { RpcEntry, VmEntry } from '../state';

const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute';
const SUB = '/subscriptions/{subscriptionId}/providers/Microsoft.Compute';

function expands(ctx: RouteContext, what: string): boolean {
  return (queryParam(ctx, '$expand') ?? '').toLowerCase().split(',').map((s) => s.trim()).includes(what.toLowerCase());
}

export function computeLroAccepted(ctx: RouteContext, subscriptionId: string, location: string, op: Operation): ArmResponse {
  const base = `${ctx.baseUrl}/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${location}/operations/${op.id}?api-version=${encodeURIComponent(apiVersionOf(ctx))}`;
  return { status: 202, headers: { 'Azure-AsyncOperation': base, Location: `${base}&monitor=true`, 'Retry-After': '0' } };
}

export function registerComputeRoutes(router: Router, rt: EmulatorRuntime): void {
  /** The looked-up entry, else ARM's 404: the resource group's when it is missing, then the resource's. */
  const entryOr404 = <T>(ctx: RouteContext, entry: T | undefined, type: string, name: string): T | ArmResponse => {
    if (entry) return entry;
    if (!ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName))
      return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
    return notFound(type, name, ctx.params.resourceGroupName);
  };
  const vmOr404 = (ctx: RouteContext): VmEntry | ArmResponse =>
    entryOr404(ctx, ctx.state.vm(ctx.params.subscriptionId, ctx.params.resourceGroupName, ctx.params.vmName), 'Microsoft.Compute/virtualMachines', ctx.params.vmName);
  const rpcOr404 = (ctx: RouteContext): RpcEntry | ArmResponse =>
    entryOr404(ctx, ctx.state.rpc(ctx.params.subscriptionId, ctx.params.resourceGroupName, ctx.params.collectionName), 'Microsoft.Compute/restorePointCollections', ctx.params.collectionName);
  // ARM answers any request under a missing resource group with 404, a DELETE too; only an absent
  // resource in an existing group is the idempotent 204.
  const rgMissing = (ctx: RouteContext): ArmResponse | undefined =>
    ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName)
      ? undefined
      : armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);

  // ---- virtual machines
  router.add('GET', `${RG}/virtualMachines`, (ctx) => {
    const rg = ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName);
    if (!rg) return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
    const iv = expands(ctx, 'instanceView');
    const now = ctx.clock.now();
    return rt.page(ctx, rg.rg.virtualMachines.map((v) => ctx.state.vm(rg.sub.id, rg.rg.name, v.name)!), (e) => serializeVm(e, { instanceView: iv, now }));
  });
  router.add('GET', `${SUB}/virtualMachines`, (ctx) => {
    const sub = ctx.state.subscription(ctx.params.subscriptionId);
    if (!sub) return armError(404, 'SubscriptionNotFound', `The subscription '${ctx.params.subscriptionId}' could not be found.`);
    const iv = expands(ctx, 'instanceView');
    const now = ctx.clock.now();
    const all: VmEntry[] = [];
    for (const rg of sub.resourceGroups) for (const v of rg.virtualMachines) all.push(ctx.state.vm(sub.id, rg.name, v.name)!);
    return rt.page(ctx, all, (e) => serializeVm(e, { instanceView: iv, now }));
  });
  router.add('GET', `${RG}/virtualMachines/{vmName}`, (ctx) => {
    const e = vmOr404(ctx);
    if (isResponse(e)) return e;
    // ARM returns the VM's child extensions as `resources` (with or without $expand=instanceView);
    // absent when the VM has none.
    const body = serializeVm(e, { instanceView: expands(ctx, 'instanceView'), now: ctx.clock.now() }) as Record<string, unknown>;
    if (!rt.vmGetResources) delete body.resources;
    return { status: 200, body };
  });
  router.add('GET', `${RG}/virtualMachines/{vmName}/instanceView`, (ctx) => {
    const e = vmOr404(ctx);
    if (isResponse(e)) return e;
    return { status: 200, body: serializeInstanceView(e, ctx.clock.now()) };
  });

  // ---- extensions
  router.add('GET', `${RG}/virtualMachines/{vmName}/extensions`, (ctx) => {
    const e = vmOr404(ctx);
    if (isResponse(e)) return e;
    return { status: 200, body: { value: e.vm.extensions.map((x) => serializeExtension(e, x)) } };
  });
  router.add('GET', `${RG}/virtualMachines/{vmName}/extensions/{extensionName}`, (ctx) => {
    const e = vmOr404(ctx);
    if (isResponse(e)) return e;
    const x = e.vm.extensions.find((x) => x.name.toLowerCase() === ctx.params.extensionName.toLowerCase());
    if (!x) return notFound('Microsoft.Compute/virtualMachines/extensions', `${e.vm.name}/${ctx.params.extensionName}`, e.rg.name);
    return { status: 200, body: serializeExtension(e, x, { instanceView: expands(ctx, 'instanceView'), now: ctx.clock.now() }) };
  });
  router.add('DELETE', `${RG}/virtualMachines/{vmName}/extensions/{extensionName}`, (ctx) => {
    const e = vmOr404(ctx);
    if (isResponse(e)) return e;
    const x = e.vm.extensions.find((x) => x.name.toLowerCase() === ctx.params.extensionName.toLowerCase());
    if (!x) return { status: 204 };
    const target = `${e.id}/extensions/${x.name}`;
    const locked = blockingScopes(ctx.state, target, 'delete');
    if (locked.length) return scopeLocked(target, 'delete', locked);
    x.provisioningState = 'Deleting';
    const op = rt.startOperation(() => {
      const i = e.vm.extensions.indexOf(x);
      if (i >= 0) e.vm.extensions.splice(i, 1);
    });
    return computeLroAccepted(ctx, e.sub.id, e.vm.location ?? e.rg.location, op);
  });

  // ---- restore point collections
  router.add('GET', `${RG}/restorePointCollections`, (ctx) => {
    const rg = ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName);
    if (!rg) return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
    return rt.page(ctx, rg.rg.restorePointCollections.map((c) => ctx.state.rpc(rg.sub.id, rg.rg.name, c.name)!), (e) => serializeRestorePointCollection(e, {}));
  });
  router.add('GET', `${SUB}/restorePointCollections`, (ctx) => {
    const sub = ctx.state.subscription(ctx.params.subscriptionId);
    if (!sub) return armError(404, 'SubscriptionNotFound', `The subscription '${ctx.params.subscriptionId}' could not be found.`);
    const all: RpcEntry[] = [];
    for (const rg of sub.resourceGroups) for (const c of rg.restorePointCollections) all.push(ctx.state.rpc(sub.id, rg.name, c.name)!);
    return rt.page(ctx, all, (e) => serializeRestorePointCollection(e, {}));
  });
  router.add('GET', `${RG}/restorePointCollections/{collectionName}`, (ctx) => {
    const e = rpcOr404(ctx);
    if (isResponse(e)) return e;
    return { status: 200, body: serializeRestorePointCollection(e, { expandRestorePoints: expands(ctx, 'restorePoints') }) };
  });
  router.add('DELETE', `${RG}/restorePointCollections/{collectionName}`, (ctx) => {
    const e = ctx.state.rpc(ctx.params.subscriptionId, ctx.params.resourceGroupName, ctx.params.collectionName);
    if (!e) return rgMissing(ctx) ?? { status: 204 };
    const locked = blockingScopes(ctx.state, e.id, 'delete');
    if (locked.length) return scopeLocked(e.id, 'delete', locked);
    const op = rt.startOperation(() => ctx.state.removeRpc(e));
    return computeLroAccepted(ctx, e.sub.id, e.rpc.location ?? e.rg.location, op);
  });
  router.add('GET', `${RG}/restorePointCollections/{collectionName}/restorePoints/{restorePointName}`, (ctx) => {
    const e = rpcOr404(ctx);
    if (isResponse(e)) return e;
    const rp = e.rpc.restorePoints.find((p) => p.name.toLowerCase() === ctx.params.restorePointName.toLowerCase());
    if (!rp) return notFound('Microsoft.Compute/restorePointCollections/restorePoints', `${e.rpc.name}/${ctx.params.restorePointName}`, e.rg.name);
    return { status: 200, body: serializeRestorePoint(e.id, rp) };
  });
  router.add('DELETE', `${RG}/restorePointCollections/{collectionName}/restorePoints/{restorePointName}`, (ctx) => {
    const e = ctx.state.rpc(ctx.params.subscriptionId, ctx.params.resourceGroupName, ctx.params.collectionName);
    const rp = e?.rpc.restorePoints.find((p) => p.name.toLowerCase() === ctx.params.restorePointName.toLowerCase());
    if (!e || !rp) return rgMissing(ctx) ?? { status: 204 };
    const target = `${e.id}/restorePoints/${rp.name}`;
    const locked = blockingScopes(ctx.state, target, 'delete');
    if (locked.length) return scopeLocked(target, 'delete', locked);
    const op = rt.startOperation(() => {
      const i = e.rpc.restorePoints.indexOf(rp);
      if (i >= 0) e.rpc.restorePoints.splice(i, 1);
    });
    return computeLroAccepted(ctx, e.sub.id, e.rpc.location ?? e.rg.location, op);
  });

  // ---- operation status (Azure-AsyncOperation) and Location polling
  router.add('GET', `${SUB}/locations/{location}/operations/{operationId}`, (ctx) => {
    const op = rt.operations.get(ctx.params.operationId);
    if (!op) return armError(404, 'OperationNotFound', `Operation '${ctx.params.operationId}' was not found.`);
    // Done on the first poll: the effect is applied now if no earlier request applied it.
    rt.finish(op);
    // An operation with a result (Run Command) serves it at Location (final-state-via: location)
    // and, as Compute does, as properties.output in the status.
    if ((queryParam(ctx, 'monitor') ?? '').toLowerCase() === 'true') return op.status === 'InProgress' ? { status: 202, headers: { 'Retry-After': '0' } } : { status: 200, body: op.result };
    const body: Record<string, unknown> = { name: op.id, status: op.status, startTime: op.startTime };
    if (op.endTime) body.endTime = op.endTime;
    if (op.result !== undefined) body.properties = { output: op.result };
    if (op.error) body.error = op.error;
    return { status: 200, body };
  });
}
