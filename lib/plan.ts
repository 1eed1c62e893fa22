// Diagnosis + classification → the ordered writes for one failed job, and the findings for a human.
// Pure: no I/O, no clock (`now` comes in), so every safety rule here is unit-testable on hand-made facts.
// The rule of thumb throughout: act only on what the diagnosis proves; when in doubt, a finding and no write.
// Which write applies when is each action's own rule (lib/actions); this module gates, orders and combines.
import type { ActionKind, Classification, Finding, PlanItem, PlannedAction } from './types';
import type { Candidate } from './discover/types';
import type { DiagnoseOptions, Diagnosis, LockRef } from './diagnose';
import { diagnoseOptionsForFacts } from './diagnose';
import type { FactName } from './facts';
import { parseVmId } from './arm/ids';
import { ACTIONS, actionModule } from './actions';
import type { PlanCatalogueEntry, PlanContext, PlanOptions } from './actions/types';
import { agentNotReadyFinding, causeCheck, evaluateCauses, vmNotRunningFinding } from './cause-checks';
import { guestFixEnabled } from './rules/guest-fix';
import { OPT_OUT_TAG, optOutSource } from './rules/opt-out';
import { Scope } from './scope';

export type { PlanCatalogueEntry, PlanOptions } from './actions/types';
export { OPT_OUT_TAG } from './rules/opt-out';
export { isBackupCollectionName, RESTORE_POINT_LIMIT } from './rules/restore-points';
export { extensionFailedOrStuck, isExtensionReloadCode, SNAPSHOT_PUBLISHER, SNAPSHOT_TYPES } from './rules/snapshot-extension';

/** The facts the planner needs for an entry: its fixes' (and, for allowed fixes, their write-time) facts and its checks'. */
export function factsNeeded(entry: { fixes: readonly string[]; causes: readonly { check: string }[] }, allowedActions: readonly string[]): Set<FactName> {
  const facts = new Set<FactName>(['vm', 'instance-view', 'resource-group-tags', 'protected-items']);
  // Any fix may write, and no write is planned while a backup of the item runs (planWrites): the
  // running backups are read for an entry with fixes. A report-only entry needs them only when one
  // of its cause checks says so.
  if (entry.fixes.length > 0) facts.add('running-backups');
  for (const kind of entry.fixes) {
    if (!Object.hasOwn(ACTIONS, kind)) continue;
    const mod = actionModule(kind as ActionKind);
    for (const f of mod.facts) facts.add(f);
    if (allowedActions.includes(kind)) for (const f of mod.writeFacts ?? []) facts.add(f);
  }
  for (const c of entry.causes) for (const f of causeCheck(c.check)?.facts ?? []) facts.add(f);
  return facts;
}

/**
 * What diagnosis reads for this catalogue entry, so it reads nothing else: what its fixes' rules and
 * its cause checks ask for by name. Unclassified failures need only the VM and its resource group
 * (existence, opt-out).
 */
export function diagnoseOptionsFor(entry: { fixes: readonly string[]; causes: readonly { check: string }[] } | undefined, settings: { allowedActions: readonly string[] }): DiagnoseOptions {
  if (!entry) return { extension: false, collections: false, runningBackups: false };
  return diagnoseOptionsForFacts(factsNeeded(entry, settings.allowedActions));
}

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
    failure: { code: classification.code, signals: classification.signals, automation: effectiveAutomation(entry, opts) ?? classification.automation, docUrl },
    actions: [],
    findings: [],
  };
  const find = (f: Finding) => item.findings.push(docUrl && !f.docUrl ? { ...f, docUrl } : f);
  const stop = preEntryGate(candidate, classification, diagnosis, entry, opts);
  if (stop || !entry) {
    if (stop) find(stop);
    return item;
  }
  const causeFindings = evaluateCauses(entry, diagnosis);
  const gated = entryGate(candidate, diagnosis, entry, opts, causeFindings);
  if (gated) {
    gated.forEach(find);
    return item;
  }
  for (const f of causeFindings) find(f);
  planWrites(item, find, { candidate, diagnosis, entry, opts }, causeFindings);
  return item;
}

/**
 * Gates decided before the catalogue entry is trusted: scope, opt-out, the VM's existence, an
 * unknown or conflicting failure, partial facts. A finding stops the item; undefined lets it on.
 */
function preEntryGate(candidate: Candidate, classification: Classification, diagnosis: Diagnosis, entry: PlanCatalogueEntry | undefined, opts: PlanOptions): Finding | undefined {
  const vm = diagnosis.vm;
  // 1. Scope allow-list: decided on the VM id alone, before anything it says is trusted.
  const outOfScope = scopeViolation(candidate.vmId, opts);
  if (outOfScope) return { kind: 'out-of-scope', message: outOfScope, evidence: { vmId: candidate.vmId, subscriptions: opts.subscriptions, resourceGroups: opts.resourceGroups } };
  // 2. Opt-out tag on the VM or its resource group (the RG's tags survive a deleted VM).
  const optOut = optOutSource(vm.tags, vm.rgTags);
  if (optOut) {
    return {
      kind: 'opted-out',
      message: `The ${optOut.on === 'vm' ? 'VM' : "VM's resource group"} carries the tag '${optOut.key}: ${optOut.value}'; the remediator does not act on it.`,
      evidence: { tag: { [optOut.key]: optOut.value }, on: optOut.on },
      nextStep: `Remediate by hand, or remove the '${OPT_OUT_TAG}' tag to let the remediator act.`,
    };
  }
  // 3. The VM itself must exist. Unread is not missing: a VM read that failed (403, 500...) is a read
  // failure, never "the VM no longer exists" with its advice to stop protection.
  if (!vm.exists && diagnosis.readErrors.length > 0) {
    return { kind: 'read-failed', message: `The VM could not be read (${diagnosis.readErrors.length} read error(s)); the remediator does not write on partial facts.`, evidence: { vmId: candidate.vmId, readErrors: diagnosis.readErrors } };
  }
  if (!vm.exists) {
    return {
      kind: 'vm-not-found', message: `The VM ${candidate.vmId} no longer exists; its backups cannot succeed.`,
      evidence: { vmId: candidate.vmId, readErrors: diagnosis.readErrors },
      nextStep: 'Stop protection for this item in the vault (retain or delete the backup data), or restore the VM.',
    };
  }
  // 4. Unknown or conflicting failure: report only.
  if (classification.code === 'Unclassified' || !entry) return unknownFailureFinding(classification);
  if (diagnosis.readErrors.length > 0) {
    return { kind: 'read-failed', message: `Some facts about the VM could not be read (${diagnosis.readErrors.length}); the remediator does not write on partial facts.`, evidence: { readErrors: diagnosis.readErrors } };
  }
  return undefined;
}

/** The catalogue class, except a report-only entry whose guest fix the settings enable: opt-in (by that setting). */
function effectiveAutomation(entry: PlanCatalogueEntry | undefined, opts: PlanOptions): PlanCatalogueEntry['automation'] | undefined {
  if (!entry) return undefined;
  return entry.automation === 'report-only' && guestFixEnabled(entry, opts) ? 'opt-in' : entry.automation;
}

/** Says the documented likely cause when nothing read confirmed any cause ("say only what was seen"). */
function unconfirmed(entry: PlanCatalogueEntry, causeFindings: Finding[]): string {
  const first = entry.causes[0];
  return first && causeFindings.every((f) => f.evidence.inferred === true) ? ` Documented likely cause, not confirmed by anything read: ${first.summary}` : '';
}

function unknownFailureFinding(classification: Classification): Finding {
  const conflicting = classification.conflicting && classification.conflicting.length > 1;
  return {
    kind: conflicting ? 'conflicting-signals' : 'unclassified-error',
    message: conflicting
      ? `The job's signals point at different errors (${classification.conflicting!.join(', ')}); the remediator does not act on a guess.`
      : `The job's error (${describeSignals(classification)}) is not in the catalogue; the remediator does not act on unknown errors.`,
    evidence: { signals: classification.signals, conflicting: classification.conflicting },
    nextStep: 'Open the job in the vault, read its error details and follow the linked troubleshooting article.',
  };
}

/** Gates of the entry itself: report-only, opt-in not given, no single protected item. The findings stop the item. */
function entryGate(candidate: Candidate, diagnosis: Diagnosis, entry: PlanCatalogueEntry, opts: PlanOptions, causeFindings: Finding[]): Finding[] | undefined {
  // 5. Report-only entries: explain, never write (unless the operator enabled the code's guest fix).
  if (effectiveAutomation(entry, opts) === 'report-only') {
    return [...causeFindings, {
      kind: 'report-only-error',
      message: `${entry.code}: ${entry.title}. Its fix lies in the guest, the network or permissions, so the remediator only reports it.${unconfirmed(entry, causeFindings)}`,
      evidence: { code: entry.code, confirmedCauses: causeFindings.map((f) => f.evidence.cause) },
      nextStep: causeFindings[0]?.nextStep ?? entry.causes[0]?.nextStep ?? `Follow ${entry.docUrl}`,
    }];
  }
  // 6. Opt-in entries act only when the operator listed the code.
  if (entry.automation === 'opt-in' && !opts.optInCodes.some((c) => c.toLowerCase() === entry.code.toLowerCase())) {
    return [...causeFindings, {
      kind: 'guardrail',
      message: `${entry.code} needs an explicit opt-in before the remediator acts on it (setting REMEDIATION_OPT_IN_CODES); nothing was planned.`,
      evidence: { code: entry.code, automation: 'opt-in', optInCodes: opts.optInCodes },
      nextStep: `Fix by hand following ${entry.docUrl}, or add ${entry.code} to the opt-in codes.`,
    }];
  }
  // 7. Every write needs exactly one protected item to pin the VM to its vault.
  if (diagnosis.protectedItems.length === 1) return undefined;
  return [{
    kind: 'ambiguous-target',
    message: diagnosis.protectedItems.length === 0
      ? `No protected item in vault ${candidate.vaultId} has ${candidate.vmId} as its source; the remediator will not write without one.`
      : `${diagnosis.protectedItems.length} protected items claim ${candidate.vmId} as their source; the remediator will not guess which.`,
    evidence: { vaultId: candidate.vaultId, protectedItems: diagnosis.protectedItems },
    nextStep: 'Check the VM\'s backup configuration in the vault.',
  }];
}

/**
 * The entry's fixes in its order, each planned by its own action module. A fix not in the allowed
 * actions is withheld (and so is a fix that builds on it); a blocked item gets no write at all:
 * cleaning up without the backup that proves it would only destroy restore points.
 */
function planWrites(item: PlanItem, find: (f: Finding) => void, base: Omit<PlanContext, 'agentReady' | 'blocked' | 'protectedItemId'>, causeFindings: Finding[]): void {
  const { diagnosis, entry, opts } = base;
  // The guest must be able to take a snapshot, or any backup triggered now fails the same way.
  const agentReady = diagnosis.agent.status === 'Ready';
  const running = (diagnosis.vm.powerState ?? '').toLowerCase() === 'running';
  const hasKind = (k: string) => item.findings.some((f) => f.kind === k);
  if (!agentReady && !hasKind('agent-not-ready')) find(agentNotReadyFinding(diagnosis));
  if (!running && !hasKind('vm-not-running')) find(vmNotRunningFinding(diagnosis));
  let blocked = !agentReady || !running; // a later trigger-backup would fail
  // Never a write while a backup of the item runs (trigger-backup's rule says why in a finding). The
  // write-time running check (lib/rules/running-backup.ts) relies on this: it looks only for backups
  // started after the plan's read.
  if (diagnosis.backupInProgress) blocked = true;
  const withheld: ActionKind[] = [];
  const planned: PlannedAction[] = [];
  for (const kind of entry.fixes) {
    const mod = actionModule(kind);
    const step = mod.plan({ ...base, protectedItemId: item.protectedItemId!, agentReady, blocked });
    for (const f of step.findings ?? []) find(f);
    if (step.block) blocked = true;
    if (!step.actions || step.actions.length === 0) continue;
    if (!opts.allowedActions.includes(kind)) withheld.push(kind);
    else if (mod.afterFixes && withheld.length > 0) find(dependencyWithheldFinding(kind, withheld, opts));
    else planned.push(...step.actions);
  }
  for (const k of new Set(withheld)) find(withheldFinding(k, entry, opts));
  item.actions = blocked ? [] : planned;
  item.findings = withoutSupersededCauses(item.findings, causeFindings, item.actions.length > 0);
}

function dependencyWithheldFinding(kind: ActionKind, withheld: ActionKind[], opts: PlanOptions): Finding {
  return {
    kind: 'guardrail',
    message: `${kind} withheld: it would run without the fix it depends on (${withheld.join(', ')} is not in the allowed actions).`,
    evidence: { withheld: kind, because: withheld, allowedActions: opts.allowedActions },
  };
}

function withheldFinding(kind: ActionKind, entry: PlanCatalogueEntry, opts: PlanOptions): Finding {
  return {
    kind: 'guardrail',
    message: `${kind} is needed for ${entry.code} but is not in the allowed actions; it was not planned.`,
    evidence: { withheld: kind, allowedActions: opts.allowedActions },
    nextStep: `Perform ${kind} by hand, or allow it in REMEDIATION_ALLOWED_ACTIONS.`,
  };
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

function describeSignals(c: Classification): string {
  const s = c.signals.map((x) => x.value).filter(Boolean).slice(0, 2).join(' / ');
  return s ? `'${s.slice(0, 160)}'` : 'no error details';
}
