// run-guest-fix: run the catalogue's fix script for the failure code inside the VM through Run Command
// (lib/guest), after a diagnostic script run just before it shows the cause is still there. Off unless
// REMEDIATION_GUEST_FIX_CODES lists the code; approval required (lib/approvals' gate). Never any other
// script, never a parameter: the script is chosen from the catalogue by code and OS only.
import type { VirtualMachine } from '@azure/arm-compute';
import { z } from 'zod';
import type { ArmContext } from '../arm/clients';
import { orMissing } from '../arm/errors';
import { parseVmId, sameId } from '../arm/ids';
import type { Diagnosis } from '../diagnose';
import { causeSeen, causeUnreadable } from '../guest/cause';
import type { ScriptEvidence } from '../guest/output';
import { runCatalogueScript } from '../guest/run-command';
import { fixScriptFor, guestScript, scriptRef, type GuestScript } from '../guest/scripts';
import { guestFixEnabled } from '../rules/guest-fix';
import type { Finding, PlannedAction } from '../types';
import { freshOptOut, noBackupRunning } from './fresh';
import type { ActionContext, ActionModule, PlanContext, PlanStep, PreconditionResult } from './types';

const scriptId = z.object({ id: z.string(), version: z.number().int().positive() });
/** What apply needs back from the planned action's evidence (a saved plan may have been edited: re-validated). */
const plannedSchema = z.object({
  script: scriptId.extend({ os: z.enum(['Windows', 'Linux']), purpose: z.literal('fix') }),
  diagnostic: scriptId,
  vmUniqueId: z.string().min(1),
});

interface Planned {
  fix: GuestScript;
  diagnostic: GuestScript;
  vmUniqueId: string;
}

function plannedOf(action: PlannedAction): Planned | undefined {
  const p = plannedSchema.safeParse(action.evidence);
  if (!p.success) return undefined;
  const fix = guestScript(p.data.script.id, p.data.script.version);
  const diagnostic = guestScript(p.data.diagnostic.id, p.data.diagnostic.version);
  if (!fix || fix.purpose !== 'fix' || fix.os !== p.data.script.os || !diagnostic || fix.diagnostic !== diagnostic.id) return undefined;
  return { fix, diagnostic, vmUniqueId: p.data.vmUniqueId };
}

function noScriptFinding(code: string, d: Diagnosis): Finding {
  const os = d.vm.os;
  return {
    kind: 'report-only-error',
    message: os
      ? `${code} is enabled for guest fixes, but the guest script catalogue has no ${os} fix for it; nothing was planned.`
      : `${code} is enabled for guest fixes, but the VM read does not say its OS type, so no guest script can be chosen; nothing was planned.`,
    evidence: { code, os: os ?? null },
    nextStep: 'Fix it by hand inside the VM following the linked article, then run Backup Now.',
  };
}

function runCommandCannotRun(code: string, script: GuestScript, d: Diagnosis): Finding {
  return {
    kind: 'agent-not-ready',
    message: `Run Command cannot run ${scriptRef(script)} for ${code}: it needs a Ready VM agent, and the agent is ${d.agent.status}${d.agent.message ? ` (${d.agent.message})` : ''}.`,
    evidence: { code, script: scriptRef(script), agent: d.agent },
    nextStep: 'Bring the VM agent back to Ready (see the agent finding), or run the documented fix by hand inside the VM.',
  };
}

/** The planning rule: the code is enabled, the OS is known and has a fix script, the agent is Ready. */
function plan({ diagnosis: d, entry, opts, agentReady }: PlanContext): PlanStep {
  if (!guestFixEnabled(entry, opts)) return {};
  const fix = fixScriptFor(entry.code, d.vm.os);
  const diagnostic = fix?.diagnostic ? guestScript(fix.diagnostic) : undefined;
  if (!fix || !diagnostic) return { findings: [noScriptFinding(entry.code, d)], block: true };
  if (!agentReady) return { findings: [runCommandCannotRun(entry.code, fix, d)], block: true };
  if (!d.vm.uniqueId) {
    return { findings: [{ kind: 'read-failed', message: 'The VM read carries no properties.vmId; a guest fix is only proposed for a VM it can recognise at write time.', evidence: { vmId: d.vm.id } }], block: true };
  }
  const evidence = {
    script: { id: fix.id, version: fix.version, os: fix.os, purpose: fix.purpose },
    diagnostic: { id: diagnostic.id, version: diagnostic.version },
    vmUniqueId: d.vm.uniqueId,
    code: entry.code,
    changes: fix.changes,
    docUrl: fix.docUrl,
    agent: d.agent,
  };
  const reason = `${entry.code}: ${fix.title} (script ${scriptRef(fix)}, run through Run Command after ${scriptRef(diagnostic)} confirms the cause).`;
  return { actions: [runGuestFix.describe({ target: d.vm.id, reason, evidence })] };
}

/** The diagnostic each action's precondition ran, for its apply's result (the plan may be minutes old). */
const diagnosed = new WeakMap<PlannedAction, ScriptEvidence>();

function isRunning(vm: VirtualMachine): boolean {
  return (vm.instanceView?.statuses ?? []).some((s) => (s.code ?? '').toLowerCase() === 'powerstate/running');
}

/** The VM read now: still the planned one (same vmId), running, agent Ready. */
function vmChanged(vm: VirtualMachine | undefined, planned: Planned): PreconditionResult | undefined {
  if (!vm) return { ok: false, reason: 'the VM no longer exists', findingKind: 'vm-not-found' };
  if (vm.vmId !== planned.vmUniqueId) {
    return { ok: false, reason: `the VM's vmId is now ${vm.vmId ?? 'unknown'}, not ${planned.vmUniqueId} as planned (a different VM under the same id)`, findingKind: 'precondition-changed' };
  }
  if (!isRunning(vm)) return { ok: false, reason: 'the VM is not running now; Run Command needs a running VM', findingKind: 'vm-not-running' };
  const agent = vm.instanceView?.vmAgent?.statuses?.[0];
  if ((agent?.displayStatus ?? '').toLowerCase() !== 'ready') {
    return { ok: false, reason: `the VM agent is ${agent?.displayStatus ?? 'unknown'} now; Run Command needs a Ready agent`, findingKind: 'agent-not-ready' };
  }
  return undefined;
}

/** Runs the diagnostic: ok when it still shows the cause; a refusal with its output as evidence otherwise. */
async function diagnoseNow(arm: ArmContext, action: PlannedAction, planned: Planned): Promise<PreconditionResult> {
  const diag = await runCatalogueScript(arm, parseVmId(action.target), planned.diagnostic);
  if (diag.problem) {
    return { ok: false, reason: `the diagnostic ${diag.script} gave no usable answer (${diag.problem})`, findingKind: 'read-failed', evidence: { diagnostic: diag } };
  }
  const unreadable = causeUnreadable(planned.fix, diag.output);
  if (unreadable) return { ok: false, reason: `${unreadable}; ${scriptRef(planned.fix)} is not run on a cause nobody could see`, findingKind: 'read-failed', evidence: { diagnostic: diag } };
  const cause = causeSeen(planned.fix, diag.output);
  if (!cause) {
    return { ok: false, reason: `the diagnostic ${diag.script} no longer shows the cause ${scriptRef(planned.fix)} fixes`, findingKind: 'precondition-changed', evidence: { diagnostic: diag } };
  }
  diagnosed.set(action, diag);
  return { ok: true, note: cause };
}

export const runGuestFix: ActionModule<'run-guest-fix'> = {
  kind: 'run-guest-fix',
  method: 'POST',
  facts: ['vm', 'instance-view'],
  approval: 'required',
  permissions: {
    reads: ['Microsoft.Compute/virtualMachines/read', 'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.RecoveryServices/Vaults/backupJobs/read'],
    // The diagnostic (at write time) and the fix are both Run Command actions; the LRO polls compute's operation status.
    writes: ['Microsoft.Compute/virtualMachines/runCommand/action'],
    polls: ['Microsoft.Compute/locations/operations/read'],
  },
  followUp: 'verify-triggered-backup',
  plan,

  describe: ({ target, reason, evidence }) => ({ kind: 'run-guest-fix', target, method: 'POST', status: 'proposed', reason, evidence }),

  async preconditions(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<PreconditionResult> {
    const planned = plannedOf(action);
    if (!planned) return { ok: false, reason: 'the planned action does not name a fix script and diagnostic of the guest script catalogue', findingKind: 'precondition-changed' };
    if (!sameId(action.target, ctx.item.vmId)) return { ok: false, reason: `target ${action.target} is not the item's VM ${ctx.item.vmId}`, findingKind: 'precondition-changed' };
    const ref = parseVmId(action.target);
    const vm = await orMissing(() => arm.compute(ref.subscriptionId).virtualMachines.get(ref.resourceGroup, ref.name, { expand: 'instanceView' }));
    const changed = vmChanged(vm, planned);
    if (changed) return changed;
    const optOut = await freshOptOut(arm, ctx.item.vmId, vm);
    if (optOut) return { ok: false, reason: optOut, findingKind: 'opted-out' };
    // A backup running now is snapshotting through the very services the fix restarts.
    const refused = await noBackupRunning(arm, ctx);
    if (refused) return refused;
    return diagnoseNow(arm, action, planned);
  },

  async apply(arm: ArmContext, action: PlannedAction): Promise<Record<string, unknown>> {
    const planned = plannedOf(action);
    if (!planned) throw new Error('run-guest-fix: the planned action does not name a catalogue fix script');
    const run = await runCatalogueScript(arm, parseVmId(action.target), planned.fix);
    const result = { script: run.script, vmUniqueId: planned.vmUniqueId, diagnostic: diagnosed.get(action), output: run.output, stdout: run.stdout, stderr: run.stderr };
    const failed = run.output && 'failed' in run.output ? (run.output.failed ?? []) : [];
    if (run.problem || failed.length > 0) {
      const why = run.problem ?? `it could not change: ${failed.join(', ')}`;
      throw Object.assign(new Error(`guest fix ${run.script} did not complete: ${why}; stderr: ${run.stderr.slice(0, 300) || '(empty)'}`), { code: 'GuestFixFailed', result });
    }
    return { outcome: 'ran', ...result };
  },
};
