// The catalogue's cause checks (lib/catalogue `check`), one small function each: what ARM facts
// confirm the cause, and the finding that states it. Each check names the facts it reads, so
// diagnosis reads them when an entry lists the check. 'manual' checks have no entry: ARM cannot see them.
import type { Diagnosis } from './diagnose';
import type { FactName } from './facts';
import type { PlanCatalogueEntry } from './actions/types';
import { RESTORE_POINT_LIMIT } from './rules/restore-points';
import { extensionFailedOrStuck } from './rules/snapshot-extension';
import type { Finding } from './types';
import { networkFinding } from './network-finding';

type Cause = PlanCatalogueEntry['causes'][number];
/** The evidence every cause finding starts with. */
type Base = { cause: string; summary: string };

export interface CauseCheck {
  facts: readonly FactName[];
  /** The finding when the facts confirm the cause; undefined when they do not. */
  find(d: Diagnosis, base: Base, cause: Cause): Finding | undefined;
}

export function agentNotReadyFinding(d: Diagnosis): Finding {
  return {
    kind: 'agent-not-ready',
    message: `The VM agent is ${d.agent.status}${d.agent.message ? ` (${d.agent.message})` : ''}; snapshots need a Ready agent, so no backup can succeed until it is fixed inside the guest.`,
    evidence: { agent: d.agent },
    nextStep: 'Restart or reinstall the VM agent inside the guest (WindowsAzureGuestAgent / walinuxagent), then retry the backup.',
  };
}

export function vmNotRunningFinding(d: Diagnosis): Finding {
  return {
    kind: 'vm-not-running',
    message: `The VM is ${d.vm.powerState ?? 'in an unknown power state'}; the remediator does not start VMs, and a backup triggered now would fail.`,
    evidence: { powerState: d.vm.powerState },
    nextStep: 'Start the VM if it should be running, then retry the backup.',
  };
}

function agentOutdated(d: Diagnosis): string | undefined {
  const v = d.agent.version;
  if (!v || /unknown/i.test(v)) return d.agent.status === 'Ready' ? 'could not be read' : undefined;
  const parts = v.split('.').map((p) => Number(p));
  if (parts.some((n) => !Number.isFinite(n))) return undefined;
  // Oldest agents Azure Backup documents as supported: Windows 2.7.x, Linux 2.2.x.
  const min = d.vm.os === 'Linux' ? [2, 2] : [2, 7];
  const older = parts[0] < min[0] || (parts[0] === min[0] && (parts[1] ?? 0) < min[1]);
  return older ? `is older than the minimum supported (${min.join('.')})` : undefined;
}

const isRunning = (d: Diagnosis) => (d.vm.powerState ?? '').toLowerCase() === 'running';

/**
 * No outbound connectivity. Judged only when everything else ARM sees is healthy (agent Ready, VM
 * running, extension not failed). With the primary NIC's effective rules and routes read, the
 * finding names the blocking NSG rule or route, or says the path is open (so the documented likely
 * cause is inside the guest); without them (no NIC data, read failed, a rule ARM cannot judge) it
 * stays the documented likely cause, with what was and was not read as evidence.
 */
function outboundConnectivity(d: Diagnosis, base: Base, cause: Cause): Finding | undefined {
  const ext = d.snapshotExtension;
  if (d.agent.status !== 'Ready' || !isRunning(d) || (ext && extensionFailedOrStuck(ext))) return undefined;
  const seen = { agent: d.agent.status, powerState: d.vm.powerState, snapshotExtension: ext ? (ext.provisioningState ?? ext.instanceViewStatus?.displayStatus ?? 'present') : 'absent' };
  return networkFinding(d.network, { ...base, agent: d.agent.status, powerState: d.vm.powerState }, seen, cause.nextStep);
}

function collectionLock(d: Diagnosis, base: Base, cause: Cause): Finding | undefined {
  const locks = d.collections.flatMap((c) => c.locks.map((l) => ({ collection: c.id, ...l })));
  if (locks.length === 0) return undefined;
  const which = locks.map((l) => `${l.name}, ${l.level}, ${l.scope}`).join('; ');
  return { kind: 'lock-blocks-cleanup', message: `A lock covers the VM's restore point collection (${which}).`, evidence: { ...base, locks }, nextStep: cause.nextStep };
}

export const CAUSE_CHECKS: Readonly<Record<string, CauseCheck>> = {
  'agent-ready': {
    facts: ['instance-view'],
    find: (d, base, cause) => (d.agent.status !== 'Ready' ? { ...agentNotReadyFinding(d), nextStep: cause.nextStep, evidence: { ...base, agent: d.agent } } : undefined),
  },
  'agent-version': {
    facts: ['instance-view'],
    find: (d, base, cause) => {
      const outdated = agentOutdated(d);
      return outdated ? { kind: 'agent-outdated', message: `The VM agent version ${d.agent.version ?? 'Unknown'} ${outdated}.`, evidence: { ...base, agent: d.agent }, nextStep: cause.nextStep } : undefined;
    },
  },
  'vm-running': {
    facts: ['instance-view'],
    find: (d, base, cause) => (!isRunning(d) ? { ...vmNotRunningFinding(d), nextStep: cause.nextStep, evidence: { ...base, powerState: d.vm.powerState } } : undefined),
  },
  'vm-provisioning-state': {
    facts: ['vm'],
    find: (d, base, cause) => ((d.vm.provisioningState ?? '').toLowerCase() === 'failed'
      ? { kind: 'extension-failed', message: `The VM's provisioning state reads Failed. Documented likely cause, not confirmed: ${cause.summary}`, evidence: { ...base, provisioningState: d.vm.provisioningState }, nextStep: cause.nextStep }
      : undefined),
  },
  'snapshot-extension-state': {
    facts: ['extensions'],
    find: (d, base, cause) => {
      const ext = d.snapshotExtension;
      if (!ext || !extensionFailedOrStuck(ext)) return undefined;
      return { kind: 'extension-failed', message: `The ${ext.type} extension is in state ${ext.provisioningState ?? ext.instanceViewStatus?.displayStatus ?? 'error'}.`, evidence: { ...base, extension: ext }, nextStep: cause.nextStep };
    },
  },
  'restore-point-limit': {
    facts: ['restore-points'],
    find: (d, base, cause) => (d.totalPoints >= RESTORE_POINT_LIMIT
      ? { kind: 'restore-point-limit', message: `The VM holds ${d.totalPoints} instant restore points, the limit is ${RESTORE_POINT_LIMIT}.`, evidence: { ...base, totalPoints: d.totalPoints }, nextStep: cause.nextStep }
      : undefined),
  },
  'collection-lock': { facts: ['restore-points'], find: collectionLock },
  'backup-in-progress': {
    facts: ['running-backups'],
    find: (d, base, cause) => (d.backupInProgress ? { kind: 'backup-in-progress', message: 'A backup of this item is already running.', evidence: base, nextStep: cause.nextStep } : undefined),
  },
  'outbound-connectivity': { facts: ['extensions', 'network'], find: outboundConnectivity },
};

/** The check of that name; undefined for 'manual' (and any name that is not a check). */
export function causeCheck(name: string): CauseCheck | undefined {
  return Object.hasOwn(CAUSE_CHECKS, name) ? CAUSE_CHECKS[name] : undefined;
}

/** The entry's causes the facts confirm, one finding per kind (the first cause of a kind wins). */
export function evaluateCauses(entry: PlanCatalogueEntry, d: Diagnosis): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const cause of entry.causes) {
    const f = causeCheck(cause.check)?.find(d, { cause: cause.id, summary: cause.summary }, cause);
    if (!f || seen.has(f.kind)) continue;
    seen.add(f.kind);
    out.push({ ...f, docUrl: entry.docUrl });
  }
  return out;
}
