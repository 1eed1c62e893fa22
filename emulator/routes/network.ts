// Microsoft.Network, read-only: a VM's NIC (`<vm>-nic`, as its network profile names it), NSGs with
// their rules, and the NIC's effective security rules and effective routes. The two effective-*
// calls are POST long-running operations as ARM serves them: 202 with Azure-AsyncOperation and
// Location, the status says Succeeded at the first poll, the Location answers 200 with `value`.
// A VM without `network` data in the estate has no NIC here (404), so older estates keep their
// findings. Shapes follow the 2024-03-01 swagger (see test/emulator-oav.test.ts).
import type { Router, RouteContext } from '../router';
import { armError, isResponse, notFound, type ArmResponse } from '../errors';
import { apiVersionOf, type EmulatorRuntime } from '../runtime';
import type { NetworkSecurityGroupSpec, RouteSpec, SecurityRuleSpec } from '../estate';
import { rgIdOf, type RgEntry, type VmEntry } from '../state';

const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network';
const SUB = '/subscriptions/{subscriptionId}/providers/Microsoft.Network';
const NIC_SUFFIX = '-nic';

type Rule = Omit<SecurityRuleSpec, 'destinationAddressPrefix'> & { destinationAddressPrefix: string; sourceAddressPrefix: string };

/** Azure's default rules, present in every NSG. */
const DEFAULT_RULES: Rule[] = [
  { name: 'AllowVnetInBound', priority: 65000, direction: 'Inbound', access: 'Allow', protocol: '*', sourceAddressPrefix: 'VirtualNetwork', destinationAddressPrefix: 'VirtualNetwork', destinationPortRange: '*' },
  { name: 'AllowAzureLoadBalancerInBound', priority: 65001, direction: 'Inbound', access: 'Allow', protocol: '*', sourceAddressPrefix: 'AzureLoadBalancer', destinationAddressPrefix: '*', destinationPortRange: '*' },
  { name: 'DenyAllInBound', priority: 65500, direction: 'Inbound', access: 'Deny', protocol: '*', sourceAddressPrefix: '*', destinationAddressPrefix: '*', destinationPortRange: '*' },
  { name: 'AllowVnetOutBound', priority: 65000, direction: 'Outbound', access: 'Allow', protocol: '*', sourceAddressPrefix: 'VirtualNetwork', destinationAddressPrefix: 'VirtualNetwork', destinationPortRange: '*' },
  { name: 'AllowInternetOutBound', priority: 65001, direction: 'Outbound', access: 'Allow', protocol: '*', sourceAddressPrefix: '*', destinationAddressPrefix: 'Internet', destinationPortRange: '*' },
  { name: 'DenyAllOutBound', priority: 65500, direction: 'Outbound', access: 'Deny', protocol: '*', sourceAddressPrefix: '*', destinationAddressPrefix: '*', destinationPortRange: '*' },
];

/** Azure's system routes for a VNet 10.0.0.0/16 (as in the swagger example). */
const DEFAULT_ROUTES: { prefix: string; hop: string }[] = [
  { prefix: '10.0.0.0/16', hop: 'VnetLocal' },
  { prefix: '0.0.0.0/0', hop: 'Internet' },
  { prefix: '10.0.0.0/8', hop: 'None' },
  { prefix: '100.64.0.0/10', hop: 'None' },
  { prefix: '172.16.0.0/12', hop: 'None' },
  { prefix: '192.168.0.0/16', hop: 'None' },
];

const rgId = (x: Pick<RgEntry, 'sub' | 'rg'>) => rgIdOf(x.sub.id, x.rg.name);
const nsgId = (rg: Pick<RgEntry, 'sub' | 'rg'>, name: string) => `${rgId(rg)}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
const nicId = (e: VmEntry) => `${rgId(e)}/providers/Microsoft.Network/networkInterfaces/${e.vm.name}${NIC_SUFFIX}`;

/** The VM whose NIC this is, when the estate gives it network data. */
function vmOfNic(ctx: RouteContext): VmEntry | undefined {
  const rg = ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName);
  const nic = ctx.params.nicName.toLowerCase();
  const v = rg?.rg.virtualMachines.find((x) => `${x.name}${NIC_SUFFIX}`.toLowerCase() === nic && x.network);
  return v ? ctx.state.vm(rg!.sub.id, rg!.rg.name, v.name) : undefined;
}

function nsgOf(e: VmEntry): NetworkSecurityGroupSpec | undefined {
  const want = e.vm.network?.networkSecurityGroup?.toLowerCase();
  return want ? (e.rg.networkSecurityGroups ?? []).find((g) => g.name.toLowerCase() === want) : undefined;
}

function serializeRule(rg: RgEntry, nsg: string, r: Rule | SecurityRuleSpec, kind: 'securityRules' | 'defaultSecurityRules') {
  return {
    id: `${nsgId(rg, nsg)}/${kind}/${r.name}`,
    name: r.name,
    type: `Microsoft.Network/networkSecurityGroups/${kind}`,
    properties: {
      protocol: r.protocol, sourcePortRange: '*', destinationPortRange: r.destinationPortRange,
      sourceAddressPrefix: 'sourceAddressPrefix' in r ? r.sourceAddressPrefix : '*', destinationAddressPrefix: r.destinationAddressPrefix,
      access: r.access, priority: r.priority, direction: r.direction, provisioningState: 'Succeeded',
    },
  };
}

function serializeNsg(rg: RgEntry, g: NetworkSecurityGroupSpec) {
  const nics = rg.rg.virtualMachines.filter((v) => v.network?.networkSecurityGroup?.toLowerCase() === g.name.toLowerCase());
  return {
    id: nsgId(rg, g.name), name: g.name, type: 'Microsoft.Network/networkSecurityGroups', location: rg.rg.location,
    properties: {
      provisioningState: 'Succeeded',
      securityRules: g.securityRules.map((r) => serializeRule(rg, g.name, r, 'securityRules')),
      defaultSecurityRules: DEFAULT_RULES.map((r) => serializeRule(rg, g.name, r, 'defaultSecurityRules')),
      networkInterfaces: nics.map((v) => ({ id: `${rgId(rg)}/providers/Microsoft.Network/networkInterfaces/${v.name}${NIC_SUFFIX}` })),
    },
  };
}

function serializeNic(e: VmEntry) {
  const nsg = nsgOf(e);
  const id = nicId(e);
  const subnet = `${rgId(e)}/providers/Microsoft.Network/virtualNetworks/${e.rg.name}-vnet/subnets/default`;
  return {
    id, name: `${e.vm.name}${NIC_SUFFIX}`, type: 'Microsoft.Network/networkInterfaces', location: e.vm.location ?? e.rg.location,
    properties: {
      provisioningState: 'Succeeded',
      ipConfigurations: [{ id: `${id}/ipConfigurations/ipconfig1`, name: 'ipconfig1', properties: { privateIPAddress: '10.0.0.4', privateIPAllocationMethod: 'Dynamic', subnet: { id: subnet }, primary: true, provisioningState: 'Succeeded' } }],
      ...(nsg ? { networkSecurityGroup: { id: nsgId(e, nsg.name) } } : {}),
      virtualMachine: { id: e.id },
      primary: true,
      enableAcceleratedNetworking: false,
      enableIPForwarding: false,
    },
  };
}

const effectivePorts = (r: string) => (r === '*' ? '0-65535' : r.includes('-') ? r : `${r}-${r}`);
const effectivePrefix = (p: string) => (p === '*' ? '0.0.0.0/0' : p);

function effectiveRule(r: Rule | SecurityRuleSpec, kind: string) {
  return {
    name: `${kind}/${r.name}`, protocol: r.protocol === '*' ? 'All' : r.protocol, sourcePortRange: '0-65535', destinationPortRange: effectivePorts(r.destinationPortRange),
    sourceAddressPrefix: effectivePrefix('sourceAddressPrefix' in r ? r.sourceAddressPrefix : '*'), destinationAddressPrefix: effectivePrefix(r.destinationAddressPrefix),
    access: r.access, priority: r.priority, direction: r.direction,
  };
}

function effectiveNsgs(e: VmEntry) {
  const nsg = nsgOf(e);
  if (!nsg) return { value: [] };
  const rules = [...nsg.securityRules.map((r) => effectiveRule(r, 'securityRules')), ...DEFAULT_RULES.map((r) => effectiveRule(r, 'defaultSecurityRules'))];
  return { value: [{ networkSecurityGroup: { id: nsgId(e, nsg.name) }, association: { networkInterface: { id: nicId(e) } }, effectiveSecurityRules: rules }] };
}

/** System routes, with a user route of the same prefix making the system one Invalid (as Azure shows it). */
function effectiveRoutes(routes: RouteSpec[]) {
  const user = new Set(routes.map((r) => r.addressPrefix));
  return {
    value: [
      ...DEFAULT_ROUTES.map((d) => ({ source: 'Default', state: user.has(d.prefix) ? 'Invalid' : 'Active', addressPrefix: [d.prefix], nextHopType: d.hop, nextHopIpAddress: [] as string[] })),
      ...routes.map((r) => ({ name: r.name, source: 'User', state: 'Active', addressPrefix: [r.addressPrefix], nextHopType: r.nextHopType, nextHopIpAddress: r.nextHopIpAddress ? [r.nextHopIpAddress] : [] })),
    ],
  };
}

export function registerNetworkRoutes(router: Router, rt: EmulatorRuntime): void {
  /** Results of finished effective-* operations, served at their Location. */
  const results = new Map<string, unknown>();
  const nicOr404 = (ctx: RouteContext): VmEntry | ArmResponse => {
    const e = vmOfNic(ctx);
    if (e) return e;
    if (!ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName))
      return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
    return notFound('Microsoft.Network/networkInterfaces', ctx.params.nicName, ctx.params.resourceGroupName);
  };
  const accepted = (ctx: RouteContext, e: VmEntry, body: unknown): ArmResponse => {
    const op = rt.startOperation(() => undefined);
    results.set(op.id, body);
    const loc = e.vm.location ?? e.rg.location;
    const v = `api-version=${encodeURIComponent(apiVersionOf(ctx))}`;
    const base = `${ctx.baseUrl}/subscriptions/${e.sub.id}/providers/Microsoft.Network/locations/${loc}`;
    return { status: 202, headers: { 'Azure-AsyncOperation': `${base}/operations/${op.id}?${v}`, Location: `${base}/operationResults/${op.id}?${v}`, 'Retry-After': '0' } };
  };

  router.add('GET', `${RG}/networkInterfaces/{nicName}`, (ctx) => {
    const e = nicOr404(ctx);
    return isResponse(e) ? e : { status: 200, body: serializeNic(e) };
  });
  router.add('POST', `${RG}/networkInterfaces/{nicName}/effectiveNetworkSecurityGroups`, (ctx) => {
    const e = nicOr404(ctx);
    return isResponse(e) ? e : accepted(ctx, e, effectiveNsgs(e));
  });
  router.add('POST', `${RG}/networkInterfaces/{nicName}/effectiveRouteTable`, (ctx) => {
    const e = nicOr404(ctx);
    return isResponse(e) ? e : accepted(ctx, e, effectiveRoutes(e.vm.network?.routes ?? []));
  });
  router.add('GET', `${RG}/networkSecurityGroups/{nsgName}`, (ctx) => {
    const rg = ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName);
    if (!rg) return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
    const g = (rg.rg.networkSecurityGroups ?? []).find((x) => x.name.toLowerCase() === ctx.params.nsgName.toLowerCase());
    return g ? { status: 200, body: serializeNsg(rg, g) } : notFound('Microsoft.Network/networkSecurityGroups', ctx.params.nsgName, rg.rg.name);
  });
  router.add('GET', `${SUB}/locations/{location}/operations/{operationId}`, (ctx) => {
    const op = rt.operations.get(ctx.params.operationId);
    if (!op || !results.has(op.id)) return armError(404, 'OperationNotFound', `Operation '${ctx.params.operationId}' was not found.`);
    rt.finish(op);
    return { status: 200, body: { status: op.status } };
  });
  router.add('GET', `${SUB}/locations/{location}/operationResults/{operationId}`, (ctx) => {
    const op = rt.operations.get(ctx.params.operationId);
    if (!op || !results.has(op.id)) return armError(404, 'OperationNotFound', `Operation '${ctx.params.operationId}' was not found.`);
    rt.finish(op);
    return op.status === 'InProgress' ? { status: 202, headers: { 'Retry-After': '0' } } : { status: 200, body: results.get(op.id) };
  });
}
