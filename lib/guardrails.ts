// Guardrails that bound what one run may write. Each check returns a Finding when it fires so the
// engine records why it did not act; none of them throws for an ordinary "no".

import type { Settings } from './config';
import type { Ledger } from './ledger';
import { parseVmId } from './arm/ids';
import { Scope, type ScopeLists } from './scope';
import type { ActionKind, Finding } from './types';

/** Defence in depth at write time: the VM must sit inside the scope (lib/scope: the one rule). */
export function scopeFinding(vmId: string, settings: ScopeLists): Finding | undefined {
  let vm;
  try {
    vm = parseVmId(vmId);
  } catch (err) {
    return {
      kind: 'guardrail',
      message: `Refusing to act: the VM id is not a valid ARM id (${(err as Error).message}).`,
      evidence: { guardrail: 'scope', vmId },
    };
  }
  const outside = Scope.of(settings).outside(vm);
  if (!outside) return undefined;
  const sub = outside.level === 'subscription';
  return {
    kind: 'out-of-scope',
    message: sub
      ? `Subscription ${vm.subscriptionId} is not in REMEDIATION_SUBSCRIPTIONS; no writes.`
      : `Resource group ${vm.resourceGroup} is not in REMEDIATION_RESOURCE_GROUPS; no writes.`,
    evidence: sub
      ? { guardrail: 'scope', vmId: vm.id, allowedSubscriptions: settings.subscriptions }
      : { guardrail: 'scope', vmId: vm.id, allowedResourceGroups: settings.resourceGroups },
    nextStep: sub
      ? 'Add the subscription to REMEDIATION_SUBSCRIPTIONS if the remediator should act on it.'
      : 'Add <subscriptionId>/<resourceGroup> to REMEDIATION_RESOURCE_GROUPS if the remediator should act on it.',
  };
}

export function actionAllowedFinding(kind: ActionKind, settings: Pick<Settings, 'allowedActions'>): Finding | undefined {
  if (settings.allowedActions.includes(kind)) return undefined;
  return {
    kind: 'guardrail',
    message: `Action ${kind} is not in REMEDIATION_ALLOWED_ACTIONS; it was not run.`,
    evidence: { guardrail: 'allowed-actions', action: kind, allowedActions: settings.allowedActions },
    nextStep: `Run the action by hand, or add ${kind} to REMEDIATION_ALLOWED_ACTIONS.`,
  };
}

/**
 * Per-run caps, shared by every VM of the run. Claims are synchronous so concurrent VM workers
 * cannot both take the last slot.
 */
export class RunBudget {
  private readonly vms = new Set<string>();
  private readonly writes = new Map<ActionKind, number>();

  constructor(private readonly settings: Pick<Settings, 'maxVmsPerRun' | 'maxWritesPerKind'>) {}

  /**
   * Takes a VM slot (idempotent per VM). Call it only once the VM proceeds (its lease held); use
   * `vmCapFinding` to check the cap before that without taking a slot.
   */
  claimVm(vmId: string): Finding | undefined {
    const full = this.vmCapFinding(vmId);
    if (full) return full;
    this.vms.add(vmId.toLowerCase());
    return undefined;
  }

  /** The cap finding if this VM would not get a slot now; takes nothing. */
  vmCapFinding(vmId: string): Finding | undefined {
    const key = vmId.toLowerCase();
    if (this.vms.has(key)) return undefined;
    if (this.vms.size >= this.settings.maxVmsPerRun) {
      return {
        kind: 'guardrail',
        message: `The cap of ${this.settings.maxVmsPerRun} VMs acted on per run is reached; this VM is left for the next run.`,
        evidence: { guardrail: 'max-vms-per-run', cap: this.settings.maxVmsPerRun },
        nextStep: 'The next run picks it up; raise REMEDIATION_MAX_VMS_PER_RUN to act on more VMs at once.',
      };
    }
    return undefined;
  }

  /** Takes a write slot of this kind. Call it only once the write proceeds (after the kill-switch check). */
  claimWrite(kind: ActionKind): Finding | undefined {
    const full = this.writeCapFinding(kind);
    if (full) return full;
    this.writes.set(kind, (this.writes.get(kind) ?? 0) + 1);
    return undefined;
  }

  /** The cap finding if a write of this kind would not get a slot now; takes nothing. */
  writeCapFinding(kind: ActionKind): Finding | undefined {
    const used = this.writes.get(kind) ?? 0;
    if (used >= this.settings.maxWritesPerKind) {
      return {
        kind: 'guardrail',
        message: `The cap of ${this.settings.maxWritesPerKind} ${kind} writes per run is reached; this write is left for the next run.`,
        evidence: { guardrail: 'max-writes-per-kind', action: kind, cap: this.settings.maxWritesPerKind },
        nextStep: 'The next run picks it up; raise REMEDIATION_MAX_WRITES_PER_KIND to allow more.',
      };
    }
    return undefined;
  }

  vmCount(): number {
    return this.vms.size;
  }
  writeCount(kind: ActionKind): number {
    return this.writes.get(kind) ?? 0;
  }
}

export interface AttemptRecord {
  runId: string;
  jobId: string;
  at: Date;
  outcome: string;
}

/** Outcome strings the engine stores with ledger.recordAttempt. */
export const ATTEMPT_STARTED = 'started';

/**
 * Attempts are recorded when they start (so a crash still counts) and again with their outcome;
 * one run on one VM is one attempt.
 */
export function countAttempts(records: AttemptRecord[]): { count: number; lastAt?: Date } {
  const runs = new Map<string, Date>();
  for (const r of records) {
    const prev = runs.get(r.runId);
    if (!prev || r.at < prev) runs.set(r.runId, r.at);
  }
  let lastAt: Date | undefined;
  for (const at of runs.values()) if (!lastAt || at > lastAt) lastAt = at;
  return { count: runs.size, lastAt };
}

/**
 * Rolling-window attempt limit and cooldown. `escalate` is true when the VM has used all its
 * attempts: automation has given up and a human must look.
 */
export async function attemptsFinding(
  ledger: Pick<Ledger, 'attempts'>,
  vmId: string,
  now: Date,
  settings: Pick<Settings, 'maxAttempts' | 'attemptWindowMs' | 'cooldownMs'>,
): Promise<{ finding: Finding; escalate: boolean } | undefined> {
  const since = new Date(now.getTime() - Math.max(settings.attemptWindowMs, settings.cooldownMs));
  const records = await ledger.attempts(vmId, since);
  const inWindow = records.filter((r) => r.at.getTime() >= now.getTime() - settings.attemptWindowMs);
  const { count } = countAttempts(inWindow);
  if (count >= settings.maxAttempts) {
    return {
      escalate: true,
      finding: {
        kind: 'guardrail',
        message: `${count} automated attempts on this VM in the last ${Math.round(settings.attemptWindowMs / 3_600_000)} h (limit ${settings.maxAttempts}); escalating to a human instead of trying again.`,
        evidence: { guardrail: 'max-attempts', attempts: count, limit: settings.maxAttempts, windowMs: settings.attemptWindowMs },
        nextStep: 'Investigate the VM by hand: the documented fix did not hold after repeated automated attempts.',
      },
    };
  }
  const { lastAt } = countAttempts(records);
  if (lastAt && now.getTime() - lastAt.getTime() < settings.cooldownMs) {
    const readyAt = new Date(lastAt.getTime() + settings.cooldownMs);
    return {
      escalate: false,
      finding: {
        kind: 'cooldown',
        message: `The last automated attempt on this VM was at ${lastAt.toISOString()}; cooling down until ${readyAt.toISOString()}.`,
        evidence: { lastAttemptAt: lastAt.toISOString(), cooldownMs: settings.cooldownMs, readyAt: readyAt.toISOString() },
        nextStep: 'Nothing to do: a later run retries after the cooldown.',
      },
    };
  }
  return undefined;
}

/** The kill switch is read before every write: the setting, then the ledger (flippable at run time). */
export async function killSwitchFinding(settings: Pick<Settings, 'killSwitch'>, ledger: Pick<Ledger, 'killSwitch'>): Promise<Finding | undefined> {
  const on = settings.killSwitch || (await ledger.killSwitch());
  if (!on) return undefined;
  return {
    kind: 'kill-switch',
    message: 'The kill switch is on: no further writes.',
    evidence: { source: settings.killSwitch ? 'REMEDIATION_KILL_SWITCH' : 'ledger' },
    nextStep: 'Turn the kill switch off once it is safe for the remediator to write again.',
  };
}

/** ThrottledError comes from the pacing layer in lib/arm; match by shape so this module needs no import. */
export function isThrottled(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; statusCode?: unknown; code?: unknown };
  return e.name === 'ThrottledError' || e.statusCode === 429 || e.code === 'TooManyRequests';
}

/** How long a VM lease lives: long enough for every write and the verification wait. */
export function leaseTtlMs(settings: Pick<Settings, 'verifyTimeoutMs'>): number {
  return settings.verifyTimeoutMs + 15 * 60_000;
}
