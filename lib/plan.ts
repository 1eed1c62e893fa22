// Diagnosis + classification → the ordered writes for one failed job, and the findings for a human.
// Pure: no I/O, no clock (`now` comes in), so every safety rule here is unit-testable on hand-made facts.
// The rule of thumb throughout: act only on what the diagnosis proves; when in doubt, a finding and no write.
import type { ActionKind, AutomationClass, Classification, Finding, PlanItem, PlannedAction } from './types';
import type { Candidate } from './discover/types';
import type { CollectionFacts, Diagnosis, LockRef } from './diagnose';
import { parseVmId, sameId } from './arm/ids';
import { Scope } from './scope';

/** The part of a catalogue entry (lib/catalogue, contract B) the planner reads. */
export interface PlanCatalogueEntry {
  code: string;
  title: string;
  automation: AutomationClass;
  fixes: readonly ActionKind[];
  causes: readonly { id: string; summary: string; check: string; fix: string; nextStep: string; automatedFix?: ActionKind }[];
  docUrl: string;
}

export interface PlanOptions {
  /** Allowed subscriptions (lib/scope: empty = nothing in scope). */
  subscriptions: readonly string[];
  /** Allowed `<subscriptionId>/<resourceGroup>` pairs; empty = every resource group. */
  resourceGroups: readonly string[];
  allowedActions: readonly ActionKind[];
  optInCodes: readonly string[];
  backupRetentionDays: number;
  now: Date;
}

export const RESTORE_POINT_LIMIT = 18;
export const OPT_OUT_TAG = 'backup-remediation';
export const SNAPSHOT_PUBLISHER = 'Microsoft.Azure.RecoveryServices';
export const SNAPSHOT_TYPES = ['VMSnapshot', 'VMSnapshotLinux'] as const;

/** Codes whose documented fix is reloading the snapshot extension whatever state it reports. */
const EXTENSION_RELOAD_FAMILY = [
  'ExtensionOperationFailed', 'ExtentionOperationFailed', 'ExtensionOperationFailedForManagedDisks',
  'UserErrorVmProvisioningStateFailed', 'ExtensionStuckInDeletionState',
].map((c) => c.toLowerCase());

export function isExtensionReloadCode(code: string): boolean {
  return EXTENSION_RELOAD_FAMILY.includes(code.toLowerCase());
}

const EXTENSION_REFERENCE = 'https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout';

export function planItem(
  candidate: Candidate,
  classification: Classification,
  diagnosis: Diagnosis,
  entry: PlanCatalogueEntry | undefined,
  opts: PlanOptions,
): PlanItem {
  const docUrl = entry?.docUrl ?? classification.docUrl;
  const item: PlanItem = {
    vmId: candidate.vmId,
    jobId: candidate.jobId,
    vaultId: candidate.vaultId,
    protectedItemId: diagnosis.protectedItems.length === 1 ? diagnosis.protectedItems[0] : candidate.protectedItemId,
    failure: { code: classification.code, signals: classification.signals, automation: entry?.automation ?? classification.automation, docUrl },
    actions: [],
    findings: [],
  };
  const find = (f: Finding) => item.findings.push(docUrl && !f.docUrl ? { ...f, docUrl } : f);
  const vm = diagnosis.vm;

  // 1. Scope allow-list: decided on the VM id alone, before anything it says is trusted.
  const outOfScope = scopeViolation(candidate.vmId, opts);
  if (outOfScope) {
    find({ kind: 'out-of-scope', message: outOfScope, evidence: { vmId: candidate.vmId, subscriptions: opts.subscriptions, resourceGroups: opts.resourceGroups } });
    return item;
  }
  // 2. Opt-out tag on the VM or its resource group (the RG's tags survive a deleted VM).
  const optOut = optOutSource(vm.tags, vm.rgTags);
  if (optOut) {
    find({
      kind: 'opted-out',
      message: `The ${optOut.on === 'vm' ? 'VM' : "VM's resource group"} carries the tag '${optOut.key}: ${optOut.value}'; the remediator does not act on it.`,
      evidence: { tag: { [optOut.key]: optOut.value }, on: optOut.on },
      nextStep: `Remediate by hand, or remove the '${OPT_OUT_TAG}' tag to let the remediator act.`,
    });
    return item;
  }
  // 3. The VM itself must exist. Unread is not missing: a VM read that failed (403, 500...) is a read
  // failure, never "the VM no longer exists" with its advice to stop protection.
  if (!vm.exists && diagnosis.readErrors.length > 0) {
    find({ kind: 'read-failed', message: `The VM could not be read (${diagnosis.readErrors.length} read error(s)); the remediator does not write on partial facts.`, evidence: { vmId: candidate.vmId, readErrors: diagnosis.readErrors } });
    return item;
  }
  if (!vm.exists) {
    find({
      kind: 'vm-not-found', message: `The VM ${candidate.vmId} no longer exists; its backups cannot succeed.`,
      evidence: { vmId: candidate.vmId, readErrors: diagnosis.readErrors },
      nextStep: 'Stop protection for this item in the vault (retain or delete the backup data), or restore the VM.',
    });
    return item;
  }
  // 4. Unknown or conflicting failure: report only.
  if (classification.code === 'Unclassified' || !entry) {
    const conflicting = classification.conflicting && classification.conflicting.length > 1;
    find({
      kind: conflicting ? 'conflicting-signals' : 'unclassified-error',
      message: conflicting
        ? `The job's signals point at different errors (${classification.conflicting!.join(', ')}); the remediator does not act on a guess.`
        : `The job's error (${describeSignals(classification)}) is not in the catalogue; the remediator does not act on unknown errors.`,
      evidence: { signals: classification.signals, conflicting: classification.conflicting },
      nextStep: 'Open the job in the vault, read its error details and follow the linked troubleshooting article.',
    });
    return item;
  }
  if (diagnosis.readErrors.length > 0) {
    find({ kind: 'read-failed', message: `Some facts about the VM could not be read (${diagnosis.readErrors.length}); the remediator does not write on partial facts.`, evidence: { readErrors: diagnosis.readErrors } });
    return item;
  }

  const causeFindings = evaluateCauses(entry, diagnosis);

  // 5. Report-only entries: explain, never write.
  if (entry.automation === 'report-only') {
    for (const f of causeFindings) find(f);
    const first = entry.causes[0];
    find({
      kind: 'report-only-error',
      message: `${entry.code}: ${entry.title}. Its fix lies in the guest, the network or permissions, so the remediator only reports it.`,
      evidence: { code: entry.code, confirmedCauses: causeFindings.map((f) => f.evidence.cause) },
      nextStep: causeFindings[0]?.nextStep ?? first?.nextStep ?? `Follow ${entry.docUrl}`,
    });
    return item;
  }
  // 6. Opt-in entries act only when the operator listed the code.
  if (entry.automation === 'opt-in' && !opts.optInCodes.some((c) => c.toLowerCase() === entry.code.toLowerCase())) {
    for (const f of causeFindings) find(f);
    find({
      kind: 'guardrail',
      message: `${entry.code} needs an explicit opt-in before the remediator acts on it (setting REMEDIATION_OPT_IN_CODES); nothing was planned.`,
      evidence: { code: entry.code, automation: 'opt-in', optInCodes: opts.optInCodes },
      nextStep: `Fix by hand following ${entry.docUrl}, or add ${entry.code} to the opt-in codes.`,
    });
    return item;
  }
  // 7. Every write needs exactly one protected item to pin the VM to its vault.
  if (diagnosis.protectedItems.length !== 1) {
    find({
      kind: 'ambiguous-target',
      message: diagnosis.protectedItems.length === 0
        ? `No protected item in vault ${candidate.vaultId} has ${candidate.vmId} as its source; the remediator will not write without one.`
        : `${diagnosis.protectedItems.length} protected items claim ${candidate.vmId} as their source; the remediator will not guess which.`,
      evidence: { vaultId: candidate.vaultId, protectedItems: diagnosis.protectedItems },
      nextStep: 'Check the VM\'s backup configuration in the vault.',
    });
    return item;
  }

  // The guest must be able to take a snapshot, or any backup triggered now fails the same way.
  const agentReady = diagnosis.agent.status === 'Ready';
  const running = (vm.powerState ?? '').toLowerCase() === 'running';
  for (const f of causeFindings) find(f);
  const hasKind = (k: string) => item.findings.some((f) => f.kind === k);
  if (!agentReady && !hasKind('agent-not-ready')) find(agentNotReadyFinding(diagnosis));
  if (!running && !hasKind('vm-not-running')) find(vmNotRunningFinding(diagnosis));

  let blocked = !agentReady || !running; // a later trigger-backup would fail
  const withheldBefore: ActionKind[] = [];
  const planned: PlannedAction[] = [];
  const allowed = (k: ActionKind) => opts.allowedActions.includes(k);

  for (const kind of entry.fixes) {
    if (kind === 'remove-snapshot-extension') {
      const r = planExtensionRemoval(candidate, diagnosis, entry, agentReady);
      for (const f of r.findings) find(f);
      if (r.action) {
        if (allowed(kind)) planned.push(r.action);
        else withheldBefore.push(kind);
      }
      if (r.block) blocked = true;
    } else if (kind === 'delete-restore-point-collection') {
      const r = planCollectionCleanup(candidate, diagnosis, entry);
      for (const f of r.findings) find(f);
      if (r.actions.length > 0) {
        if (allowed(kind)) planned.push(...r.actions);
        else withheldBefore.push(kind);
      }
      if (r.block) blocked = true;
    } else if (kind === 'trigger-backup') {
      if (diagnosis.backupInProgress) {
        find({
          kind: 'backup-in-progress',
          message: 'A backup of this item is already running; the remediator never stacks a second one.',
          evidence: { protectedItemId: item.protectedItemId },
          nextStep: 'Wait for the running backup to finish; the next run checks its outcome.',
        });
        blocked = true;
        continue;
      }
      if (blocked) continue;
      if (!allowed(kind)) {
        withheldBefore.push(kind);
        continue;
      }
      if (withheldBefore.length > 0) {
        find({
          kind: 'guardrail',
          message: `trigger-backup withheld: it would run without the fix it depends on (${withheldBefore.join(', ')} is not in the allowed actions).`,
          evidence: { withheld: 'trigger-backup', because: withheldBefore, allowedActions: opts.allowedActions },
        });
        continue;
      }
      planned.push(triggerAction(item.protectedItemId!, entry, opts));
    }
  }

  for (const k of new Set(withheldBefore)) {
    find({
      kind: 'guardrail',
      message: `${k} is needed for ${entry.code} but is not in the allowed actions; it was not planned.`,
      evidence: { withheld: k, allowedActions: opts.allowedActions },
      nextStep: `Perform ${k} by hand, or allow it in REMEDIATION_ALLOWED_ACTIONS.`,
    });
  }
  // If the item is blocked, no write at all: cleaning up without the backup that proves it would only
  // destroy restore points.
  item.actions = blocked ? [] : planned;
  item.findings = withoutSupersededCauses(item.findings, causeFindings, item.actions.length > 0);
  return item;
}

/**
 * One finding per fact. A catalogue cause finding is dropped when the planner stated the same fact
 * more specifically (a lock per collection with its id and scope; the limit with the points that
 * would remain), and an inferred cause (one ARM cannot confirm) is dropped when a write is planned:
 * the planned fix is the next step, and an unconfirmed guess would only send a human elsewhere.
 */
function withoutSupersededCauses(findings: Finding[], causeFindings: Finding[], writesPlanned: boolean): Finding[] {
  const causes = new Set<unknown>(causeFindings.map((f) => f.evidence));
  const isCause = (f: Finding) => causes.has(f.evidence);
  const planner = findings.filter((f) => !isCause(f));
  const lockKey = (collection: unknown, lockId: unknown) => `${String(collection).toLowerCase()}|${String(lockId).toLowerCase()}`;
  const plannerLocks = new Set(
    planner
      .filter((f) => f.kind === 'lock-blocks-cleanup' && typeof f.evidence.collection === 'string')
      .map((f) => lockKey(f.evidence.collection, (f.evidence.lock as LockRef | undefined)?.id)),
  );
  const plannerLimit = planner.some((f) => f.kind === 'restore-point-limit' && typeof f.evidence.totalPoints === 'number');
  return findings.filter((f) => {
    if (!isCause(f)) return true;
    if (f.evidence.inferred === true && writesPlanned) return false;
    if (f.kind === 'lock-blocks-cleanup') {
      const locks = (f.evidence.locks ?? []) as { collection: string; id: string }[];
      return !(locks.length > 0 && locks.every((l) => plannerLocks.has(lockKey(l.collection, l.id))));
    }
    if (f.kind === 'restore-point-limit') return !plannerLimit;
    return true;
  });
}

// ---------- scope and opt-out ----------

function scopeViolation(vmId: string, opts: PlanOptions): string | undefined {
  let ref;
  try {
    ref = parseVmId(vmId);
  } catch (e) {
    return `The VM id '${vmId}' is not a valid VM resource id (${(e as Error).message}).`;
  }
  const outside = Scope.of(opts).outside(ref);
  if (outside?.level === 'subscription') return `Subscription ${ref.subscriptionId} is not in the remediation scope.`;
  if (outside) return `Resource group ${ref.subscriptionId}/${ref.resourceGroup} is not in the resource-group allow-list.`;
  return undefined;
}

function optOutSource(vmTags: Record<string, string>, rgTags: Record<string, string>): { on: 'vm' | 'resourceGroup'; key: string; value: string } | undefined {
  for (const [on, tags] of [['vm', vmTags], ['resourceGroup', rgTags]] as const) {
    for (const [k, v] of Object.entries(tags ?? {})) {
      if (k.trim().toLowerCase() === OPT_OUT_TAG && String(v).trim().toLowerCase() === 'off') return { on, key: k, value: v };
    }
  }
  return undefined;
}

// ---------- causes ----------

function evaluateCauses(entry: PlanCatalogueEntry, d: Diagnosis): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding) => {
    if (seen.has(f.kind)) return;
    seen.add(f.kind);
    out.push({ ...f, docUrl: entry.docUrl });
  };
  const ext = d.snapshotExtension;
  for (const cause of entry.causes) {
    const base = { cause: cause.id, summary: cause.summary };
    switch (cause.check) {
      case 'agent-ready':
        if (d.agent.status !== 'Ready') add({ ...agentNotReadyFinding(d), nextStep: cause.nextStep, evidence: { ...base, agent: d.agent } });
        break;
      case 'agent-version': {
        const outdated = agentOutdated(d);
        if (outdated) add({ kind: 'agent-outdated', message: `The VM agent version ${d.agent.version ?? 'Unknown'} ${outdated}.`, evidence: { ...base, agent: d.agent }, nextStep: cause.nextStep });
        break;
      }
      case 'vm-running':
        if ((d.vm.powerState ?? '').toLowerCase() !== 'running') add({ ...vmNotRunningFinding(d), nextStep: cause.nextStep, evidence: { ...base, powerState: d.vm.powerState } });
        break;
      case 'vm-provisioning-state':
        if ((d.vm.provisioningState ?? '').toLowerCase() === 'failed') {
          add({ kind: 'extension-failed', message: `The VM's provisioning state is Failed, usually because an extension failed.`, evidence: { ...base, provisioningState: d.vm.provisioningState }, nextStep: cause.nextStep });
        }
        break;
      case 'snapshot-extension-state':
        if (ext && extensionFailedOrStuck(ext)) {
          add({ kind: 'extension-failed', message: `The ${ext.type} extension is in state ${ext.provisioningState ?? ext.instanceViewStatus?.displayStatus ?? 'error'}.`, evidence: { ...base, extension: ext }, nextStep: cause.nextStep });
        }
        break;
      case 'restore-point-limit':
        if (d.totalPoints >= RESTORE_POINT_LIMIT) add({ kind: 'restore-point-limit', message: `The VM holds ${d.totalPoints} instant restore points, the limit is ${RESTORE_POINT_LIMIT}.`, evidence: { ...base, totalPoints: d.totalPoints }, nextStep: cause.nextStep });
        break;
      case 'collection-lock': {
        const locks = d.collections.flatMap((c) => c.locks.map((l) => ({ collection: c.id, ...l })));
        if (locks.length > 0) add({ kind: 'lock-blocks-cleanup', message: `A lock covers the VM's restore point collection (${locks.map((l) => `${l.name}, ${l.level}, ${l.scope}`).join('; ')}).`, evidence: { ...base, locks }, nextStep: cause.nextStep });
        break;
      }
      case 'backup-in-progress':
        if (d.backupInProgress) add({ kind: 'backup-in-progress', message: 'A backup of this item is already running.', evidence: base, nextStep: cause.nextStep });
        break;
      case 'outbound-connectivity':
        // ARM cannot see inside the guest network; the cause is inferred when everything ARM can see is healthy.
        if (d.agent.status === 'Ready' && (d.vm.powerState ?? '').toLowerCase() === 'running' && !(ext && extensionFailedOrStuck(ext))) {
          add({
            kind: 'no-outbound-connectivity',
            message: 'Inferred, not confirmed: the agent is Ready and the VM running, so the likeliest cause is that the VM cannot reach Azure Storage / Azure Backup (NSG, firewall, proxy, route). ARM cannot confirm network reachability.',
            evidence: {
              ...base,
              inferred: true,
              confirmed: false,
              inferredFrom: { agent: d.agent.status, powerState: d.vm.powerState, snapshotExtension: ext ? (ext.provisioningState ?? ext.instanceViewStatus?.displayStatus ?? 'present') : 'absent' },
              agent: d.agent.status,
              powerState: d.vm.powerState,
            },
            nextStep: cause.nextStep,
          });
        }
        break;
      default:
        break; // 'manual': nothing ARM can check
    }
  }
  return out;
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

function agentNotReadyFinding(d: Diagnosis): Finding {
  return {
    kind: 'agent-not-ready',
    message: `The VM agent is ${d.agent.status}${d.agent.message ? ` (${d.agent.message})` : ''}; snapshots need a Ready agent, so no backup can succeed until it is fixed inside the guest.`,
    evidence: { agent: d.agent },
    nextStep: 'Restart or reinstall the VM agent inside the guest (WindowsAzureGuestAgent / walinuxagent), then retry the backup.',
  };
}

function vmNotRunningFinding(d: Diagnosis): Finding {
  return {
    kind: 'vm-not-running',
    message: `The VM is ${d.vm.powerState ?? 'in an unknown power state'}; the remediator does not start VMs, and a backup triggered now would fail.`,
    evidence: { powerState: d.vm.powerState },
    nextStep: 'Start the VM if it should be running, then retry the backup.',
  };
}

/**
 * The snapshot extension is failed or stuck: provisioning Failed or Deleting, or its instance view
 * reports an error. The planner and the write-time check (remove-snapshot-extension) share it.
 */
export function extensionFailedOrStuck(ext: { provisioningState?: string; instanceViewStatus?: { level?: string } }): boolean {
  const ps = (ext.provisioningState ?? '').toLowerCase();
  if (ps === 'failed' || ps === 'deleting') return true;
  return (ext.instanceViewStatus?.level ?? '').toLowerCase() === 'error';
}

function isSnapshotExtension(ext: NonNullable<Diagnosis['snapshotExtension']>): boolean {
  return ext.publisher.toLowerCase() === SNAPSHOT_PUBLISHER.toLowerCase()
    && SNAPSHOT_TYPES.some((t) => t.toLowerCase() === ext.type.toLowerCase());
}

// ---------- remove-snapshot-extension ----------

function planExtensionRemoval(c: Candidate, d: Diagnosis, entry: PlanCatalogueEntry, agentReady: boolean): { action?: PlannedAction; findings: Finding[]; block: boolean } {
  const ext = d.snapshotExtension;
  if (!ext || !isSnapshotExtension(ext)) {
    return { findings: [{ kind: 'extension-missing', message: 'No VMSnapshot/VMSnapshotLinux extension is installed; Azure Backup installs it again with the next backup, so only a backup is needed.', evidence: { extension: ext ?? null } }], block: false };
  }
  if (!ext.id || !sameExtensionParent(ext.id, c.vmId)) {
    return {
      findings: [{ kind: 'extension-missing', message: `The ${ext.type} extension shows only in the instance view, not as an extension resource; there is nothing to delete, so only a backup is planned.`, evidence: { extension: ext } }],
      block: false,
    };
  }
  if (!agentReady) {
    // Removing the extension needs a Ready agent to reinstall it; the agent-not-ready finding already explains.
    return { findings: [], block: true };
  }
  const stuck = extensionFailedOrStuck(ext);
  const family = isExtensionReloadCode(entry.code);
  if (!stuck && !family) {
    return { findings: [], block: false };
  }
  if (ext.locks && ext.locks.length > 0) {
    // ARM refuses the DELETE under any lock at or above the extension; the remediator never deletes
    // locks, and a backup without the reload would fail the same way.
    return { findings: ext.locks.map((lock) => extensionLockFinding(ext, lock)), block: true };
  }
  return {
    findings: [],
    block: false,
    action: {
      kind: 'remove-snapshot-extension',
      target: ext.id,
      method: 'DELETE',
      status: 'proposed',
      reason: stuck
        ? `The ${ext.type} extension is ${ext.provisioningState ?? 'in error'}; removing it lets Azure Backup reinstall a working copy with the next backup.`
        : `${entry.code} is fixed by reloading the snapshot extension: removing it lets Azure Backup reinstall it with the next backup.`,
      evidence: {
        extension: { id: ext.id, name: ext.name, publisher: ext.publisher, type: ext.type, provisioningState: ext.provisioningState, instanceViewStatus: ext.instanceViewStatus, source: ext.source },
        agent: d.agent,
        code: entry.code,
        docUrl: entry.docUrl ?? EXTENSION_REFERENCE,
      },
    },
  };
}

function extensionLockFinding(ext: NonNullable<Diagnosis['snapshotExtension']>, lock: LockRef): Finding {
  return {
    kind: 'lock-blocks-cleanup',
    message: `Lock '${lock.name}' (${lock.level}, ${lock.scope} scope) covers the ${ext.type} extension; ARM refuses to delete it and the remediator never deletes locks, so neither the extension reload nor the backup that needs it is attempted.`,
    evidence: { lock: { id: lock.id, name: lock.name, level: lock.level, scope: lock.scope }, extension: ext.id },
    nextStep: `Ask the lock's owner whether lock ${lock.id} may be lifted for the fix, then delete ${ext.id} and retry the backup.`,
  };
}

function sameExtensionParent(extId: string, vmId: string): boolean {
  const i = extId.toLowerCase().lastIndexOf('/extensions/');
  return i > 0 && sameId(extId.slice(0, i), vmId);
}

// ---------- delete-restore-point-collection ----------

export function isBackupCollectionName(name: string, vmName: string): boolean {
  const escaped = vmName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^AzureBackup_${escaped}(_\\d+)?$`, 'i').test(name);
}

function planCollectionCleanup(c: Candidate, d: Diagnosis, entry: PlanCatalogueEntry): { actions: PlannedAction[]; findings: Finding[]; block: boolean } {
  const findings: Finding[] = [];
  if (d.totalPoints < RESTORE_POINT_LIMIT) return { actions: [], findings, block: false };
  const mine = d.collections.filter((col) => sameId(col.sourceId, c.vmId));
  const deletable: CollectionFacts[] = [];
  let keptPoints = 0;
  for (const col of mine) {
    if (!isBackupCollectionName(col.name, d.vm.name)) {
      keptPoints += col.pointCount;
      findings.push({
        kind: 'restore-point-limit',
        message: `Collection ${col.name} belongs to the VM but is not named like an Azure Backup collection (AzureBackup_${d.vm.name}[_<n>]); it is left alone.`,
        evidence: { collection: col.id, name: col.name, pointCount: col.pointCount },
      });
    } else if (col.locks.length > 0) {
      keptPoints += col.pointCount;
      for (const lock of col.locks) findings.push(lockFinding(col, lock));
    } else {
      deletable.push(col);
    }
  }
  // Points in collections not tied to this VM by source.id are not counted by diagnosis, so keptPoints is exact.
  if (keptPoints >= RESTORE_POINT_LIMIT || deletable.length === 0) {
    findings.push({
      kind: 'restore-point-limit',
      message: `The VM holds ${d.totalPoints} restore points (limit ${RESTORE_POINT_LIMIT}); the collections the remediator may delete cannot bring it under the limit, so it deletes nothing and does not trigger a backup (it would fail the same way).`,
      evidence: { totalPoints: d.totalPoints, pointsThatWouldRemain: keptPoints, deletable: deletable.map((x) => x.id) },
      nextStep: 'Remove the lock (or the restore points it protects) by hand, then retry the backup.',
    });
    return { actions: [], findings, block: true };
  }
  const actions = deletable.map<PlannedAction>((col) => ({
    kind: 'delete-restore-point-collection',
    target: col.id,
    method: 'DELETE',
    status: 'proposed',
    reason: `The VM is at the ${RESTORE_POINT_LIMIT}-restore-point limit (${d.totalPoints}); deleting ${col.name} (${col.pointCount} points) frees room for the next backup.`,
    evidence: {
      collection: { id: col.id, name: col.name, sourceId: col.sourceId, pointCount: col.pointCount },
      totalPoints: d.totalPoints,
      pointsAfter: keptPoints,
      locks: [],
      code: entry.code,
    },
  }));
  return { actions, findings, block: false };
}

function lockFinding(col: CollectionFacts, lock: LockRef): Finding {
  return {
    kind: 'lock-blocks-cleanup',
    message: `Lock '${lock.name}' (${lock.level}, ${lock.scope} scope) covers restore point collection ${col.name}; the remediator never deletes locks, so the collection stays.`,
    evidence: { lock: { id: lock.id, name: lock.name, level: lock.level, scope: lock.scope }, collection: col.id },
    nextStep: `Ask the lock's owner whether lock ${lock.id} may be removed for cleanup, then delete ${col.id} and retry the backup.`,
  };
}

// ---------- trigger-backup ----------

function triggerAction(protectedItemId: string, entry: PlanCatalogueEntry, opts: PlanOptions): PlannedAction {
  const expiry = new Date(opts.now.getTime() + opts.backupRetentionDays * 86_400_000);
  return {
    kind: 'trigger-backup',
    target: protectedItemId,
    method: 'POST',
    status: 'proposed',
    reason: `Backup Now proves the fix for ${entry.code} and replaces the failed backup.`,
    evidence: { retentionDays: opts.backupRetentionDays, recoveryPointExpiryTimeInUTC: expiry.toISOString(), code: entry.code },
  };
}

function describeSignals(c: Classification): string {
  const s = c.signals.map((x) => x.value).filter(Boolean).slice(0, 2).join(' / ');
  return s ? `'${s.slice(0, 160)}'` : 'no error details';
}
