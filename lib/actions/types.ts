// What an action module is: everything about one write kind in one place (when it applies, the
// facts it needs, its write-time checks, its dry-run description, the write, its follow-up and the
// RBAC operations it uses). Types only, so the registry and the modules never import each other.
import type { ArmContext } from '../arm/clients';
import type { Candidate } from '../discover/types';
import type { Diagnosis } from '../diagnose';
import type { FactName } from '../facts';
import type { Logger } from '../log';
import type { ActionKind, AutomationClass, Finding, FindingKind, PlanItem, PlannedAction } from '../types';

export interface ActionSettings {
  backupRetentionDays: number;
}

export interface ActionContext {
  /** The plan item the action belongs to (its vmId, failure code and the status of earlier actions). */
  item: PlanItem;
  settings: ActionSettings;
  now: Date;
  log?: Logger;
  /** Longest wait for Backup Now's operation to report its job. Default 5 minutes. */
  operationTimeoutMs?: number;
}

/** A refusal may carry what the fresh check saw (e.g. a guest diagnostic's output): it becomes the finding's evidence. */
export type PreconditionResult = { ok: true; note?: string } | { ok: false; reason: string; findingKind: FindingKind; evidence?: Record<string, unknown> };

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
  /**
   * Codes whose guest fix (run-guest-fix, a catalogue script through Run Command) may be proposed
   * (setting REMEDIATION_GUEST_FIX_CODES). Absent or empty: those codes stay report-only.
   */
  guestFixCodes?: readonly string[];
  backupRetentionDays: number;
  now: Date;
}

/** What an action's planning rule sees: the failure, the facts read, and what the fixes before it decided. */
export interface PlanContext {
  candidate: Candidate;
  diagnosis: Diagnosis;
  entry: PlanCatalogueEntry;
  opts: PlanOptions;
  /** The one protected item pinning the VM to its vault (the planner checked there is exactly one). */
  protectedItemId: string;
  agentReady: boolean;
  /** An earlier step (or the VM's state) already stops every write for this item. */
  blocked: boolean;
}

/** A planning rule's answer: the writes it proposes, what it tells a human, and whether it blocks the item. */
export interface PlanStep {
  actions?: PlannedAction[];
  findings?: Finding[];
  /** Nothing may be written for this item (a later backup would fail the same way). */
  block?: boolean;
}

export interface ActionModule<K extends ActionKind = ActionKind> {
  kind: K;
  method: 'DELETE' | 'POST';
  /** Facts (lib/facts) the planning rule reads; diagnosis reads them when an entry fixes with this kind. */
  facts: readonly FactName[];
  /** Facts read only when this kind is in the allowed actions (they matter only to plan the write itself). */
  writeFacts?: readonly FactName[];
  /**
   * Planned only on top of the fixes before it: when an earlier fix of the entry is withheld (not in the
   * allowed actions), this one is withheld too, with a guardrail finding.
   */
  afterFixes?: boolean;
  /**
   * RBAC operations it uses: what its preconditions read (the reader role holds them), what it writes
   * and what it polls to follow the write (the operator role adds those). test/permissions.test.ts
   * checks them against infra/modules/remediator-roles.bicep.
   */
  permissions: { reads: readonly string[]; writes: readonly string[]; polls: readonly string[] };
  /**
   * `'required'`: the action is never executed unless a named human approved it (an approved,
   * unexpired, not-stale proposal matching it: vmId, kind, target, script id@version from the
   * evidence or '', failure code). The executor's approval gate (lib/approvals) reads this; the
   * setting REMEDIATION_REQUIRE_APPROVAL adds kinds. Absent: the action runs under the usual guards.
   */
  approval?: 'required';
  /** What proves the write worked: the backup it triggers, or the next backup (run or scheduled). */
  followUp: 'verify-triggered-backup' | 'next-backup';
  /** When it applies: from the classification's catalogue entry and the facts read. Pure. */
  plan(ctx: PlanContext): PlanStep;
  /** The dry-run description of the write: what, where, why. */
  describe(input: { target: string; reason: string; evidence: Record<string, unknown> }): PlannedAction;
  preconditions(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<PreconditionResult>;
  apply(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<Record<string, unknown>>;
}
