// Does a NIC's effective configuration let outbound TCP 443 reach the service tags a VM backup
// needs (Azure Backup, Storage, Microsoft Entra ID)? Pure: judged on the effective security rules
// and effective routes ARM returned, nothing else. A rule whose destination cannot be judged from
// its text (a public CIDR: ARM does not say which service owns it) makes the answer 'undetermined',
// never a guess.
import type { EffectiveNetworkSecurityGroup, EffectiveNetworkSecurityRule, EffectiveRoute } from '@azure/arm-network';

/** The service tags the backup extension talks to over HTTPS (the troubleshooting article's list). */
export const BACKUP_SERVICE_TAGS = ['AzureBackup', 'Storage', 'AzureActiveDirectory'] as const;
export type BackupServiceTag = (typeof BACKUP_SERVICE_TAGS)[number];

type Match = 'yes' | 'no' | 'unknown';

export interface RuleRef { networkSecurityGroup: string; rule: string; priority: number | undefined }
export interface RouteRef { name?: string; source?: string; addressPrefix: string[]; nextHopType: string; nextHopIpAddress: string[] }

export type OutboundVerdict =
  | { verdict: 'blocked-by-rule'; rule: RuleRef; tags: BackupServiceTag[] }
  | { verdict: 'blocked-by-route'; route: RouteRef; tags: BackupServiceTag[] }
  | { verdict: 'open'; allowedBy: RuleRef[]; route?: RouteRef }
  | { verdict: 'undetermined'; reason: string };

/** Private and shared address space never holds an Azure service's public endpoints. */
const PRIVATE = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./, /^127\./, /^169\.254\./];
/** Tags that contain every Azure public endpoint (and so those of the backup tags). */
const COVERING_TAGS = ['internet', 'azurecloud'];

/** Does this destination (a CIDR, a tag, `Tag.Region` or `*`) cover the service tag in the VM's region? */
function destinationMatch(prefix: string, tag: BackupServiceTag, region: string): Match {
  const p = prefix.trim().toLowerCase();
  if (p === '*' || p === '0.0.0.0/0' || p === 'any') return 'yes';
  if (/^[0-9.]+(\/\d+)?$/.test(p)) return PRIVATE.some((re) => re.test(p)) ? 'no' : 'unknown';
  if (/^[0-9a-f:]+(\/\d+)?$/.test(p)) return 'no'; // IPv6: the backup extension's traffic here is IPv4
  const [name, rest] = p.split('.', 2);
  if (rest !== undefined && rest !== region.toLowerCase().replace(/\s+/g, '')) return 'no';
  return name === tag.toLowerCase() || COVERING_TAGS.includes(name) ? 'yes' : 'no';
}

function anyMatch(prefixes: string[], tag: BackupServiceTag, region: string): Match {
  const m = prefixes.map((p) => destinationMatch(p, tag, region));
  return m.includes('yes') ? 'yes' : m.includes('unknown') ? 'unknown' : 'no';
}

function portCovers443(range: string): boolean {
  const r = range.trim();
  if (r === '*') return true;
  const [lo, hi = lo] = r.split('-').map((x) => Number(x));
  return Number.isFinite(lo) && Number.isFinite(hi) && lo <= 443 && 443 <= hi;
}

/** Whether an outbound rule applies to TCP 443 towards the tag. */
function ruleMatch(rule: EffectiveNetworkSecurityRule, tag: BackupServiceTag, region: string): Match {
  if ((rule.direction ?? '').toLowerCase() !== 'outbound') return 'no';
  const proto = (rule.protocol ?? '').toLowerCase();
  if (proto !== 'tcp' && proto !== 'all' && proto !== '*') return 'no';
  const ports = [...(rule.destinationPortRange ? [rule.destinationPortRange] : []), ...(rule.destinationPortRanges ?? [])];
  if (!ports.some(portCovers443)) return 'no';
  const prefixes = [...(rule.destinationAddressPrefix ? [rule.destinationAddressPrefix] : []), ...(rule.destinationAddressPrefixes ?? [])];
  return anyMatch(prefixes, tag, region);
}

/** Rule names come as `securityRules/x` or `defaultSecurityRules/x`; the finding names x. */
function ruleRef(group: EffectiveNetworkSecurityGroup, rule: EffectiveNetworkSecurityRule): RuleRef {
  const nsg = group.networkSecurityGroup?.id ?? '';
  return { networkSecurityGroup: nsg.slice(nsg.lastIndexOf('/') + 1) || nsg, rule: (rule.name ?? '').split('/').pop() ?? '', priority: rule.priority };
}

type GroupAnswer = { access: 'Allow' | 'Deny'; rule: RuleRef } | { access: 'unknown'; rule: RuleRef };

/** The first outbound rule by priority that decides for the tag. No NSG rule at all decides nothing (Azure allows). */
function judgeGroup(group: EffectiveNetworkSecurityGroup, tag: BackupServiceTag, region: string): GroupAnswer | undefined {
  const rules = [...(group.effectiveSecurityRules ?? [])].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
  for (const rule of rules) {
    const m = ruleMatch(rule, tag, region);
    if (m === 'no') continue;
    if (m === 'unknown') return { access: 'unknown', rule: ruleRef(group, rule) };
    return { access: (rule.access ?? '').toLowerCase() === 'deny' ? 'Deny' : 'Allow', rule: ruleRef(group, rule) };
  }
  return undefined;
}

/** The active route the tag's traffic takes: a route naming the tag, else the default route 0.0.0.0/0. */
export function routeFor(routes: EffectiveRoute[], tag: BackupServiceTag): RouteRef | undefined {
  const active = routes.filter((r) => (r.state ?? 'Active').toLowerCase() === 'active');
  const byTag = active.find((r) => (r.addressPrefix ?? []).some((p) => p.toLowerCase() === tag.toLowerCase()));
  const chosen = byTag ?? active.find((r) => (r.addressPrefix ?? []).includes('0.0.0.0/0'));
  if (!chosen) return undefined;
  return { name: chosen.name, source: chosen.source, addressPrefix: chosen.addressPrefix ?? [], nextHopType: chosen.nextHopType ?? 'None', nextHopIpAddress: chosen.nextHopIpAddress ?? [] };
}

const ROUTE_BLOCKS = ['none', 'virtualappliance', 'virtualnetworkgateway'];

/** Judges all groups (NIC and subnet NSGs both apply) and the routes, for every backup service tag. */
export function judgeOutboundHttps(groups: EffectiveNetworkSecurityGroup[], routes: EffectiveRoute[], region: string): OutboundVerdict {
  const allowedBy: RuleRef[] = [];
  for (const tag of BACKUP_SERVICE_TAGS) {
    for (const g of groups) {
      const a = judgeGroup(g, tag, region);
      if (a?.access === 'Deny') return { verdict: 'blocked-by-rule', rule: a.rule, tags: BACKUP_SERVICE_TAGS.filter((t) => judgeGroup(g, t, region)?.rule.rule === a.rule.rule) };
      if (a?.access === 'unknown') return { verdict: 'undetermined', reason: `rule '${a.rule.rule}' (priority ${a.rule.priority}) of NSG '${a.rule.networkSecurityGroup}' names a destination whose owner ARM does not state` };
      if (a && !allowedBy.some((r) => r.rule === a.rule.rule && r.networkSecurityGroup === a.rule.networkSecurityGroup)) allowedBy.push(a.rule);
    }
  }
  const tagRoutes = BACKUP_SERVICE_TAGS.map((t) => ({ tag: t, route: routeFor(routes, t) }));
  const blocked = tagRoutes.find((r) => r.route && ROUTE_BLOCKS.includes(r.route.nextHopType.toLowerCase()));
  if (blocked) return { verdict: 'blocked-by-route', route: blocked.route!, tags: tagRoutes.filter((r) => r.route === blocked.route || (r.route && sameRoute(r.route, blocked.route!))).map((r) => r.tag) };
  if (tagRoutes.some((r) => !r.route)) return { verdict: 'undetermined', reason: 'no active route covers the backup service tags' };
  return { verdict: 'open', allowedBy, route: tagRoutes[0].route };
}

function sameRoute(a: RouteRef, b: RouteRef): boolean {
  return a.name === b.name && a.nextHopType === b.nextHopType && a.addressPrefix.join() === b.addressPrefix.join();
}
