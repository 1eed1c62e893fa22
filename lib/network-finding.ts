// The no-outbound-connectivity finding, worded from what the network reads showed: a rule or route
// named as fact when the effective configuration shows it, an open path when it shows that (the
// documented likely cause then lies in the guest), and the documented likely cause when nothing
// was read or the rules cannot be judged. "Say only what was seen."
import type { NetworkFacts } from './diagnose';
import { BACKUP_SERVICE_TAGS, judgeOutboundHttps, type OutboundVerdict, type RouteRef } from './rules/outbound-https';
import type { Finding } from './types';

const TAGS = BACKUP_SERVICE_TAGS.join(', ');
const GUEST_STEP = 'Inside the VM, check the proxy settings (WinHTTP / system proxy, or the http_proxy variables for the agent) and the guest firewall for outbound HTTPS to the Azure Backup, Storage and Microsoft Entra ID endpoints, then run Backup Now.';

function nicName(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

function describeRoute(r: RouteRef): string {
  const hop = r.nextHopType.toLowerCase() === 'none' ? 'next hop None: the traffic is dropped'
    : `next hop ${r.nextHopType}${r.nextHopIpAddress.length ? ` (${r.nextHopIpAddress.join(', ')})` : ''}: the traffic leaves through it, not straight to the Internet`;
  return `the ${r.source ?? ''} route${r.name ? ` '${r.name}'` : ''} for ${r.addressPrefix.join(', ')} has ${hop}`.replace(/\s+/g, ' ');
}

/** The evidence every network finding carries: what was read, and what could not be. */
function networkEvidence(n: NetworkFacts | undefined, verdict?: OutboundVerdict) {
  return {
    read: Boolean(n?.securityGroups && n.routes),
    nic: n?.nicId,
    ...(n?.problems.length ? { problems: n.problems } : {}),
    ...(verdict ? { verdict } : {}),
  };
}

function inferred(n: NetworkFacts | undefined, base: Record<string, unknown>, seen: Record<string, unknown>, nextStep: string, why: string, verdict?: OutboundVerdict): Finding {
  return {
    kind: 'no-outbound-connectivity',
    message: `Inferred, not confirmed: documented likely cause "${String(base.summary ?? 'The VM cannot reach Azure Storage / Azure Backup.')}" What was read rules out the causes ARM can see (agent Ready, VM running, snapshot extension not failed); ${why}`,
    evidence: { ...base, inferred: true, confirmed: false, inferredFrom: seen, network: networkEvidence(n, verdict) },
    nextStep,
  };
}

export function networkFinding(n: NetworkFacts | undefined, base: Record<string, unknown>, seen: Record<string, unknown>, nextStep: string): Finding {
  if (!n || !n.nicId) return inferred(n, base, seen, nextStep, n?.problems.length ? 'no network path was read (the network configuration could not be read).' : 'no network path was read (no network interface data).');
  if (!n.securityGroups || !n.routes) return inferred(n, base, seen, nextStep, `no network path was read (the effective rules or routes of NIC '${nicName(n.nicId)}' could not be read).`);
  const v = judgeOutboundHttps(n.securityGroups, n.routes, n.location ?? '');
  const nic = nicName(n.nicId);
  const evidence = { ...base, confirmed: v.verdict === 'blocked-by-rule' || (v.verdict === 'blocked-by-route' && v.route.nextHopType.toLowerCase() === 'none'), network: networkEvidence(n, v) };
  switch (v.verdict) {
    case 'undetermined':
      return inferred(n, base, seen, nextStep, `the effective configuration of NIC '${nic}' was read but cannot be judged: ${v.reason}.`, v);
    case 'blocked-by-rule':
      return {
        kind: 'no-outbound-connectivity',
        message: `Outbound TCP 443 to ${v.tags.join(', ')} is denied by rule '${v.rule.rule}' (priority ${v.rule.priority}) of NSG '${v.rule.networkSecurityGroup}', in the effective security rules of NIC '${nic}'.`,
        evidence,
        nextStep: `Add an outbound rule allowing TCP 443 to the ${TAGS} service tags with a priority number below ${v.rule.priority} in NSG '${v.rule.networkSecurityGroup}' (or narrow rule '${v.rule.rule}'), then run Backup Now.`,
      };
    case 'blocked-by-route':
      return {
        kind: 'no-outbound-connectivity',
        message: `In the effective routes of NIC '${nic}', ${describeRoute(v.route)}. Outbound traffic to ${v.tags.join(', ')} follows this route.${v.route.nextHopType.toLowerCase() === 'none' ? '' : ' ARM cannot see whether that hop lets HTTPS to these service tags through; the documented likely cause is that it does not.'}`,
        evidence,
        nextStep: `Let outbound TCP 443 to the ${TAGS} service tags through: allow it on the next hop, or add a route for those service tags with next hop Internet; then run Backup Now.`,
      };
    case 'open':
      return {
        kind: 'no-outbound-connectivity',
        message: `The network path is open: the effective security rules of NIC '${nic}' allow outbound TCP 443 to ${TAGS}${v.allowedBy.length ? ` (${v.allowedBy.map((r) => `'${r.rule}' of '${r.networkSecurityGroup}'`).join(', ')})` : ' (no NSG applies)'}, and ${v.route ? `their route goes to next hop ${v.route.nextHopType}` : 'no route diverts them'}. The documented likely cause is therefore inside the guest: a proxy or a firewall in the VM.`,
        evidence: { ...evidence, pathOpen: true, inferred: true },
        nextStep: GUEST_STEP,
      };
  }
}
