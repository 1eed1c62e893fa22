// Subscriptions, tenants and resource groups: what clients and the Azure CLI read before anything else.
import type { Router } from '../router';
import { armError } from '../errors';
import { serializeResourceGroup, serializeSubscription } from '../serialize';
import type { EmulatorRuntime } from '../runtime';

export function registerArmRoutes(router: Router, rt: EmulatorRuntime): void {
  router.add('GET', '/subscriptions', (ctx) =>
    rt.page(ctx, ctx.state.estate.subscriptions, (s) => serializeSubscription(s, ctx.state.tenantId)),
  );
  router.add('GET', '/tenants', (ctx) =>
    rt.page(ctx, [ctx.state.tenantId], (t) => ({
      id: `/tenants/${t}`,
      tenantId: t,
      tenantCategory: 'Home',
      displayName: 'Emulated tenant',
      defaultDomain: 'emulator.onmicrosoft.com',
      domains: ['emulator.onmicrosoft.com'],
    })),
  );
  router.add('GET', '/subscriptions/{subscriptionId}', (ctx) => {
    const s = ctx.state.subscription(ctx.params.subscriptionId);
    if (!s) return armError(404, 'SubscriptionNotFound', `The subscription '${ctx.params.subscriptionId}' could not be found.`);
    return { status: 200, body: serializeSubscription(s, ctx.state.tenantId) };
  });
  router.add('GET', '/subscriptions/{subscriptionId}/resourcegroups', (ctx) => {
    const s = ctx.state.subscription(ctx.params.subscriptionId);
    if (!s) return armError(404, 'SubscriptionNotFound', `The subscription '${ctx.params.subscriptionId}' could not be found.`);
    return rt.page(ctx, s.resourceGroups.map((rg) => ctx.state.resourceGroup(s.id, rg.name)!), serializeResourceGroup);
  });
  router.add('GET', '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}', (ctx) => {
    const e = ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName);
    if (!e) return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
    return { status: 200, body: serializeResourceGroup(e) };
  });
}
